"""Applying the consumer and sharing steps: move blueprint pins to a new version, reconcile
the access list, and word a deletion that DataRobot refused because something uses the task."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from ctask_sync.datarobot.access import AccessChange
from ctask_sync.datarobot.blueprints import parse_conflicts, repin
from ctask_sync.datarobot.client import DataRobotClient
from ctask_sync.engine.consumers import BlueprintUpdate, read_grants
from ctask_sync.engine.model import RemoteVersion
from ctask_sync.engine.sharing import ShareChange, plan_share
from ctask_sync.engine.steps import ShareTask, UpdateBlueprints
from ctask_sync.errors import ApiError, CtaskSyncError

Log = Callable[[str], None]


@dataclass(frozen=True)
class Shared:
    """What a ShareTask did: the changes sent and the usernames to record."""

    changes: tuple[ShareChange, ...]
    recorded: tuple[str, ...]
    warnings: tuple[str, ...] = ()


def share(
    client: DataRobotClient,
    key: str,
    task_id: str,
    step: ShareTask,
    *,
    recorded: tuple[str, ...],
    creator: str | None,
    log: Log,
) -> Shared:
    """Read the access list again (the plan's view may be stale, or the task new) and send
    the changes still needed in one PATCH."""
    planned = plan_share(step.wanted, read_grants(client, task_id), recorded, creator=creator)
    if planned.changes:
        client.share_custom_task(
            task_id, [AccessChange(c.username, c.role, c.can_share) for c in planned.changes]
        )
        for change in planned.changes:
            log(f"  ~ {key}: {change.describe()}")
    return Shared(planned.changes, planned.recorded, planned.warnings)


def follow(
    client: DataRobotClient,
    key: str,
    task_id: str,
    version: RemoteVersion,
    step: UpdateBlueprints,
    log: Log,
) -> tuple[list[BlueprintUpdate], list[str]]:
    """Re-pin each planned blueprint from the task's previous versions to `version`; read
    afresh so a blueprint edited since the plan keeps its other changes. Returns what was
    updated and one message per blueprint that could not be."""
    done: list[BlueprintUpdate] = []
    failed: list[str] = []
    for update in step.updates:
        try:
            current = client.get_user_blueprint(update.blueprint_id)
            old = frozenset(
                u.version_id
                for u in current.custom_task_versions
                if u.custom_task_id == task_id and u.version_id != version.id
            )
            tasks = current.blueprint or ()
            moved = repin(tasks, old, version.id)
            if moved == tasks:
                continue  # nothing pins a previous version any more
            client.update_user_blueprint(update.blueprint_id, moved)
        except CtaskSyncError as exc:
            failed.append(f"user blueprint {update.blueprint_id} ({update.blueprint_name}): {exc}")
            continue
        updated = BlueprintUpdate(
            update.blueprint_id,
            update.blueprint_name,
            update.old_version_ids,
            update.old_labels,
            version.label,
        )
        done.append(updated)
        log(
            f"  ~ {key}: user blueprint {update.blueprint_id} ({update.blueprint_name}): "
            f"{', '.join(update.old_labels)} -> {version.label}"
        )
    return done, failed


def in_use_error(task_id: str, error: ApiError, names: Mapping[str, str]) -> CtaskSyncError:
    """A 409 on DELETE, worded with what uses the task (names: blueprint id -> name)."""
    conflicts = parse_conflicts(error.body)
    if not conflicts:
        return error
    shown = []
    for c in conflicts:
        if c.type == "userBlueprint":
            name = f" ({names[c.id]})" if c.id is not None and c.id in names else ""
            shown.append(f"user blueprint {c.id}{name}")
        else:
            shown.append(f"{c.type} {c.id or c.url or ''}".strip())
    return CtaskSyncError(
        f"DataRobot refused to delete task {task_id} (HTTP 409): it is still used by "
        + ", ".join(shown),
        hint="make those blueprints use another task (or delete them), then run again",
    )
