"""The plan's vocabulary: typed steps, one task's plan, the whole plan.

A task's plan is a tuple of steps that apply.py runs in order with one `match`; nothing is
encoded in flags. Each step is a value that says what will be written (or, for Keep and
Refuse, why nothing is)."""

from __future__ import annotations

import functools
from collections import Counter
from typing import Literal

import msgspec

from ctask_sync.engine.consumers import BlueprintUpdate, BlueprintUse
from ctask_sync.engine.model import BuildStatus, FileDiff
from ctask_sync.engine.remote import RemoteTask
from ctask_sync.engine.sharing import ShareChange
from ctask_sync.manifest.spec import ShareEntry, TaskSpec
from ctask_sync.manifest.vocabulary import NetworkPolicy

Action = Literal["create", "update", "unchanged", "delete", "keep", "refuse"]
Value = str | int | dict[str, str] | None


class FieldChange(msgspec.Struct, frozen=True):
    """One task or version setting that the plan changes, old -> new, for review. For the
    environment, old/new are ids and the labels DataRobot's names (None when unknown)."""

    field: str  # name | description | language | environment | maximum_memory |
    #             outbound_network_policy | required_metadata
    old: Value
    new: Value
    old_label: str | None = None
    new_label: str | None = None


class CreateTask(msgspec.Struct, frozen=True):
    """POST customTasks/ with the manifest's name, target type, language and description."""


class UpdateTask(msgspec.Struct, frozen=True):
    """PATCH customTasks/{id}/ with these task-level fields (name, description, language)."""

    changes: dict[str, str]


class CreateVersion(msgspec.Struct, frozen=True):
    """POST customTasks/{id}/versions/: a new version, from the previous one when it exists."""

    from_previous: bool
    major: bool
    reason: str
    upload: tuple[str, ...]  # paths (relative to the task folder) to send: added + changed
    delete_item_ids: tuple[str, ...]
    environment_id: str
    maximum_memory: int | None
    outbound_network_policy: NetworkPolicy | None
    required_metadata: dict[str, str] | None


class StartBuild(msgspec.Struct, frozen=True):
    """Start the dependency build of the version (the new one, else the latest), when it has
    dependencies; retry says the previous build failed."""

    retry: bool = False


class AwaitBuild(msgspec.Struct, frozen=True):
    """The latest version's build is running in DataRobot: wait for it with the others."""


class WriteRecord(msgspec.Struct, frozen=True):
    """PATCH the version's description with this run's sync record."""

    reason: str  # new version | no record | release tag | dependency build


class RecordBuildOutcome(msgspec.Struct, frozen=True):
    """Bookkeeping: write a build's final outcome, learnt from DataRobot, into the record, so
    later runs need no request to know it. Not a change to the task."""

    outcome: BuildStatus


class ShareTask(msgspec.Struct, frozen=True):
    """PATCH customTasks/{id}/accessControl/ so the access list holds `share:`. apply reads
    the list again first and sends what is still needed; `changes` is what the plan saw."""

    wanted: tuple[ShareEntry, ...]
    changes: tuple[ShareChange, ...]


class UpdateBlueprints(msgspec.Struct, frozen=True):
    """PATCH userBlueprints/{id}/ of each blueprint that pins a previous version of the task,
    to pin the version this run creates (`blueprints: follow`)."""

    updates: tuple[BlueprintUpdate, ...]


class DeleteTask(msgspec.Struct, frozen=True):
    """DELETE customTasks/{id}/ (with --allow-delete only). DataRobot refuses (409) while the
    `blockers` (user blueprints: id, name) use the task."""

    reason: str
    blockers: tuple[tuple[str, str], ...] = ()


class Keep(msgspec.Struct, frozen=True):
    """A task the repository no longer wants that stays, and what would delete it."""

    reason: str
    hint: str
    blockers: tuple[tuple[str, str], ...] = ()


class Refuse(msgspec.Struct, frozen=True):
    """Nothing is written for this task, and the run stops before any write."""

    reason: str


Step = (
    CreateTask
    | UpdateTask
    | CreateVersion
    | StartBuild
    | AwaitBuild
    | WriteRecord
    | RecordBuildOutcome
    | ShareTask
    | UpdateBlueprints
    | DeleteTask
    | Keep
    | Refuse
)
# Steps that change DataRobot (RecordBuildOutcome is bookkeeping; Keep and Refuse write nothing).
_CHANGES = (
    CreateTask,
    UpdateTask,
    CreateVersion,
    StartBuild,
    AwaitBuild,
    WriteRecord,
    ShareTask,
    UpdateBlueprints,
    DeleteTask,
)
_CHANGE_KINDS = frozenset(_CHANGES)


# dict=True: an instance __dict__ for the cached `action` (a field-less cache, not compared)
class TaskPlan(msgspec.Struct, frozen=True, dict=True):
    key: str
    name: str
    steps: tuple[Step, ...] = ()
    spec: TaskSpec | None = None
    remote: RemoteTask | None = None
    diff: FileDiff = msgspec.field(default_factory=FileDiff)
    build: BuildStatus | None = None  # the latest version's build, when it needs one
    warnings: tuple[str, ...] = ()
    consumers: tuple[BlueprintUse, ...] | None = None  # None: not read in this run
    field_changes: tuple[FieldChange, ...] = ()  # old -> new of what the steps change

    @property
    def upload_sizes(self) -> dict[str, int]:
        """path -> bytes of each file the new version uploads (none without a new version)."""
        version = self.version
        if version is None or self.spec is None:
            return {}
        sizes = {f.path: f.size for f in self.spec.files}
        return {path: sizes.get(path, 0) for path in version.upload}

    @property
    def upload_bytes(self) -> int:
        return sum(self.upload_sizes.values())

    @functools.cached_property  # asked a dozen times per task by plan summaries and reports
    def action(self) -> Action:
        if not self.steps:
            return "unchanged"  # most tasks of a large run
        kinds = {type(step) for step in self.steps}
        if Refuse in kinds:
            return "refuse"
        if Keep in kinds:
            return "keep"
        if DeleteTask in kinds:
            return "delete"
        if CreateTask in kinds:
            return "create"
        return "update" if kinds & _CHANGE_KINDS else "unchanged"

    @property
    def changes(self) -> bool:
        return any(isinstance(step, _CHANGES) for step in self.steps)

    @property
    def bookkeeping(self) -> bool:
        return bool(self.steps) and any(isinstance(s, RecordBuildOutcome) for s in self.steps)

    @property
    def task_id(self) -> str | None:
        return self.remote.task.id if self.remote else None

    @property
    def version(self) -> CreateVersion | None:
        # a loop, not next() over a generator: asked several times for each of 10,000 tasks
        for step in self.steps:
            if isinstance(step, CreateVersion):
                return step
        return None

    @property
    def metadata(self) -> dict[str, str]:
        update = next((s for s in self.steps if isinstance(s, UpdateTask)), None)
        return dict(update.changes) if update else {}

    @property
    def write_record(self) -> bool:
        return any(isinstance(s, WriteRecord) for s in self.steps) and self.version is None

    @property
    def start_build(self) -> StartBuild | None:
        return next((s for s in self.steps if isinstance(s, StartBuild)), None)

    @property
    def share(self) -> ShareTask | None:
        return next((s for s in self.steps if isinstance(s, ShareTask)), None)

    @property
    def blueprint_updates(self) -> tuple[BlueprintUpdate, ...]:
        step = next((s for s in self.steps if isinstance(s, UpdateBlueprints)), None)
        return step.updates if step else ()

    @property
    def blockers(self) -> tuple[tuple[str, str], ...]:
        for step in self.steps:
            if isinstance(step, DeleteTask | Keep):
                return step.blockers
        return ()

    @property
    def reason(self) -> str | None:
        for step in self.steps:
            if isinstance(step, Refuse | DeleteTask | Keep):
                return step.reason
        return None


class PlanContext(msgspec.Struct, frozen=True):
    namespace: str
    commit: str | None = None
    ref: str | None = None
    commit_time: int | None = None
    tag: str | None = None
    major: bool = False
    allow_delete: bool = False
    allow_rollback: bool = False
    touch_blueprints: bool = True  # False for previews: they never change a user blueprint
    # the sync root's folder: a record names its task folder relative to it, and a record
    # naming another folder (the task moved) is rewritten, so scoped deletes stay right
    root_dir: str | None = None


# dict=True: an instance __dict__ for the cached `_counts`
class Plan(msgspec.Struct, frozen=True, dict=True):
    context: PlanContext
    tasks: tuple[TaskPlan, ...]
    warnings: tuple[str, ...] = ()

    @property
    def has_changes(self) -> bool:
        """Whether apply would write to DataRobot."""
        return any(t.changes for t in self.tasks)

    @property
    def pending(self) -> bool:
        """Whether DataRobot differs from the repository: changes, or tasks kept (plan exit 2)."""
        return self.has_changes or any(t.action == "keep" for t in self.tasks)

    @property
    def refused(self) -> list[TaskPlan]:
        return [t for t in self.tasks if t.action == "refuse"]

    @property
    def upload_bytes(self) -> int:
        """Bytes that apply uploads, all tasks together."""
        return sum(t.upload_bytes for t in self.tasks)

    def count(self, action: Action) -> int:
        return self._counts[action]

    @functools.cached_property  # the summary line asks up to nine counts of 10,000 tasks
    def _counts(self) -> Counter[Action]:
        return Counter(t.action for t in self.tasks)
