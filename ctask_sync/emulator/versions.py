"""Custom task version endpoints: list, create (clean or from previous), get, update, download."""

from __future__ import annotations

from werkzeug.wrappers import Request, Response

from ctask_sync.emulator.archives import version_zip
from ctask_sync.emulator.context import Context, find_task, find_version
from ctask_sync.emulator.ids import new_id
from ctask_sync.emulator.metadata import task_arguments
from ctask_sync.emulator.model import ItemRecord, State, TaskRecord, VersionRecord
from ctask_sync.emulator.requirements import parse_requirements
from ctask_sync.emulator.tasks import MAX_PAGE_LIMIT, zip_response
from ctask_sync.emulator.uploads import VersionForm, metadata_value_list, parse_version_form
from ctask_sync.emulator.views import version_json
from ctask_sync.emulator.web import ApiFailure, json_body, json_response, paged

MAX_DESCRIPTION = 10_000
DEFAULT_NETWORK_POLICY = "ISOLATED"


def list_versions(ctx: Context, request: Request, task_id: str) -> Response:
    """GET customTasks/{id}/versions/: newest first."""
    with ctx.store.read() as state:
        task = find_task(state, task_id)
        return paged(
            request,
            list(reversed(task.versions)),
            version_json,
            default_limit=ctx.settings.default_page_limit,
            max_limit=MAX_PAGE_LIMIT,
        )


def get_version(ctx: Context, request: Request, task_id: str, version_id: str) -> Response:
    """GET customTasks/{id}/versions/{vid}/."""
    with ctx.store.read() as state:
        return json_response(version_json(find_version(state, task_id, version_id)[1]))


def create_clean(ctx: Context, request: Request, task_id: str) -> Response:
    """POST customTasks/{id}/versions/: a version with only the uploaded files."""
    return _create(ctx, request, task_id, from_previous=False)


def create_from_previous(ctx: Context, request: Request, task_id: str) -> Response:
    """PATCH customTasks/{id}/versions/: previous files, replaced/added uploads, minus deletes."""
    return _create(ctx, request, task_id, from_previous=True)


def _check_size(ctx: Context, request: Request) -> None:
    limit = ctx.settings.max_upload_bytes
    size = request.content_length
    if limit is not None and size is not None and size > limit:
        raise ApiFailure(
            413, f"Request is too large in size ({size} bytes); the limit is {limit} bytes"
        )
    # A chunked body has no Content-Length: werkzeug stops reading it at the limit instead
    # (RequestEntityTooLarge, answered as 413 by the app).
    request.max_content_length = limit


def _create(ctx: Context, request: Request, task_id: str, *, from_previous: bool) -> Response:
    _check_size(ctx, request)
    with ctx.store.read() as state:
        find_task(state, task_id)  # 404 before reading a large body
    form = parse_version_form(request, from_previous=from_previous)
    # Blobs are content-addressed, so storing them before the checks below is harmless: an
    # unreferenced blob changes nothing visible.
    now = ctx.clock()
    uploaded = []
    for upload in form.files:
        digest, size = ctx.store.blobs.put(upload.stream)
        uploaded.append(
            ItemRecord(
                id=new_id(),
                file_name=upload.path.rsplit("/", 1)[-1],
                upload_name=upload.filename,
                file_path=upload.path,
                blob=digest,
                size=size,
                created=now,
            )
        )
    with ctx.store.write(task=task_id) as state:
        task = find_task(state, task_id)
        version = _new_version(ctx, state, task, form, uploaded, from_previous, now)
        for older in task.versions:
            older.is_frozen = True
        task.versions.append(version)
        task.updated = now
        return json_response(version_json(version), 201)


def _new_version(
    ctx: Context,
    state: State,
    task: TaskRecord,
    form: VersionForm,
    uploaded: list[ItemRecord],
    from_previous: bool,
    now: float,
) -> VersionRecord:
    env = state.environments.get(form.base_environment_id)
    if env is None:
        raise ApiFailure(
            422,
            f"Execution environment {form.base_environment_id} was not found",
            errors={"baseEnvironmentId": "no such execution environment"},
        )
    previous = task.latest if from_previous else None
    items = _items(previous, form.files_to_delete, uploaded)
    metadata = form.required_metadata_values
    if metadata is None:
        metadata = list(previous.required_metadata_values) if previous else []
    given = {v["fieldName"] for v in metadata}
    missing = [k["fieldName"] for k in env.required_metadata_keys if k["fieldName"] not in given]
    if missing:
        raise ApiFailure(
            422,
            f"Execution environment {env.id} requires metadata values for: {', '.join(missing)}",
            errors={"requiredMetadataValues": f"missing {', '.join(missing)}"},
        )
    dependencies = _dependencies(ctx, items)
    latest = task.latest
    if latest is None:
        major, minor = 1, 0
    elif form.is_major_update:
        major, minor = latest.major + 1, 0
    else:
        major, minor = latest.major, latest.minor + 1
    policy = form.outbound_network_policy
    if policy is None:
        policy = previous.outbound_network_policy if previous else DEFAULT_NETWORK_POLICY
    memory = form.maximum_memory
    if memory is None and previous is not None:
        memory = previous.maximum_memory
    built = env.latest_successful
    return VersionRecord(
        id=new_id(),
        custom_task_id=task.id,
        major=major,
        minor=minor,
        created=now,
        is_frozen=False,
        items=items,
        base_environment_id=env.id,
        base_environment_version_id=built.id if built is not None else None,
        outbound_network_policy=policy,
        maximum_memory=memory,
        dependencies=dependencies,
        required_metadata_values=metadata,
        arguments=task_arguments(items, ctx.store.blobs.get),
    )


def _items(
    previous: VersionRecord | None, files_to_delete: list[str], uploaded: list[ItemRecord]
) -> list[ItemRecord]:
    kept = list(previous.items) if previous is not None else []
    known = {i.id for i in kept}
    unknown = [i for i in files_to_delete if i not in known]
    if unknown:
        raise ApiFailure(
            422,
            f"filesToDelete names file item(s) not in the previous version: {', '.join(unknown)}",
            errors={"filesToDelete": f"unknown item id(s): {', '.join(unknown)}"},
        )
    deleted = set(files_to_delete)
    replaced = {i.file_path for i in uploaded}
    # Items carried over get new ids: every version owns its items.
    carried = [
        ItemRecord(
            id=new_id(),
            file_name=i.file_name,
            upload_name=i.upload_name,
            file_path=i.file_path,
            blob=i.blob,
            size=i.size,
            created=i.created,
        )
        for i in kept
        if i.id not in deleted and i.file_path not in replaced
    ]
    return carried + uploaded


def _dependencies(ctx: Context, items: list[ItemRecord]) -> list[dict[str, object]]:
    requirements = next((i for i in items if i.file_path == "requirements.txt"), None)
    if requirements is None:
        return []
    text = ctx.store.blobs.get(requirements.blob).decode("utf-8", errors="replace")
    parsed = parse_requirements(text)
    if parsed.invalid:
        lines = "; ".join(f"line {d['lineNumber']}: {d['line']}" for d in parsed.invalid)
        raise ApiFailure(
            422,
            f"requirements.txt has invalid dependencies ({lines}). Only name and the "
            "constraints <, <=, ==, >=, > are supported.",
            errors={"file": "requirements.txt has invalid dependencies"},
            extra={"dependencies": parsed.dependencies, "invalidDependencies": parsed.invalid},
        )
    return list(parsed.dependencies)


def update_version(ctx: Context, request: Request, task_id: str, version_id: str) -> Response:
    """PATCH customTasks/{id}/versions/{vid}/: description and required metadata, in place."""
    data = json_body(request)
    description = data.get("description")
    if description is not None:
        if not isinstance(description, str):
            raise ApiFailure(
                422, "Invalid field description", errors={"description": "must be a string"}
            )
        if len(description) > MAX_DESCRIPTION:
            raise ApiFailure(
                422,
                "Invalid field description",
                errors={"description": f"{len(description)} characters; at most {MAX_DESCRIPTION}"},
            )
    values = None
    if "requiredMetadataValues" in data:
        values = metadata_value_list(data["requiredMetadataValues"], "requiredMetadataValues")
    elif isinstance(data.get("requiredMetadata"), dict):
        legacy = data["requiredMetadata"]
        values = metadata_value_list(
            [{"fieldName": k, "value": v} for k, v in legacy.items()], "requiredMetadata"
        )
    with ctx.store.write(task=task_id) as state:
        _, version = find_version(state, task_id, version_id)
        if description is not None:
            version.description = description
        if values is not None:
            version.required_metadata_values = values
        return json_response(version_json(version))


def download_version(ctx: Context, request: Request, task_id: str, version_id: str) -> Response:
    """GET customTasks/{id}/versions/{vid}/download/: the version's files as a zip."""
    with ctx.store.read() as state:
        _, version = find_version(state, task_id, version_id)
        body = version_zip(version, ctx.store.blobs.get)
    return zip_response(body, task_id, version_id)


def from_repository(ctx: Context, request: Request, task_id: str) -> Response:
    """…/versions/fromRepository/: the spec's POST/PATCH (202 + Location) pull files from a
    remote repository, which an offline emulator cannot reach. It answers as a server without
    the feature would: 501 for POST/PATCH, 405 for other methods, never "version not found"."""
    with ctx.store.read() as state:
        find_task(state, task_id)
    if request.method not in ("POST", "PATCH"):
        raise ApiFailure(
            405,
            f"Method {request.method} is not allowed on {request.path}",
            headers={"Allow": "POST, PATCH"},
        )
    raise ApiFailure(
        501,
        "Creating a version from a remote repository is not implemented by the emulator; "
        "upload the files with POST or PATCH customTasks/{id}/versions/ instead",
    )
