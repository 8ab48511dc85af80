"""Taking over tasks made outside ctask-sync (`adopt:`), and never silently beside them.

A manifest's `adopt: <task id>` makes that task the key's remote task before planning, so the
plan writes its marker and sync record (and a new version only when files or settings differ).
A task to create whose name and target type match a task this namespace does not own gets a
warning naming it; apply refuses to create it unless allowed explicitly."""

from __future__ import annotations

import re
from collections.abc import Iterable

from msgspec.structs import replace

from ctask_sync.engine.model import RemoteCustomTask
from ctask_sync.engine.plan import TARGET_TYPES
from ctask_sync.engine.remote import RemoteState, RemoteTask, owner_of
from ctask_sync.engine.steps import Plan, Refuse, TaskPlan
from ctask_sync.engine.syncrecord import latest_record
from ctask_sync.manifest.spec import TaskSpec

ALLOW_FLAG = "--allow-duplicate-name"


def _refusal(spec: TaskSpec, state: RemoteState) -> str | None:
    """Why spec's `adopt:` cannot be honoured, or None when it can (or is a no-op)."""
    wanted = spec.adopt
    assert wanted is not None
    for task in [*state.tasks.values(), *state.duplicates]:
        if task.task.id == wanted and task.key != spec.key:
            return f"adopt: task {wanted} is already synced by this namespace as key {task.key}"
    for task in state.other_roots:
        if task.task.id == wanted:
            return (
                f"adopt: task {wanted} is synced from root '{task.root}' of namespace "
                f"{state.namespace}; only a task no namespace owns can be adopted"
            )
    for foreign in state.foreign:
        if foreign.id != wanted:
            continue
        owner = owner_of(foreign, latest_record(foreign))
        if owner is not None:
            return (
                f"adopt: task {wanted} is owned by namespace {owner.namespace} (key {owner.key}); "
                "only a task no namespace owns can be adopted: sync it from that namespace, or "
                "remove `adopt:` to create a new task"
            )
        return None
    return (
        f"adopt: task {wanted} is not in DataRobot (or this token cannot see it): check the id "
        "(`ctask-sync import` writes it), or remove `adopt:` to create a new task"
    )


def adopt(specs: Iterable[TaskSpec], state: RemoteState) -> dict[str, str]:
    """Make each adopted task its key's remote task in state (in place); returns refusals by key.

    `adopt:` on a key this namespace already syncs to that very task is a no-op; to another task
    it is refused, as is a task owned by another namespace or root, or one that is not there."""
    refusals: dict[str, str] = {}
    for spec in specs:
        if spec.adopt is None:
            continue
        current = state.tasks.get(spec.key)
        if current is not None:
            if current.task.id != spec.adopt:
                refusals[spec.key] = (
                    f"adopt: {spec.adopt}, but key {spec.key} is already synced to task "
                    f"{current.task.id}: remove `adopt:` from the manifest, or delete one of them"
                )
            continue
        refusal = _refusal(spec, state)
        if refusal is not None:
            refusals[spec.key] = refusal
            continue
        task = next(t for t in state.foreign if t.id == spec.adopt)
        state.foreign.remove(task)
        state.tasks[spec.key] = RemoteTask(
            task=task, key=spec.key, record=latest_record(task), marker_ok=False, adopting=True
        )
    return refusals


def _same_kind(task: RemoteCustomTask, spec: TaskSpec) -> bool:
    wanted = TARGET_TYPES[spec.target_type].lower()
    return task.name == spec.name and task.target_type.lower() == wanted


def _preview_of(namespace: str, base: str) -> bool:
    return re.fullmatch(re.escape(base) + r"/pr-[0-9]+", namespace) is not None


def _stands_apart(task: RemoteCustomTask, namespace: str) -> bool:
    """A task of this namespace's pull-request previews (or of the namespace a preview is
    of): same names there are the point of previews, not a silent duplicate."""
    owner = owner_of(task, latest_record(task))
    return owner is not None and (
        _preview_of(owner.namespace, namespace) or _preview_of(namespace, owner.namespace)
    )


def namesakes(plan: Plan, state: RemoteState) -> dict[str, list[RemoteCustomTask]]:
    """key -> tasks this namespace does not own that a create of key would stand beside."""
    foreign = [t for t in state.foreign if not _stands_apart(t, state.namespace)]
    others = [*foreign, *(t.task for t in state.other_roots)]
    found: dict[str, list[RemoteCustomTask]] = {}
    for task in plan.tasks:
        if task.action != "create" or task.spec is None:
            continue
        matches = sorted((t for t in others if _same_kind(t, task.spec)), key=lambda t: t.id)
        if matches:
            found[task.key] = matches
    return found


def _describe(spec: TaskSpec, tasks: list[RemoteCustomTask]) -> str:
    ids = ", ".join(t.id for t in tasks)
    first = tasks[0].id
    return (
        f"a {spec.target_type} task named {spec.name!r} already exists that this namespace "
        f"does not own ({ids}): to bring it under git, run `ctask-sync import --task-id {first}` "
        f"or add `adopt: {first}` to the manifest; to create a second one anyway, pass "
        f"{ALLOW_FLAG} to apply"
    )


def warn_namesakes(plan: Plan, found: dict[str, list[RemoteCustomTask]]) -> Plan:
    """plan with a warning on every create that stands beside a namesake."""
    tasks = tuple(
        replace(t, warnings=(*t.warnings, _describe(t.spec, found[t.key])))
        if t.key in found and t.spec is not None
        else t
        for t in plan.tasks
    )
    return replace(plan, tasks=tasks)


def refuse_namesakes(plan: Plan, found: dict[str, list[RemoteCustomTask]]) -> Plan:
    """plan where every create beside a namesake is refused (apply without the flag)."""

    def refused(task: TaskPlan) -> TaskPlan:
        if task.key not in found or task.spec is None:
            return task
        reason = _describe(task.spec, found[task.key])
        kept = tuple(w for w in task.warnings if w != reason)
        return replace(task, steps=(Refuse(reason),), warnings=kept)

    return replace(plan, tasks=tuple(refused(t) for t in plan.tasks))
