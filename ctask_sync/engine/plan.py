"""desired + remote -> Plan. Pure: no I/O, tested with plain values.

Everything that needs the network or git (file diffs, late-run checks, environment names) is
worked out before, in detect.py, and handed in as values."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Literal

from ctask_sync.datarobot.client import CustomTaskVersion
from ctask_sync.engine.remote import RemoteState, RemoteTask, user_description
from ctask_sync.manifest.manifest import TaskSpec
from ctask_sync.manifest.vocabulary import NetworkPolicy, TargetType

Action = Literal["create", "update", "unchanged", "delete", "refuse"]

# The manifest speaks lower case; DataRobot's API names target types in title case.
TARGET_TYPES: dict[TargetType, str] = {
    "binary": "Binary",
    "regression": "Regression",
    "multiclass": "Multiclass",
    "anomaly": "Anomaly",
    "transform": "Transform",
}


@dataclass(frozen=True)
class FileDiff:
    """How the local files differ from the latest remote version's items."""

    added: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    source: str = "record"  # record | git | download | new: how it was found out

    @property
    def empty(self) -> bool:
        return not (self.added or self.changed or self.removed)


@dataclass(frozen=True)
class VersionPlan:
    from_previous: bool
    major: bool
    reason: str
    upload: tuple[str, ...]  # paths (relative to the task folder) to send: added + changed
    delete_item_ids: tuple[str, ...]
    environment_id: str
    maximum_memory: int | None
    outbound_network_policy: NetworkPolicy | None
    required_metadata: dict[str, str] | None


@dataclass(frozen=True)
class TaskPlan:
    key: str
    action: Action
    name: str
    spec: TaskSpec | None = None
    remote: RemoteTask | None = None
    create_task: bool = False
    metadata: dict[str, str] = field(default_factory=dict)  # field -> new value
    diff: FileDiff = FileDiff()
    version: VersionPlan | None = None
    write_record: bool = False  # write (or rewrite) the latest version's sync record only
    check_build: bool = False  # start the latest version's build if none exists (or it failed)
    delete: bool = False
    warnings: tuple[str, ...] = ()
    reason: str | None = None

    @property
    def task_id(self) -> str | None:
        return self.remote.task.id if self.remote else None

    @property
    def changes(self) -> bool:
        return self.action in ("create", "update") or (self.action == "delete" and self.delete)


@dataclass(frozen=True)
class PlanContext:
    namespace: str
    commit: str | None = None
    ref: str | None = None
    commit_time: int | None = None
    tag: str | None = None
    major: bool = False
    allow_delete: bool = False


@dataclass(frozen=True)
class Plan:
    context: PlanContext
    tasks: tuple[TaskPlan, ...]
    warnings: tuple[str, ...] = ()

    @property
    def has_changes(self) -> bool:
        return any(t.changes for t in self.tasks)

    @property
    def refused(self) -> list[TaskPlan]:
        return [t for t in self.tasks if t.action == "refuse"]

    def count(self, action: Action) -> int:
        return sum(1 for t in self.tasks if t.action == action)


def wants_build(spec: TaskSpec, dependencies: Iterable[str]) -> bool:
    """Whether a version of spec with these dependencies needs its dependency build started.

    DataRobot refuses to build a version without dependencies, so `always` differs from `auto`
    only in retrying a failed build (see plan_task's build_failed)."""
    return spec.dependency_build != "never" and any(True for _ in dependencies)


def _settings_changes(
    spec: TaskSpec, environment_id: str, latest: CustomTaskVersion
) -> tuple[list[str], bool]:
    """Version-level settings that differ, and whether the environment is among them."""
    changed: list[str] = []
    env_changed = latest.base_environment_id != environment_id
    if env_changed:
        changed.append("environment")
    if spec.maximum_memory is not None and latest.maximum_memory != spec.maximum_memory:
        changed.append("maximum_memory")
    if (
        spec.outbound_network_policy is not None
        and latest.outbound_network_policy != spec.outbound_network_policy
    ):
        changed.append("outbound_network_policy")
    if dict(latest.required_metadata) != dict(spec.required_metadata):
        changed.append("required_metadata")
    return changed, env_changed


def _metadata_changes(spec: TaskSpec, remote: RemoteTask) -> dict[str, str]:
    changes: dict[str, str] = {}
    if remote.task.name != spec.name:
        changes["name"] = spec.name
    wanted = user_description(spec.description)
    if user_description(remote.task.description) != wanted:
        changes["description"] = wanted
    if (remote.task.language or "") != spec.language:
        changes["language"] = spec.language
    return changes


def plan_task(
    spec: TaskSpec,
    remote: RemoteTask | None,
    diff: FileDiff,
    environment_id: str,
    context: PlanContext,
    *,
    refusal: str | None = None,
    build_failed: bool = False,
) -> TaskPlan:
    """The plan for one task present in the repository."""
    base = TaskPlan(
        key=spec.key, action="unchanged", name=spec.name, spec=spec, remote=remote, diff=diff
    )

    def new_version(
        *,
        from_previous: bool,
        major: bool,
        reason: str,
        upload: tuple[str, ...],
        deletes: tuple[str, ...] = (),
    ) -> VersionPlan:
        return VersionPlan(
            from_previous=from_previous,
            major=major,
            reason=reason,
            upload=upload,
            delete_item_ids=deletes,
            environment_id=environment_id,
            maximum_memory=spec.maximum_memory,
            outbound_network_policy=spec.outbound_network_policy,
            required_metadata=dict(spec.required_metadata) or None,
        )

    all_files = tuple(f.path for f in spec.files)
    if remote is None:
        # DataRobot numbers a task's first version 1.0 whether or not it is "major"
        first = new_version(from_previous=False, major=False, reason="first", upload=all_files)
        return replace(base, action="create", create_task=True, version=first)

    wanted_type = TARGET_TYPES[spec.target_type]
    if remote.task.target_type.lower() != wanted_type.lower():
        return replace(
            base,
            action="refuse",
            reason=(
                f"target_type is {remote.task.target_type} in DataRobot and {spec.target_type} in "
                "the manifest; DataRobot cannot change a task's target type: give the task a new "
                "key (a new task) or delete the old one"
            ),
        )

    warnings: list[str] = []
    latest = remote.latest
    metadata = _metadata_changes(spec, remote)
    version: VersionPlan | None = None
    write_record = False
    check_build = False

    if latest is None:
        version = new_version(
            from_previous=False,
            major=False,
            reason="first: the task had no version",
            upload=all_files,
        )
    else:
        if remote.record is None:
            warnings.append(
                f"drift: latest version {latest.label} carries no ctask-sync record (made by hand "
                "or an interrupted run); its contents were compared file by file"
            )
        setting_changes, env_changed = _settings_changes(spec, environment_id, latest)
        if not diff.empty or setting_changes:
            reasons = []
            if not diff.empty:
                reasons.append("files changed")
            reasons.extend(f"{name} changed" for name in setting_changes)
            major, why = False, ", ".join(reasons)
            if env_changed:
                major, why = True, "the environment changed"
            elif latest.is_frozen:
                major, why = True, f"version {latest.label} is frozen"
            elif context.major:
                why = "release" + (f" {context.tag}" if context.tag else "")
                major = True
            items = {item.file_path: item.id for item in latest.items}
            version = new_version(
                from_previous=True,
                major=major,
                reason=why,
                upload=tuple(sorted((*diff.added, *diff.changed))),
                deletes=tuple(items[p] for p in sorted(diff.removed) if p in items),
            )
        else:
            record = remote.record
            if record is None:
                write_record = True
            elif context.tag and record.tag != context.tag:
                write_record = True  # a release tag is recorded on every synced version
            # a build that a crash kept from starting: the version is unusable without it
            if (record is None or not record.build) and wants_build(spec, latest.dependencies):
                check_build = True
                write_record = True
            elif build_failed and spec.dependency_build == "always":
                check_build = True  # `always` retries a failed build on every run
                warnings.append(f"the dependency build of version {latest.label} failed; retrying")

    if refusal and (version is not None or metadata or write_record):
        return replace(base, action="refuse", reason=refusal, warnings=tuple(warnings))
    changed = version is not None or bool(metadata) or write_record or check_build
    return replace(
        base,
        action="update" if changed else "unchanged",
        metadata=metadata,
        version=version,
        write_record=write_record,
        check_build=check_build,
        warnings=tuple(warnings),
    )


def build_plan(
    specs: Iterable[TaskSpec],
    remote: RemoteState,
    diffs: Mapping[str, FileDiff],
    environment_ids: Mapping[str, str],
    context: PlanContext,
    *,
    refusals: Mapping[str, str] | None = None,
    failed_builds: frozenset[str] = frozenset(),
    in_scope: Callable[[str], bool] | None = None,
) -> Plan:
    """The whole plan. in_scope limits deletions to the keys of this shard (None: every key)."""
    refusals = refusals or {}
    tasks: list[TaskPlan] = []
    local_keys: set[str] = set()
    for spec in sorted(specs, key=lambda s: s.key):
        local_keys.add(spec.key)
        tasks.append(
            plan_task(
                spec,
                remote.tasks.get(spec.key),
                diffs.get(spec.key, FileDiff()),
                environment_ids[spec.key],
                context,
                refusal=refusals.get(spec.key),
                build_failed=spec.key in failed_builds,
            )
        )
    for key in sorted(set(remote.tasks) - local_keys):
        if in_scope is not None and not in_scope(key):
            continue
        gone = remote.tasks[key]
        if context.allow_delete and key in refusals:
            tasks.append(
                TaskPlan(
                    key=key, action="refuse", name=gone.task.name, remote=gone, reason=refusals[key]
                )
            )
            continue
        warnings = () if context.allow_delete else ("kept: pass --allow-delete to delete it",)
        tasks.append(
            TaskPlan(
                key=key,
                action="delete",
                name=gone.task.name,
                remote=gone,
                delete=context.allow_delete,
                reason="its manifest is gone from the repository",
                warnings=warnings,
            )
        )
    for dup in remote.duplicates:
        if in_scope is not None and not in_scope(dup.key):
            continue
        kept = remote.tasks[dup.key].task.id
        # a race of two runs or a copy made in DataRobot (copies keep the marker): the oldest
        # is always the one synced; the other goes only when deleting is allowed
        tasks.append(
            TaskPlan(
                key=dup.key,
                action="delete",
                name=dup.task.name,
                remote=dup,
                delete=context.allow_delete,
                reason=(
                    f"duplicate: task {dup.task.id} carries the same key (two runs at once, or a "
                    f"copy made in DataRobot); syncing the oldest ({kept})"
                ),
                warnings=(
                    ()
                    if context.allow_delete
                    else (
                        f"duplicate task {dup.task.id} kept: pass --allow-delete to delete it, "
                        "or remove the ctask-sync line from its description to release it",
                    )
                ),
            )
        )
    return Plan(context=context, tasks=tuple(tasks))
