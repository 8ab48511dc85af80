"""Render what a plan or a result says about a task's consumers and access list: the user
blueprints that use it, the pins that move, the access changes, what blocks a deletion."""

from __future__ import annotations

from typing import Any

from ctask_sync.engine.consumers import BlueprintUpdate, BlueprintUse
from ctask_sync.engine.sharing import ShareChange
from ctask_sync.engine.steps import TaskPlan


def blueprint(blueprint_id: str, name: str) -> str:
    return f"user blueprint {blueprint_id} ({name})" if name else f"user blueprint {blueprint_id}"


def update_text(update: BlueprintUpdate) -> str:
    return (
        f"move {blueprint(update.blueprint_id, update.blueprint_name)}: "
        f"{', '.join(update.old_labels)} -> {update.new_label}"
    )


def use_text(use: BlueprintUse) -> str:
    return f"used by {blueprint(use.blueprint_id, use.blueprint_name)}: {use.pinned}"


def blockers_text(blockers: tuple[tuple[str, str], ...]) -> str:
    names = ", ".join(blueprint(i, n) for i, n in blockers)
    return f"still used by {names}: DataRobot refuses the deletion (409) until they stop"


def parts(task: TaskPlan) -> list[str]:
    """What the one-line description adds: access changes and moved pins."""
    found = [c.describe() for c in task.share.changes] if task.share else []
    found += [update_text(u) for u in task.blueprint_updates]
    return found


def detail_lines(task: TaskPlan) -> list[str]:
    """The consumers read in this run, one line each (text output under the task)."""
    if not task.consumers:
        return []  # not read, or none: the common case, asked for each task
    return [use_text(u) for u in task.consumers]


def use_dict(use: BlueprintUse) -> dict[str, Any]:
    return {
        "blueprint_id": use.blueprint_id,
        "name": use.blueprint_name,
        "version_id": use.version_id,
        "version": use.pinned,
    }


def update_dict(update: BlueprintUpdate) -> dict[str, Any]:
    return {
        "blueprint_id": update.blueprint_id,
        "name": update.blueprint_name,
        "old_version_ids": list(update.old_version_ids),
        "old_versions": list(update.old_labels),
        "new_version": update.new_label,
    }


def change_dict(change: ShareChange) -> dict[str, Any]:
    return {
        "username": change.username,
        "action": change.action,
        "role": change.role,
        "can_share": change.can_share,
        "old_role": change.old_role,
    }


def plan_fields(task: TaskPlan) -> dict[str, Any]:
    """The plan JSON's consumer fields of one task."""
    return {
        "consumers": None if task.consumers is None else [use_dict(u) for u in task.consumers],
        "blueprint_updates": [update_dict(u) for u in task.blueprint_updates],
        "share_changes": [change_dict(c) for c in task.share.changes] if task.share else [],
        "blockers": [{"blueprint_id": i, "name": n} for i, n in task.blockers],
    }
