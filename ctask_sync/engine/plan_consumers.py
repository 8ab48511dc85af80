"""The plan's consumer and sharing steps, added to a plan after build_plan. Pure: what
DataRobot holds (blueprints, access lists) is read beforehand and handed in.

- `blueprints: follow` (or `releases` on a tag run): a task that gets a new version also gets
  UpdateBlueprints for each blueprint pinning one of its previous versions.
- `share:`: ShareTask (and a record rewrite) when the access list differs or what ctask-sync
  manages in it changed.
- A planned deletion names the blueprints that block it (DataRobot would answer 409)."""

from __future__ import annotations

from collections.abc import Mapping

from msgspec.structs import replace

from ctask_sync.engine.consumers import Consumers, blockers, follows, next_label, plan_updates
from ctask_sync.engine.model import Grant, RemoteVersion
from ctask_sync.engine.sharing import plan_share
from ctask_sync.engine.steps import (
    DeleteTask,
    Keep,
    Plan,
    ShareTask,
    Step,
    TaskPlan,
    UpdateBlueprints,
    WriteRecord,
)


def _follows(task: TaskPlan, plan: Plan) -> bool:
    spec = task.spec
    return (
        spec is not None
        and task.remote is not None
        and task.version is not None
        and plan.context.touch_blueprints
        and follows(spec.blueprints, tag=plan.context.tag)
    )


def consumers_wanted(plan: Plan, *, asked: bool) -> dict[str, RemoteVersion | None]:
    """The tasks (id -> latest version) whose consumers this run must read: every synced task
    when asked (a flag), else those that follow with a new version or are to be deleted. An
    empty answer means no blueprint is read at all."""
    wanted: dict[str, RemoteVersion | None] = {}
    for task in plan.tasks:
        if task.remote is None:
            continue
        deleting = any(isinstance(s, DeleteTask) for s in task.steps)
        if asked or deleting or _follows(task, plan):
            wanted[task.remote.task.id] = task.remote.latest
    return wanted


def _with_blockers(step: Step, found: tuple[tuple[str, str], ...]) -> Step:
    if isinstance(step, DeleteTask | Keep):
        return replace(step, blockers=found)
    return step


def with_consumers(plan: Plan, consumers: Consumers, read: Mapping[str, object]) -> Plan:
    """The plan with what the consumers imply; `read` holds the ids of the tasks read."""
    tasks = []
    for task in plan.tasks:
        task_id = task.task_id
        if task_id is None or task_id not in read:
            tasks.append(task)
            continue
        uses = consumers.of(task_id)
        steps = [_with_blockers(s, blockers(uses)) for s in task.steps]
        version = task.version
        if version is not None and _follows(task, plan):
            label = next_label(task.remote.latest if task.remote else None, major=version.major)
            updates = plan_updates(uses, label)
            if updates:
                steps.append(UpdateBlueprints(updates))
        tasks.append(replace(task, steps=tuple(steps), consumers=uses))
    return replace(plan, tasks=tuple(tasks))


def preview_warnings(plan: Plan) -> Plan:
    """Say so where a preview leaves pinning blueprints alone."""
    if plan.context.touch_blueprints:
        return plan
    tasks = []
    for task in plan.tasks:
        if task.spec is not None and task.spec.blueprints != "leave" and task.version is not None:
            note = f"blueprints: {task.spec.blueprints} skipped: previews never change blueprints"
            task = replace(task, warnings=(*task.warnings, note))
        tasks.append(task)
    return replace(plan, tasks=tuple(tasks))


def _share_steps(task: TaskPlan, current: tuple[Grant, ...]) -> TaskPlan:
    spec = task.spec
    assert spec is not None and spec.share is not None
    record = task.remote.record if task.remote else None
    recorded = record.shared if record else ()
    creator = task.remote.task.created_by if task.remote else None
    planned = plan_share(spec.share, current, recorded, creator=creator)
    if not planned.changes and tuple(sorted(u.lower() for u in recorded)) == planned.recorded:
        return replace(task, warnings=(*task.warnings, *planned.warnings))
    steps = list(task.steps)
    share = ShareTask(wanted=spec.share, changes=planned.changes)
    at = next((i for i, s in enumerate(steps) if isinstance(s, WriteRecord)), None)
    if at is None:
        steps += [share, WriteRecord("shared users")]  # the record keeps who ctask-sync added
    else:
        steps.insert(at, share)
    return replace(task, steps=tuple(steps), warnings=(*task.warnings, *planned.warnings))


def with_sharing(plan: Plan, access: Mapping[str, tuple[Grant, ...]]) -> Plan:
    """The plan with a ShareTask for each task whose `share:` differs from its access list
    (key -> the list; a task to be created has only its creator, an OWNER)."""
    tasks = []
    for task in plan.tasks:
        spec = task.spec
        if spec is None or spec.share is None or task.action == "refuse":
            tasks.append(task)
            continue
        has_list = task.remote is not None and task.key in access
        if task.remote is not None and not has_list:
            tasks.append(task)
            continue
        tasks.append(_share_steps(task, access.get(task.key, ())))
    return replace(plan, tasks=tuple(tasks))
