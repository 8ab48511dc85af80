"""Custom task endpoints: list, create, get, update, delete, copy, download."""

from __future__ import annotations

import copy
from typing import Any

from werkzeug.wrappers import Request, Response

from ctask_sync.emulator.access import owner_entry
from ctask_sync.emulator.archives import version_zip
from ctask_sync.emulator.blueprint_json import blueprints_using
from ctask_sync.emulator.context import Context, find_task
from ctask_sync.emulator.ids import new_id
from ctask_sync.emulator.model import TaskRecord
from ctask_sync.emulator.seed import USER_ID
from ctask_sync.emulator.views import task_json
from ctask_sync.emulator.web import (
    ApiFailure,
    json_body,
    json_response,
    no_content,
    paged_encoded,
)

# The 3.20 client's CUSTOM_TASK_TARGET_TYPE.ALL; the server's own allow-list is unpublished.
TARGET_TYPES = ("Binary", "Regression", "Multiclass", "Anomaly", "Transform", "TextGeneration")
ORDER_BY = ("created", "-created", "updated", "-updated")
MAX_PAGE_LIMIT = 1000


def _string(data: dict[str, Any], name: str, *, required: bool = False) -> str | None:
    value = data.get(name)
    if value is None:
        if required:
            raise ApiFailure(422, f"Invalid field {name}", errors={name: "this field is required"})
        return None
    if not isinstance(value, str):
        raise ApiFailure(422, f"Invalid field {name}", errors={name: "must be a string"})
    if required and not value.strip():
        raise ApiFailure(422, f"Invalid field {name}", errors={name: "must not be blank"})
    return value


def _memory(data: dict[str, Any]) -> int | None:
    value = data.get("maximumMemory")
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ApiFailure(
            422,
            "Invalid field maximumMemory",
            errors={"maximumMemory": "must be a positive integer (bytes)"},
        )
    return value


def list_tasks(ctx: Context, request: Request) -> Response:
    """GET customTasks/: searchFor, orderBy, offset, limit."""
    order = request.args.get("orderBy", "-created")
    if order not in ORDER_BY:
        raise ApiFailure(
            400,
            "Invalid query parameter orderBy",
            errors={"orderBy": f"{order!r} is not one of {', '.join(ORDER_BY)}"},
        )
    needle = request.args.get("searchFor", "").lower()
    with ctx.store.read() as state:
        listing = ctx.store.listing
        # Filtering the sorted list keeps its order, so one cached sort serves every search.
        tasks = listing.ordered(state, order)
        if needle:
            tasks = [
                t
                for t in tasks
                if needle in t.name.lower()
                or needle in t.description.lower()
                or needle in t.language.lower()
            ]
        return paged_encoded(
            request,
            tasks,
            lambda task: listing.encoded(task, task_json),
            default_limit=ctx.settings.default_page_limit,
            max_limit=MAX_PAGE_LIMIT,
        )


def create_task(ctx: Context, request: Request) -> Response:
    """POST customTasks/ -> 201 with latestVersion null."""
    data = json_body(request)
    name = _string(data, "name", required=True)
    target = _string(data, "targetType", required=True)
    if target not in TARGET_TYPES:
        raise ApiFailure(
            422,
            "Invalid field targetType",
            errors={"targetType": f"{target!r} is not one of {', '.join(TARGET_TYPES)}"},
        )
    calibrate = data.get("calibratePredictions", True)
    if not isinstance(calibrate, bool):
        raise ApiFailure(
            422,
            "Invalid field calibratePredictions",
            errors={"calibratePredictions": "must be a boolean"},
        )
    now = ctx.clock()
    task = TaskRecord(
        id=new_id(),
        name=name or "",
        target_type=target or "",
        language=_string(data, "language") or "",
        description=_string(data, "description") or "",
        created_by=ctx.settings.username,
        created=now,
        updated=now,
        calibrate_predictions=calibrate,
        maximum_memory=_memory(data),
        access=[owner_entry(USER_ID)],
    )
    with ctx.store.write(task=task.id) as state:
        state.tasks[task.id] = task
        return json_response(task_json(task), 201)


def get_task(ctx: Context, request: Request, task_id: str) -> Response:
    """GET customTasks/{id}/."""
    with ctx.store.read() as state:
        return json_response(task_json(find_task(state, task_id)))


def update_task(ctx: Context, request: Request, task_id: str) -> Response:
    """PATCH customTasks/{id}/ -> 201 (as documented) with the full task."""
    data = json_body(request)
    name = _string(data, "name")
    if name is not None and not name.strip():
        raise ApiFailure(422, "Invalid field name", errors={"name": "must not be blank"})
    language = _string(data, "language")
    description = _string(data, "description")
    memory = _memory(data)
    with ctx.store.write(task=task_id) as state:
        task = find_task(state, task_id)
        if name is not None:
            task.name = name
        if language is not None:
            task.language = language
        if description is not None:
            task.description = description
        if memory is not None:
            task.maximum_memory = memory
        task.updated = ctx.clock()
        return json_response(task_json(task), 201)


def delete_task(ctx: Context, request: Request, task_id: str) -> Response:
    """DELETE customTasks/{id}/ -> 204, or 409 while a user blueprint (or, as the admin API
    says, a model or deployment) uses the task; the body links to the conflicts."""
    api = f"{request.url_root}api/v2"
    with ctx.store.write(task=task_id) as state:
        task = find_task(state, task_id)
        conflicts: list[dict[str, str]] = [
            {"type": "userBlueprint", "id": b.id, "url": f"{api}/userBlueprints/{b.id}/"}
            for b in blueprints_using(state, task_id)
        ]
        if task.in_use:
            # UNCONFIRMED: the emulator has no models or deployments to point at.
            conflicts.append(
                {"type": "model", "id": task_id, "url": f"{api}/customTasks/{task_id}/"}
            )
        if conflicts:
            kinds = ", ".join(sorted({c["type"] for c in conflicts}))
            raise ApiFailure(
                409,
                f"Custom task {task_id} cannot be deleted: it is in use ({len(conflicts)} "
                f"{kinds}). Delete the blueprints, models and deployments that use it first.",
                extra={"conflicts": conflicts},
            )
        del state.tasks[task_id]
        return no_content()


def copy_task(ctx: Context, request: Request) -> Response:
    """POST customTasks/fromCustomTask/: a complete copy with new task, version and item ids."""
    data = json_body(request)
    source_id = _string(data, "customTaskId", required=True) or ""
    now = ctx.clock()
    copy_id = new_id()
    with ctx.store.write(task=copy_id) as state:
        source = state.tasks.get(source_id)
        if source is None:
            raise ApiFailure(
                422,
                f"Custom task {source_id} was not found",
                errors={"customTaskId": "no such custom task"},
            )
        task = copy.deepcopy(source)
        task.id = copy_id
        task.created = task.updated = now
        task.in_use = False
        task.created_by = ctx.settings.username
        task.access = [owner_entry(USER_ID)]
        for version in task.versions:
            version.id = new_id()
            version.custom_task_id = task.id
            version.build = None
            for item in version.items:
                item.id = new_id()
        state.tasks[task.id] = task
        return json_response(task_json(task), 201)


def download_task(ctx: Context, request: Request, task_id: str) -> Response:
    """GET customTasks/{id}/download/: the latest version as a zip."""
    with ctx.store.read() as state:
        task = find_task(state, task_id)
        latest = task.latest
        if latest is None:
            raise ApiFailure(404, f"Custom task {task_id} has no versions to download")
        body = version_zip(latest, ctx.store.blobs.get)
    return zip_response(body, task_id, latest.id)


def zip_response(body: bytes, task_id: str, version_id: str) -> Response:
    """A zip download with DataRobot's Content-Disposition (no space after the semicolon)."""
    return Response(
        body,
        headers={
            "Content-Type": "application/zip",
            "Content-Disposition": f"attachment;filename=model-{task_id}-version-{version_id}.zip",
        },
    )
