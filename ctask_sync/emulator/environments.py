"""Execution environment endpoints (read, plus create as the seed guide does)."""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Request, Response

from ctask_sync.emulator.archives import text_tar_gz
from ctask_sync.emulator.context import Context, find_environment
from ctask_sync.emulator.ids import new_id
from ctask_sync.emulator.model import EnvironmentRecord, EnvironmentVersionRecord
from ctask_sync.emulator.seed import USER_ID
from ctask_sync.emulator.views import environment_json, environment_version_json
from ctask_sync.emulator.web import ApiFailure, json_body, json_response, paged

# The client's docstring: the server's default page is 20, its maximum 100.
DEFAULT_LIMIT = 20
MAX_LIMIT = 100


def _bool_arg(request: Request, name: str) -> bool | None:
    text = request.args.get(name)
    if text is None:
        return None
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    raise ApiFailure(400, f"Invalid query parameter {name}", errors={name: "must be true or false"})


def list_environments(ctx: Context, request: Request) -> Response:
    """GET executionEnvironments/: searchFor, isOwn, isPublic, useCases, offset, limit."""
    needle = request.args.get("searchFor", "").lower()
    is_own = _bool_arg(request, "isOwn")
    is_public = _bool_arg(request, "isPublic")
    use_case = request.args.get("useCases")
    with ctx.store.read() as state:
        envs = [
            e
            for e in state.environments.values()
            if (not needle or needle in e.name.lower() or needle in e.description.lower())
            and (is_own is None or (e.created_by == USER_ID) == is_own)
            and (is_public is None or e.is_public == is_public)
            and (use_case is None or use_case in e.use_cases)
        ]
        return paged(
            request, envs, environment_json, default_limit=DEFAULT_LIMIT, max_limit=MAX_LIMIT
        )


def _field(data: dict[str, Any], name: str, kind: type, default: Any) -> Any:
    value = data.get(name, default)
    if value is not None and not isinstance(value, kind):
        raise ApiFailure(422, f"Invalid field {name}", errors={name: f"must be a {kind.__name__}"})
    return value


def create_environment(ctx: Context, request: Request) -> Response:
    """POST executionEnvironments/ -> 201; the new environment has no versions yet."""
    data = json_body(request)
    name = _field(data, "name", str, None)
    if not name or not name.strip() or len(name) > 255:
        raise ApiFailure(
            422, "Invalid field name", errors={"name": "required, 1 to 255 characters"}
        )
    keys = _field(data, "requiredMetadataKeys", list, [])
    for key in keys:
        if not (
            isinstance(key, dict)
            and isinstance(key.get("fieldName"), str)
            and isinstance(key.get("displayName"), str)
        ):
            raise ApiFailure(
                422,
                "Invalid field requiredMetadataKeys",
                errors={"requiredMetadataKeys": "each entry needs fieldName and displayName"},
            )
    env = EnvironmentRecord(
        id=new_id(),
        name=name,
        description=_field(data, "description", str, "") or "",
        programming_language=_field(data, "programmingLanguage", str, "other") or "other",
        is_public=bool(_field(data, "isPublic", bool, False)),
        created=ctx.clock(),
        created_by=USER_ID,
        use_cases=list(_field(data, "useCases", list, ["customModel"]) or ["customModel"]),
        required_metadata_keys=[
            {"fieldName": k["fieldName"], "displayName": k["displayName"]} for k in keys
        ],
    )
    with ctx.store.write(environments=True) as state:
        state.environments[env.id] = env
        return json_response(environment_json(env), 201)


def get_environment(ctx: Context, request: Request, env_id: str) -> Response:
    """GET executionEnvironments/{id}/."""
    with ctx.store.read() as state:
        return json_response(environment_json(find_environment(state, env_id)))


def _find_env_version(ctx: Context, env_id: str, version_id: str) -> EnvironmentVersionRecord:
    with ctx.store.read() as state:
        env = find_environment(state, env_id)
        version = next((v for v in env.versions if v.id == version_id), None)
        if version is None:
            raise ApiFailure(
                404, f"Execution environment version {version_id} was not found in {env_id}"
            )
        return version


def list_environment_versions(ctx: Context, request: Request, env_id: str) -> Response:
    """GET executionEnvironments/{id}/versions/: newest first, buildStatus filter."""
    status = request.args.get("buildStatus")
    with ctx.store.read() as state:
        env = find_environment(state, env_id)
        versions = [v for v in reversed(env.versions) if status is None or v.build_status == status]
        return paged(
            request,
            versions,
            environment_version_json,
            default_limit=DEFAULT_LIMIT,
            max_limit=MAX_LIMIT,
        )


def get_environment_version(
    ctx: Context, request: Request, env_id: str, version_id: str
) -> Response:
    """GET executionEnvironments/{id}/versions/{vid}/."""
    return json_response(environment_version_json(_find_env_version(ctx, env_id, version_id)))


def download_environment_version(
    ctx: Context, request: Request, env_id: str, version_id: str
) -> Response:
    """GET …/versions/{vid}/download/: the docker context (a stand-in Dockerfile)."""
    version = _find_env_version(ctx, env_id, version_id)
    body = text_tar_gz("Dockerfile", f"# docker context of {version.label}\nFROM python:3.11\n")
    return Response(
        body,
        headers={
            "Content-Type": "application/gzip",
            "Content-Disposition": f"attachment; filename=environment-{version_id}.tar.gz",
        },
    )


def environment_version_log(
    ctx: Context, request: Request, env_id: str, version_id: str
) -> Response:
    """GET …/versions/{vid}/buildLog/: JSON {log, error}; error is "" when there is none."""
    version = _find_env_version(ctx, env_id, version_id)
    failed = version.build_status == "failed"
    return json_response(
        {
            "log": f"Building image for environment version {version.label}\nDone.\n",
            "error": "Image build failed" if failed else "",
        }
    )
