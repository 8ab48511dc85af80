"""User blueprints, the subset the official client uses with custom tasks: userBlueprints/ list,
create, get, PATCH, DELETE and userBlueprints/fromCustomTaskVersionId/ (docs/datarobot-api.md §9).

A blueprint task refers to a custom task through its `taskParameters` entry `version_id`: a
custom task version id, or `latest_<custom task id>` for whatever version is newest (the
blueprint workshop's convention). Such references make the custom task undeletable (409)."""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Request, Response

from ctask_sync.emulator.blueprint_json import blueprint_json, resolve
from ctask_sync.emulator.context import Context
from ctask_sync.emulator.ids import new_id
from ctask_sync.emulator.model import BlueprintRecord, State
from ctask_sync.emulator.seed import USER_ID
from ctask_sync.emulator.web import ApiFailure, json_body, json_response, no_content, paged

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
ALL_INPUTS = ["CAT", "DATE", "DATE_DURATION", "NUM", "TXT"]  # the client's fixture
_TASK_DATA_LISTS = (
    "outputMethodParameters",
    "taskParameters",
    "xTransformations",
    "yTransformations",
)


def _fail(field_name: str, problem: str) -> ApiFailure:
    return ApiFailure(422, f"Invalid field {field_name}: {problem}", errors={field_name: problem})


def _task(raw: object) -> dict[str, Any]:
    """One blueprint task, validated as the client's trafaret would, with list defaults."""
    if not isinstance(raw, dict) or not isinstance(raw.get("taskId"), str):
        raise _fail("blueprint", f"{raw!r} is not a task with a taskId")
    data = raw.get("taskData")
    if not isinstance(data, dict):
        raise _fail("blueprint", f"task {raw['taskId']} has no taskData object")
    code, inputs, method = data.get("taskCode"), data.get("inputs"), data.get("outputMethod")
    if not isinstance(code, str) or not code or not isinstance(method, str) or not method:
        raise _fail("blueprint", f"task {raw['taskId']} needs taskCode and outputMethod")
    if not isinstance(inputs, list) or not all(isinstance(i, str) for i in inputs):
        raise _fail("blueprint", f"task {raw['taskId']} needs inputs, a list of strings")
    task_data: dict[str, Any] = {"taskCode": code, "inputs": inputs, "outputMethod": method}
    for name in _TASK_DATA_LISTS:
        pairs = data.get(name, [])
        if not isinstance(pairs, list) or not all(
            isinstance(p, dict) and isinstance(p.get("param"), str) for p in pairs
        ):
            raise _fail("blueprint", f"task {raw['taskId']}: {name} must be [{{param, value}}]")
        task_data[name] = [{"param": p["param"], "value": p.get("value")} for p in pairs]
    return {"taskId": raw["taskId"], "taskData": task_data}


def _blueprint(state: State, raw: object) -> list[dict[str, Any]]:
    if not isinstance(raw, list) or not raw:
        raise _fail("blueprint", "must be a non-empty list of tasks")
    tasks = [_task(t) for t in raw]
    for task in tasks:
        if resolve(state, task) is False:
            ref = next(p["value"] for p in task["taskData"]["taskParameters"])
            raise _fail("blueprint", f"task {task['taskId']}: no custom task version {ref!r}")
    return tasks


def _optional_str(data: dict[str, Any], name: str) -> str | None:
    value = data.get(name)
    if value is not None and not isinstance(value, str):
        raise _fail(name, "must be a string")
    return value


def _find(state: State, blueprint_id: str) -> BlueprintRecord:
    record = state.blueprints.get(blueprint_id)
    if record is None:
        raise ApiFailure(404, f"User blueprint {blueprint_id} was not found")
    return record


def list_blueprints(ctx: Context, request: Request) -> Response:
    """GET userBlueprints/: the token owner's blueprints, oldest first; projectId filters."""
    project = request.args.get("projectId")
    with ctx.store.read() as state:
        records = [
            b for b in state.blueprints.values() if project is None or b.project_id == project
        ]
        return paged(
            request,
            records,
            lambda b: blueprint_json(state, b, decompressed=False),
            default_limit=DEFAULT_LIMIT,
            max_limit=MAX_LIMIT,
        )


def get_blueprint(ctx: Context, request: Request, blueprint_id: str) -> Response:
    """GET userBlueprints/{id}/ (the client sends editMode and decompressedBlueprint)."""
    decompressed = request.args.get("decompressedBlueprint", "false").lower() == "true"
    with ctx.store.read() as state:
        return json_response(blueprint_json(state, _find(state, blueprint_id), decompressed))


def _store(ctx: Context, record: BlueprintRecord, decompressed: bool) -> Response:
    with ctx.store.write(blueprints=True) as state:
        state.blueprints[record.id] = record
        return json_response(blueprint_json(state, record, decompressed))


def create_blueprint(ctx: Context, request: Request) -> Response:
    """POST userBlueprints/ -> 200 (the client's fixtures) with the new blueprint."""
    data = json_body(request)
    with ctx.store.read() as state:
        tasks = _blueprint(state, data.get("blueprint"))
    now = ctx.clock()
    record = BlueprintRecord(
        id=new_id(),
        user_id=USER_ID,
        model_type=_optional_str(data, "modelType") or "",
        blueprint=tasks,
        created=now,
        updated=now,
        project_id=_optional_str(data, "projectId"),
        save_to_catalog=data.get("saveToCatalog", True) is not False,
    )
    return _store(ctx, record, data.get("decompressedBlueprint") is True)


def from_custom_task_version(ctx: Context, request: Request) -> Response:
    """POST userBlueprints/fromCustomTaskVersionId/: a one-task blueprint around the version."""
    data = json_body(request)
    version_id = _optional_str(data, "customTaskVersionId")
    if not version_id:
        raise _fail("customTaskVersionId", "this field is required")
    with ctx.store.read() as state:
        found = next(
            ((t, v) for t in state.tasks.values() for v in t.versions if v.id == version_id), None
        )
        if found is None:
            raise _fail("customTaskVersionId", f"no custom task version {version_id}")
        task, version = found
        transform = task.target_type == "Transform"
    # UNCONFIRMED: task codes and output methods follow the client's fixture (CUSTOMR, "P");
    # a transform gets CUSTOMT with output "T".
    step = {
        "taskId": "1",
        "taskData": {
            "taskCode": "CUSTOMT" if transform else "CUSTOMR",
            "inputs": ALL_INPUTS,
            "outputMethod": "T" if transform else "P",
            "outputMethodParameters": [],
            "taskParameters": [{"param": "version_id", "value": version_id}],
            "xTransformations": [],
            "yTransformations": [],
        },
    }
    now = ctx.clock()
    record = BlueprintRecord(
        id=new_id(),
        user_id=USER_ID,
        model_type=f"{task.name} (v{version.label})",
        blueprint=[step],
        created=now,
        updated=now,
        description=_optional_str(data, "description"),
        save_to_catalog=data.get("saveToCatalog", True) is not False,
    )
    return _store(ctx, record, data.get("decompressedBlueprint") is True)


def update_blueprint(ctx: Context, request: Request, blueprint_id: str) -> Response:
    """PATCH userBlueprints/{id}/: blueprint, modelType, projectId (null unlinks) -> 200."""
    data = json_body(request)
    model_type = _optional_str(data, "modelType")
    project = _optional_str(data, "projectId")
    with ctx.store.write(blueprints=True) as state:
        record = _find(state, blueprint_id)
        tasks = _blueprint(state, data["blueprint"]) if "blueprint" in data else None
        if tasks is not None:
            record.blueprint = tasks
        if model_type is not None:
            record.model_type = model_type
        if "projectId" in data:
            record.project_id = project
        record.updated = ctx.clock()
        return json_response(
            blueprint_json(state, record, data.get("decompressedBlueprint") is True)
        )


def delete_blueprint(ctx: Context, request: Request, blueprint_id: str) -> Response:
    """DELETE userBlueprints/{id}/ -> 204."""
    with ctx.store.write(blueprints=True) as state:
        _find(state, blueprint_id)
        del state.blueprints[blueprint_id]
    return no_content()
