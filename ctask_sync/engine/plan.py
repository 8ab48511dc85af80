"""desired + remote -> Plan. Pure: no I/O, tested with plain values.

Everything that needs the network or git (file diffs, late-run checks, build states,
environment names) is worked out before, in detect.py, and handed in as values."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from operator import attrgetter
from pathlib import Path

from msgspec.structs import replace

from ctask_sync.engine.model import BuildStatus, Detected, FileDiff, RemoteVersion
from ctask_sync.engine.remote import RemoteState, RemoteTask, user_description
from ctask_sync.engine.steps import (
    AwaitBuild,
    CreateTask,
    CreateVersion,
    DeleteTask,
    FieldChange,
    Keep,
    Plan,
    PlanContext,
    RecordBuildOutcome,
    Refuse,
    StartBuild,
    Step,
    TaskPlan,
    UpdateTask,
    WriteRecord,
)
from ctask_sync.engine.syncrecord import SyncRecord, record_folder
from ctask_sync.manifest.spec import TaskSpec
from ctask_sync.manifest.vocabulary import TargetType

# The manifest speaks lower case; DataRobot's API names target types in title case.
TARGET_TYPES: dict[TargetType, str] = {
    "binary": "Binary",
    "regression": "Regression",
    "multiclass": "Multiclass",
    "anomaly": "Anomaly",
    "transform": "Transform",
}
DELETE_HINT = "pass --allow-delete to delete it (never on a pull request)"
_NO_DIFF = FileDiff()  # frozen: one value serves every task detection left without a diff


def wants_build(spec: TaskSpec, dependencies: Collection[str]) -> bool:
    """Whether a version of spec with these dependencies needs a dependency build.

    DataRobot refuses to build a version without dependencies; `never` opts out. A version
    with dependencies cannot be used until its build has succeeded."""
    return bool(dependencies) and spec.dependency_build != "never"


def _settings_changes(
    spec: TaskSpec, environment_id: str, latest: RemoteVersion
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
    if latest.required_metadata != spec.required_metadata:
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


def _field_changes(
    spec: TaskSpec,
    remote: RemoteTask,
    environment_id: str,
    steps: list[Step],
    environment_names: Mapping[str, str],
) -> tuple[FieldChange, ...]:
    """Old -> new of every field the steps change: task metadata, and the version-level
    settings when a new version is made from a previous one."""
    if not steps:
        return ()  # most tasks of a run are in sync: nothing changes, nothing to read
    changes: list[FieldChange] = []
    update = next((s for s in steps if isinstance(s, UpdateTask)), None)
    if update is not None:
        old_task = {
            "name": remote.task.name,
            "description": user_description(remote.task.description),
            "language": remote.task.language or "",
        }
        for name in ("name", "description", "language"):
            if name in update.changes:
                changes.append(FieldChange(name, old_task[name], update.changes[name]))
    latest = remote.latest
    if latest is None or not any(isinstance(s, CreateVersion) for s in steps):
        return tuple(changes)
    for name in _settings_changes(spec, environment_id, latest)[0]:
        if name == "environment":
            old_id = latest.base_environment_id
            changes.append(
                FieldChange(
                    name,
                    old_id,
                    environment_id,
                    environment_names.get(old_id or ""),
                    environment_names.get(environment_id),
                )
            )
        elif name == "maximum_memory":
            changes.append(FieldChange(name, latest.maximum_memory, spec.maximum_memory))
        elif name == "outbound_network_policy":
            changes.append(
                FieldChange(name, latest.outbound_network_policy, spec.outbound_network_policy)
            )
        else:
            changes.append(
                FieldChange(name, dict(latest.required_metadata), dict(spec.required_metadata))
            )
    return tuple(changes)


def _new_version(
    spec: TaskSpec,
    environment_id: str,
    *,
    from_previous: bool,
    major: bool,
    reason: str,
    upload: tuple[str, ...],
    deletes: tuple[str, ...] = (),
) -> CreateVersion:
    return CreateVersion(
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


def _changed_version(
    spec: TaskSpec, latest: RemoteVersion, diff: FileDiff, environment_id: str, ctx: PlanContext
) -> CreateVersion | None:
    """The new version that files or version-level settings call for, if any."""
    setting_changes, env_changed = _settings_changes(spec, environment_id, latest)
    if diff.empty and not setting_changes:
        return None
    reasons = ["files changed"] if not diff.empty else []
    reasons.extend(f"{name} changed" for name in setting_changes)
    major, why = False, ", ".join(reasons)
    if env_changed:
        major, why = True, "the environment changed"
    elif latest.is_frozen:
        major, why = True, f"version {latest.label} is frozen"
    elif ctx.major:
        major, why = True, "release" + (f" {ctx.tag}" if ctx.tag else "")
    items = {item.file_path: item.id for item in latest.items}
    return _new_version(
        spec,
        environment_id,
        from_previous=True,
        major=major,
        reason=why,
        upload=tuple(sorted((*diff.added, *diff.changed))),
        deletes=tuple(items[p] for p in sorted(diff.removed) if p in items),
    )


def _build_steps(build: BuildStatus | None) -> list[Step]:
    """What the latest version's dependency build needs: a failed or never-started build is
    started, a running one awaited."""
    if build == "failed":
        return [StartBuild(retry=True)]
    if build == "missing":
        return [StartBuild()]
    if build == "running":
        return [AwaitBuild()]
    return []


def _version_steps(spec: TaskSpec, version: CreateVersion) -> list[Step]:
    """A new version, its build (started when DataRobot finds dependencies), its record."""
    build: list[Step] = [StartBuild()] if spec.dependency_build != "never" else []
    return [version, *build, WriteRecord("new version")]


def _existing_steps(
    spec: TaskSpec,
    remote: RemoteTask,
    diff: FileDiff,
    environment_id: str,
    context: PlanContext,
    build: BuildStatus | None,
) -> tuple[list[Step], BuildStatus | None]:
    """Steps for a task DataRobot already holds, and what is known of the build they keep."""
    steps: list[Step] = []
    metadata = _metadata_changes(spec, remote)
    if not remote.marker_ok:
        # the marker goes back with the description (the user's text as the manifest has it)
        metadata.setdefault("description", user_description(spec.description))
    if metadata:
        steps.append(UpdateTask(metadata))
    latest = remote.latest
    if latest is None:
        first = _new_version(
            spec,
            environment_id,
            from_previous=False,
            major=False,
            reason="first: the task had no version",
            upload=tuple(f.path for f in spec.files),
        )
        return [*steps, *_version_steps(spec, first)], None
    version = _changed_version(spec, latest, diff, environment_id, context)
    if version is not None:
        return [*steps, *_version_steps(spec, version)], None
    if not wants_build(spec, latest.dependencies):
        build = None
    builds = _build_steps(build)
    steps.extend(builds)
    record = remote.record
    if record is None:
        steps.append(WriteRecord("no record"))
    elif context.tag and record.tag != context.tag:
        steps.append(WriteRecord("release tag"))  # a release tag is recorded on every version
    elif any(isinstance(s, StartBuild) for s in builds):
        steps.append(WriteRecord("dependency build"))
    elif _moved(spec, record, context):
        steps.append(WriteRecord("task folder moved"))
    elif build == "success" and record.build_outcome != "success":
        steps.append(RecordBuildOutcome("success"))
    return steps, build


def _moved(spec: TaskSpec, record: SyncRecord, context: PlanContext) -> bool:
    """Whether the record names another task folder than the manifest's. `deletable` scopes a
    deletion by the recorded folder: a stale one would let a run in the old folder delete the
    task once its manifest is gone, and one in the new folder miss it."""
    if context.root_dir is None or record.folder is None:
        return False  # records written before folders were recorded stay as they are
    return record.folder != record_folder(spec.folder, Path(context.root_dir))


def _ownership_note(remote: RemoteTask) -> str:
    if remote.adopting:
        return (
            f"adopt: task {remote.task.id} is taken over (ownership marker and sync record "
            "written; a new version only if files or settings differ)"
        )
    return (
        "drift: marker removed or changed outside git (the sync record of the newest version "
        "that has one names this namespace and key); apply restores it"
    )


def plan_task(
    spec: TaskSpec,
    remote: RemoteTask | None,
    diff: FileDiff,
    environment_id: str,
    context: PlanContext,
    *,
    refusal: str | None = None,
    build: BuildStatus | None = None,
    warnings: tuple[str, ...] = (),
    environment_names: Mapping[str, str] | None = None,
) -> TaskPlan:
    """The plan for one task present in the repository. build is what detection learnt of the
    latest version's dependency build (None: it needs none, or it is recorded as a success)."""

    # one TaskPlan per task, made once: build_plan makes 10,000 of them in a large run
    def made(
        steps: tuple[Step, ...],
        *,
        watched: BuildStatus | None = None,
        notes: tuple[str, ...] = (),
        fields: tuple[FieldChange, ...] = (),
    ) -> TaskPlan:
        return TaskPlan(
            key=spec.key,
            name=spec.name,
            steps=steps,
            spec=spec,
            remote=remote,
            diff=diff,
            build=watched,
            warnings=notes,
            field_changes=fields,
        )

    if remote is None and refusal:  # e.g. an `adopt:` that cannot be honoured
        return made((Refuse(refusal),))
    if remote is None:
        # DataRobot numbers a task's first version 1.0 whether or not it is "major"
        first = _new_version(
            spec,
            environment_id,
            from_previous=False,
            major=False,
            reason="first",
            upload=tuple(f.path for f in spec.files),
        )
        return made((CreateTask(), *_version_steps(spec, first)))

    wanted_type = TARGET_TYPES[spec.target_type]
    # DataRobot answers in its own spelling; lower() only when that is not what it says
    if remote.task.target_type != wanted_type and (
        remote.task.target_type.lower() != wanted_type.lower()
    ):
        reason = (
            f"target_type is {remote.task.target_type} in DataRobot and {spec.target_type} in "
            "the manifest; DataRobot cannot change a task's target type: give the task a new "
            "key (a new task) or delete the old one"
        )
        return made((Refuse(reason),))

    notes = list(warnings)
    if not remote.marker_ok:
        notes.append(_ownership_note(remote))
    if remote.latest is not None and remote.record is None and not remote.adopting:
        notes.append(
            f"drift: latest version {remote.latest.label} carries no ctask-sync record (made by "
            "hand or an interrupted run); its contents were compared file by file"
        )
    steps, watched = _existing_steps(spec, remote, diff, environment_id, context, build)
    if refusal and any(isinstance(s, UpdateTask | CreateVersion | WriteRecord) for s in steps):
        return made((Refuse(refusal),), notes=tuple(notes))
    fields = _field_changes(spec, remote, environment_id, steps, environment_names or {})
    return made(tuple(steps), watched=watched, notes=tuple(notes), fields=fields)


def _gone(key: str, gone: RemoteTask, context: PlanContext, refusal: str | None) -> TaskPlan:
    """A task whose manifest is gone from the repository."""
    base = TaskPlan(key=key, name=gone.task.name, remote=gone)
    reason = "its manifest is gone from the repository"
    if context.allow_delete and refusal:
        return replace(base, steps=(Refuse(refusal),))
    if context.allow_delete:
        return replace(base, steps=(DeleteTask(reason),))
    return replace(base, steps=(Keep(reason, hint=DELETE_HINT),))


def _duplicate(dup: RemoteTask, kept: str, context: PlanContext) -> TaskPlan:
    # a race of two runs or a copy made in DataRobot (copies keep the marker): the oldest
    # is always the one synced; the other goes only when deleting is allowed
    base = TaskPlan(key=dup.key, name=dup.task.name, remote=dup)
    reason = (
        f"duplicate: task {dup.task.id} carries the same key (two runs at once, or a "
        f"copy made in DataRobot); syncing the oldest ({kept})"
    )
    if context.allow_delete:
        return replace(base, steps=(DeleteTask(reason),))
    hint = f"{DELETE_HINT}, or remove the ctask-sync line from its description to release it"
    return replace(base, steps=(Keep(reason, hint=hint),))


def build_plan(
    specs: Iterable[TaskSpec],
    remote: RemoteState,
    detected: Detected,
    environment_ids: dict[str, str],
    context: PlanContext,
    *,
    in_scope: Callable[[str], bool] | None = None,
    environment_names: Mapping[str, str] | None = None,
) -> Plan:
    """The whole plan. in_scope limits deletions to the keys of this shard (None: every key);
    environment_names (id -> name) lets the plan show an environment change by name."""
    tasks: list[TaskPlan] = []
    local_keys: set[str] = set()
    for spec in sorted(specs, key=attrgetter("key")):
        local_keys.add(spec.key)
        tasks.append(
            plan_task(
                spec,
                remote.tasks.get(spec.key),
                detected.diffs.get(spec.key, _NO_DIFF),
                environment_ids[spec.key],
                context,
                refusal=detected.refusals.get(spec.key),
                build=detected.builds.get(spec.key),
                environment_names=environment_names,
            )
        )
    for key in sorted(set(remote.tasks) - local_keys):
        if in_scope is None or in_scope(key):
            tasks.append(_gone(key, remote.tasks[key], context, detected.refusals.get(key)))
    for dup in remote.duplicates:
        if in_scope is None or in_scope(dup.key):
            tasks.append(_duplicate(dup, remote.tasks[dup.key].task.id, context))
    return Plan(context=context, tasks=tuple(tasks))
