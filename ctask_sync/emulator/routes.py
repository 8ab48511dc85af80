"""The DataRobot URL map: (method, path) -> handler. Paths end in '/', as the client sends them."""

from __future__ import annotations

from collections.abc import Callable

from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from ctask_sync.emulator import access, blueprints, builds, environments, tasks, versions
from ctask_sync.emulator.context import Context
from ctask_sync.emulator.web import json_response

Handler = Callable[..., Response]

SERVER_VERSION = {"major": 2, "minor": 49, "versionString": "2.49", "releasedVersion": "11.0.0"}


def server_version(ctx: Context, request: Request) -> Response:
    """GET version/: the official 3.20 client expects 2.49."""
    return json_response(SERVER_VERSION)


_T = "/api/v2/customTasks/<task_id>/"
_V = _T + "versions/<version_id>/"
_E = "/api/v2/executionEnvironments/<env_id>/"
_B = "/api/v2/userBlueprints/"

# fromRepository answers every method itself, so none falls through to the version routes.
_ANY = ("GET", "POST", "PATCH", "PUT", "DELETE")

ROUTES: list[tuple[str, str, Handler]] = [
    ("/api/v2/version/", "GET", server_version),
    ("/api/v2/customTasks/", "GET", tasks.list_tasks),
    ("/api/v2/customTasks/", "POST", tasks.create_task),
    ("/api/v2/customTasks/fromCustomTask/", "POST", tasks.copy_task),
    (_T, "GET", tasks.get_task),
    (_T, "PATCH", tasks.update_task),
    (_T, "DELETE", tasks.delete_task),
    (_T + "download/", "GET", tasks.download_task),
    (_T + "versions/", "GET", versions.list_versions),
    (_T + "versions/", "POST", versions.create_clean),
    (_T + "versions/", "PATCH", versions.create_from_previous),
    *((_T + "versions/fromRepository/", m, versions.from_repository) for m in _ANY),
    (_T + "accessControl/", "GET", access.get_access),
    (_T + "accessControl/", "PATCH", access.patch_access),
    (_V, "GET", versions.get_version),
    (_V, "PATCH", versions.update_version),
    (_V + "download/", "GET", versions.download_version),
    (_V + "dependencyBuild/", "POST", builds.start_build),
    (_V + "dependencyBuild/", "GET", builds.get_build),
    (_V + "dependencyBuild/", "DELETE", builds.cancel_build),
    (_V + "dependencyBuildLog/", "GET", builds.build_log),
    ("/api/v2/executionEnvironments/", "GET", environments.list_environments),
    ("/api/v2/executionEnvironments/", "POST", environments.create_environment),
    (_E, "GET", environments.get_environment),
    (_E + "versions/", "GET", environments.list_environment_versions),
    (_E + "versions/<version_id>/", "GET", environments.get_environment_version),
    (_E + "versions/<version_id>/download/", "GET", environments.download_environment_version),
    (_E + "versions/<version_id>/buildLog/", "GET", environments.environment_version_log),
    (_B, "GET", blueprints.list_blueprints),
    (_B, "POST", blueprints.create_blueprint),
    (_B + "fromCustomTaskVersionId/", "POST", blueprints.from_custom_task_version),
    (_B + "<blueprint_id>/", "GET", blueprints.get_blueprint),
    (_B + "<blueprint_id>/", "PATCH", blueprints.update_blueprint),
    (_B + "<blueprint_id>/", "DELETE", blueprints.delete_blueprint),
]


def build_map() -> tuple[Map, dict[str, Handler]]:
    """The werkzeug Map and endpoint name -> handler. A path without its trailing slash raises
    RequestRedirect, which the app turns into a 404: the slash form is canonical."""
    handlers: dict[str, Handler] = {}
    rules = []
    for path, method, handler in ROUTES:
        endpoint = f"{method} {path}"
        handlers[endpoint] = handler
        rules.append(Rule(path, methods=[method], endpoint=endpoint))
    return Map(rules, merge_slashes=False), handlers
