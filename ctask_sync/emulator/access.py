"""Access control of custom tasks: GET/PATCH customTasks/{id}/accessControl/ over the user
directory (docs/datarobot-api.md §7).

The directory is the token's owner plus the configured users (EmulatorSettings.users, and any
added through the admin API). The creator of a task is its OWNER."""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Request, Response

from ctask_sync.emulator.context import Context, find_task
from ctask_sync.emulator.model import State, TaskRecord
from ctask_sync.emulator.seed import USER_ID
from ctask_sync.emulator.web import ApiFailure, json_body, no_content, paged

# The 3.20 client's SHARING_ROLE; NO_ROLE (like a null role) removes a user's access.
ROLES = ("OWNER", "READ_WRITE", "USER", "EDITOR", "READ_ONLY", "CONSUMER")
REMOVE = (None, "NO_ROLE")
DEFAULT_LIMIT = 100
MAX_LIMIT = 1000


def owner_entry(user_id: str) -> dict[str, Any]:
    """The access entry the creator of a task gets."""
    return {"userId": user_id, "role": "OWNER", "canShare": True, "canUseData": True}


def _entries(task: TaskRecord) -> list[dict[str, Any]]:
    """The task's access list; a task persisted before access control existed has only its
    owner (the token's owner created everything then)."""
    return task.access or [owner_entry(USER_ID)]


def _fail(problem: str) -> ApiFailure:
    return ApiFailure(422, f"Invalid field data: {problem}", errors={"data": problem})


def get_access(ctx: Context, request: Request, task_id: str) -> Response:
    """GET customTasks/{id}/accessControl/: a page of {username, userId, role, canShare}."""
    with ctx.store.read() as state:
        task = find_task(state, task_id)
        names = state.users
        rows = [{"username": names.get(e["userId"], e["userId"]), **e} for e in _entries(task)]
        return paged(request, rows, dict, default_limit=DEFAULT_LIMIT, max_limit=MAX_LIMIT)


def _change(entry: object, usernames: dict[str, str]) -> tuple[str, dict[str, Any] | None]:
    """(user id, new entry or None to remove) from one element of `data`; 422 when invalid."""
    if not isinstance(entry, dict) or not isinstance(entry.get("username"), str):
        raise _fail(f"{entry!r} is not an object with a username")
    username = entry["username"]
    user_id = usernames.get(username)
    if user_id is None:
        raise ApiFailure(
            422, f"User {username} was not found", errors={"username": f"unknown user {username}"}
        )
    role = entry.get("role")
    if role in REMOVE:
        return user_id, None
    if role not in ROLES:
        raise _fail(f"role {role!r} is not one of {', '.join(ROLES)} or null")
    flags = {}
    for name in ("canShare", "canUseData"):
        value = entry.get(name, True)
        if not isinstance(value, bool):
            raise _fail(f"{name} must be true or false")
        flags[name] = value
    return user_id, {"userId": user_id, "role": role, **flags}


def _apply(state: State, task: TaskRecord, data: list[object]) -> list[dict[str, Any]]:
    usernames = {name: user_id for user_id, name in state.users.items()}
    access = {e["userId"]: e for e in _entries(task)}
    for entry in data:
        user_id, new = _change(entry, usernames)
        if new is None:
            access.pop(user_id, None)
        else:
            access[user_id] = new
    if not any(e["role"] == "OWNER" for e in access.values()):
        # UNCONFIRMED: DataRobot's own rule is unpublished, but an ownerless task could never
        # be shared or deleted again.
        raise ApiFailure(422, "A custom task must keep at least one OWNER")
    return list(access.values())


def patch_access(ctx: Context, request: Request, task_id: str) -> Response:
    """PATCH customTasks/{id}/accessControl/ with {"data": [{username, role, canShare?}]}: 204.
    The whole request is validated before anything changes."""
    data = json_body(request).get("data")
    if not isinstance(data, list) or not data:
        raise _fail("must be a non-empty list of {username, role, canShare} objects")
    with ctx.store.write(task=task_id) as state:
        task = find_task(state, task_id)
        task.access = _apply(state, task, data)
    return no_content()
