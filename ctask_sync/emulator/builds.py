"""Dependency builds: POST starts one, GET polls it, DELETE cancels it, the log is plain text.

A build is a function of time (see BuildRecord.status): submitted -> processing -> success or
failed after `build_seconds`. It fails when a requirement's package name matches
`fail_builds_matching`."""

from __future__ import annotations

import json
import re

from werkzeug.wrappers import Request, Response

from ctask_sync.emulator.context import Context, find_version
from ctask_sync.emulator.model import BuildRecord, VersionRecord
from ctask_sync.emulator.views import build_json
from ctask_sync.emulator.web import ApiFailure, json_response, no_content


def _log_url(request: Request, task_id: str, version_id: str) -> str:
    return (
        f"{request.url_root}api/v2/customTasks/{task_id}/versions/{version_id}/dependencyBuildLog/"
    )


def _image_key(version: VersionRecord) -> str:
    lines = sorted(d["line"] for d in version.dependencies)
    env_version = version.base_environment_version_id or version.base_environment_id
    return json.dumps([env_version, lines])


def _plan_build(
    ctx: Context, version: VersionRecord, now: float, built: dict[str, float]
) -> BuildRecord:
    settings = ctx.settings
    pattern = re.compile(settings.fail_builds_matching)
    bad = [d for d in version.dependencies if pattern.search(d["packageName"])]
    if bad:
        first = bad[0]
        log = (
            f"Building dependencies for custom task version {version.id}\n"
            f"Collecting {first['line']}\n"
            f"ERROR: Could not find a version that satisfies the requirement {first['line']} "
            "(from versions: none)\n"
            f"ERROR: No matching distribution found for {first['packageName']}\n"
            f"requirements.txt line {first['lineNumber']}: {first['line']}\n"
            "Dependency build failed.\n"
        )
        return BuildRecord(now, settings.build_seconds, "failed", log)
    names = " ".join(d["packageName"] for d in version.dependencies)
    key = _image_key(version)
    reused = settings.reuse_builds and built.get(key, float("inf")) <= now
    log = f"Building dependencies for custom task version {version.id}\n"
    if reused:
        log += "An image with these requirements already exists; reusing it.\n"
    else:
        log += "".join(f"Collecting {d['line']}\n" for d in version.dependencies)
        log += f"Successfully installed {names}\n"
    log += "Dependency build succeeded.\n"
    duration = 0.0 if reused else settings.build_seconds
    built.setdefault(key, now + duration)
    return BuildRecord(now, duration, "success", log)


def start_build(ctx: Context, request: Request, task_id: str, version_id: str) -> Response:
    """POST …/dependencyBuild/ -> 202 with the build object."""
    now = ctx.clock()
    with ctx.store.write(task=task_id) as state:
        _, version = find_version(state, task_id, version_id)
        if not version.dependencies:
            raise ApiFailure(
                422,
                f"Custom task version {version_id} has no dependencies to build: "
                "it has no requirements.txt, or the file lists no packages",
            )
        build = version.build
        if build is not None and not build.is_terminal(now):
            raise ApiFailure(
                422, f"A dependency build is already in progress for version {version_id}"
            )
        if build is not None and build.status(now) == "success":
            raise ApiFailure(422, f"The dependencies of version {version_id} are already built")
        version.build = _plan_build(ctx, version, now, state.built_images)
        url = _log_url(request, task_id, version_id)
        return json_response(build_json(task_id, version, now, url), 202)


def get_build(ctx: Context, request: Request, task_id: str, version_id: str) -> Response:
    """GET …/dependencyBuild/ -> 200, or 422 if no build was started."""
    now = ctx.clock()
    with ctx.store.read() as state:
        _, version = find_version(state, task_id, version_id)
        if version.build is None:
            raise ApiFailure(422, f"No dependency build has been started for version {version_id}")
        url = _log_url(request, task_id, version_id)
        return json_response(build_json(task_id, version, now, url))


def cancel_build(ctx: Context, request: Request, task_id: str, version_id: str) -> Response:
    """DELETE …/dependencyBuild/ -> 204; 409 when terminal, 422 when not started."""
    now = ctx.clock()
    with ctx.store.write(task=task_id) as state:
        _, version = find_version(state, task_id, version_id)
        build = version.build
        if build is None:
            raise ApiFailure(422, f"No dependency build has been started for version {version_id}")
        if build.is_terminal(now):
            raise ApiFailure(
                409,
                f"The dependency build of version {version_id} has already finished "
                f"({build.status(now)}) and cannot be cancelled",
            )
        build.cancelled = now
        build.log = (
            f"Building dependencies for custom task version {version_id}\n"
            "Dependency build cancelled by the user.\n"
        )
        return no_content()


def build_log(ctx: Context, request: Request, task_id: str, version_id: str) -> Response:
    """GET …/dependencyBuildLog/: the log as plain text (a pip/Docker build log: every public
    mock serves a text body, docs/datarobot-api.md §5); 404 while the build runs, 422 if never
    started."""
    now = ctx.clock()
    with ctx.store.read() as state:
        _, version = find_version(state, task_id, version_id)
        build = version.build
        if build is None:
            raise ApiFailure(422, f"No dependency build has been started for version {version_id}")
        if not build.is_terminal(now):
            raise ApiFailure(
                404, f"The dependency build of version {version_id} is still in progress"
            )
        body = build.log
    return Response(
        body.encode("utf-8"),
        headers={
            "Content-Type": "text/plain; charset=utf-8",
            # The client cuts this exact prefix off to get the file name (UNCONFIRMED name).
            "Content-Disposition": f"attachment; filename=dependency-build-log-{version_id}.log",
        },
    )
