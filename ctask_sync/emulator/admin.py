"""The emulator's own admin API under /_emulator (no auth, not logged, not DataRobot's API)."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request, Response

from ctask_sync.emulator.blueprint_json import blueprint_json, referenced_task_ids
from ctask_sync.emulator.context import find_task, find_version
from ctask_sync.emulator.seed import USER_ID, user_id_for
from ctask_sync.emulator.web import ApiFailure, json_response, no_content

if TYPE_CHECKING:
    from ctask_sync.emulator.app import EmulatorApp

_IN_USE = re.compile(r"^/_emulator/customTasks/([^/]+)/inUse/?$")
_FREEZE = re.compile(r"^/_emulator/customTasks/([^/]+)/versions/([^/]+)/freeze/?$")


def _json(request: Request) -> dict[str, Any]:
    raw = request.get_data()
    if not raw:
        return {}
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ApiFailure(400, f"Admin request body is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise ApiFailure(400, "Admin request body must be a JSON object")
    return data


def dispatch(app: EmulatorApp, request: Request) -> Response:
    """Route one admin request."""
    path = request.path.rstrip("/")
    method = request.method
    if path == "/_emulator/requests":
        if method == "GET":
            return json_response({"requests": app.log.snapshot()})
        if method == "DELETE":
            app.log.clear()
            return no_content()
    elif path == "/_emulator/reset" and method == "POST":
        app.ctx.store.reset()
        app.log.clear()
        app.faults.clear()
        return no_content()
    elif path == "/_emulator/faults":
        if method == "POST":
            try:
                rule = app.faults.add(_json(request))
            except ValueError as exc:
                raise ApiFailure(400, f"Invalid fault rule: {exc}") from exc
            return json_response({"id": rule.id}, 201)
        if method == "DELETE":
            app.faults.clear()
            return no_content()
    elif path == "/_emulator/settings":
        if method == "GET":
            return json_response(app.ctx.settings.live_view())
        if method == "PATCH":
            try:
                app.ctx.settings = app.ctx.settings.with_changes(_json(request))
            except ValueError as exc:
                raise ApiFailure(400, f"Invalid settings: {exc}") from exc
            return json_response(app.ctx.settings.live_view())
    elif path == "/_emulator/users":
        return _users(app, request)
    elif path == "/_emulator/userBlueprints" and method == "GET":
        return _blueprints(app)
    elif (match := _IN_USE.match(request.path)) and method == "POST":
        in_use = _json(request).get("in_use", True)
        if not isinstance(in_use, bool):
            raise ApiFailure(400, "in_use must be true or false")
        with app.ctx.store.write(task=match.group(1)) as state:
            find_task(state, match.group(1)).in_use = in_use
        return json_response({"id": match.group(1), "in_use": in_use})
    elif (match := _FREEZE.match(request.path)) and method == "POST":
        with app.ctx.store.write(task=match.group(1)) as state:
            find_version(state, match.group(1), match.group(2))[1].is_frozen = True
        return json_response({"id": match.group(2), "isFrozen": True})
    raise ApiFailure(404, f"No admin endpoint {method} {request.path}")


def _users(app: EmulatorApp, request: Request) -> Response:
    """GET lists the directory; POST {"username"} adds a user (201, or 200 if known)."""
    if request.method == "GET":
        with app.ctx.store.read() as state:
            users = [
                {"id": i, "username": n, "isTokenOwner": i == USER_ID}
                for i, n in state.users.items()
            ]
        return json_response({"users": users})
    if request.method != "POST":
        raise ApiFailure(404, f"No admin endpoint {request.method} {request.path}")
    username = _json(request).get("username")
    if not isinstance(username, str) or not username.strip():
        raise ApiFailure(400, "username must be a non-empty string")
    with app.ctx.store.write(users=True) as state:
        known = username in state.users.values()
        user_id = next((i for i, n in state.users.items() if n == username), user_id_for(username))
        state.users[user_id] = username
    return json_response({"id": user_id, "username": username}, 200 if known else 201)


def _blueprints(app: EmulatorApp) -> Response:
    """Every user blueprint as the API renders it decompressed, plus the custom task ids it
    uses (what makes those tasks undeletable)."""
    with app.ctx.store.read() as state:
        body = [
            {
                **blueprint_json(state, b, decompressed=True),
                "customTaskIds": sorted(referenced_task_ids(state, b)),
            }
            for b in state.blueprints.values()
        ]
    return json_response({"userBlueprints": body})
