"""DataRobot REST client for custom tasks: endpoints and paging.

camelCase stays inside datarobot/; everything the client returns is a snake_case dataclass of
`models.py`. Transport concerns (session, auth, retries, errors) live in `transport.py`, upload
bodies in `upload.py`."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from ctask_sync.datarobot import paging, readahead
from ctask_sync.datarobot.access import AccessChange, AccessEntry, parse_access_entry
from ctask_sync.datarobot.answers import (
    TooDeep,
    decode_json,
    not_json,
    read_answer,
    read_page,
    unexpected_shape,
)
from ctask_sync.datarobot.blueprints import UserBlueprint, parse_user_blueprint
from ctask_sync.datarobot.concurrency import AdaptiveLimit, Concurrency
from ctask_sync.datarobot.download import download
from ctask_sync.datarobot.endpoint import shown_url
from ctask_sync.datarobot.models import (
    CustomTask,
    CustomTaskVersion,
    DependencyBuild,
    ExecutionEnvironment,
    parse_custom_task,
    parse_dependency_build,
    parse_environment,
    parse_page,
    parse_version,
)
from ctask_sync.datarobot.retry import RetryPolicy
from ctask_sync.datarobot.tasklist import decode_task_page, task_page_reader
from ctask_sync.datarobot.transport import RequestStats, Transport
from ctask_sync.datarobot.upload import UploadFile, VersionForm, check_file_paths, version_fields
from ctask_sync.errors import ApiError

__all__ = ["DataRobotClient"]


_T = TypeVar("_T")


class DataRobotClient:
    """One requests.Session against one endpoint. Never shows the token.

    Thread-safe for concurrent calls (the engine applies tasks in parallel)."""

    PAGE_LIMIT = 100
    # The task list is the one list that grows with the repository (one page per 1,000 tasks
    # is what DataRobot's own docs example asks for, datarobot-api.md §2); a server that
    # refuses it gets PAGE_LIMIT instead.
    TASK_PAGE_LIMIT = 1000

    def __init__(
        self,
        endpoint: str,
        token: str,
        *,
        ca_bundle: str | None = None,
        timeout: float = 60.0,
        retry: RetryPolicy | None = None,
        page_limit: int | None = None,
        pool_size: int = 16,
        concurrency: Concurrency | None = None,
    ) -> None:
        # Connections for every request the adaptive limit may let through at once.
        if concurrency is not None:
            pool_size = max(pool_size, concurrency.cap)
        self.limit = AdaptiveLimit(concurrency or Concurrency(start=pool_size, cap=pool_size))
        self._transport = Transport(
            endpoint,
            token,
            ca_bundle=ca_bundle,
            timeout=timeout,
            retry_policy=retry or RetryPolicy(),
            pool_size=pool_size,
            limit=self.limit,
        )
        self.endpoint = self._transport.endpoint
        self.page_limit = page_limit or self.PAGE_LIMIT
        self.task_page_limit = page_limit or self.TASK_PAGE_LIMIT
        self.stats: RequestStats = self._transport.stats

    def __repr__(self) -> str:
        return f"DataRobotClient(endpoint={shown_url(self.endpoint)!r}, token=<hidden>)"

    def __enter__(self) -> DataRobotClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the session's pooled connections."""
        self._transport.close()

    # -- custom tasks -------------------------------------------------------------------------

    def list_custom_tasks(self, *, search_for: str | None = None) -> list[CustomTask]:
        """Every custom task the token's user can see, each with its latest version embedded."""
        return self.map_custom_tasks(_same, search_for=search_for)

    def read_ahead_custom_tasks(self) -> threading.Thread:
        """Begin fetching every page of the task list in the background (readahead.py); the
        next list_custom_tasks or map_custom_tasks takes those answers instead of asking.
        Returns the (daemon) thread that fetches them."""
        if self._transport.read_ahead is None:
            self._transport.read_ahead = readahead.ReadAhead()
        target = self._transport.url("customTasks/")
        return readahead.start(self._transport, target, {"limit": self.task_page_limit})

    def map_custom_tasks(
        self, each: Callable[[CustomTask], _T], *, search_for: str | None = None
    ) -> list[_T]:
        """`each` of every custom task of `list_custom_tasks`, in the list's order. `each` runs
        in the thread that fetched the task's page, as soon as the page arrives: a caller's own
        work per task (the engine's, at 10,000 tasks) overlaps with waiting for later pages."""
        params: dict[str, Any] = {}
        if search_for is not None:
            params["searchFor"] = search_for
        read = task_page_reader(each)

        def listed(limit: int | None) -> list[_T]:
            return self._read_list(
                "customTasks/", params, read, limit=limit, decode=decode_task_page
            )

        if self.task_page_limit == self.page_limit:
            return listed(None)
        try:
            return listed(self.task_page_limit)
        except ApiError as error:
            if error.status != 400:
                raise
            # An unpublished maximum below ours: ask again with the limit every list uses.
            self.task_page_limit = self.page_limit
            return listed(None)

    def get_custom_task(self, task_id: str) -> CustomTask:
        """One custom task by id."""
        path = f"customTasks/{task_id}/"
        return self._call("GET", path, parse_custom_task)

    def create_custom_task(
        self,
        *,
        name: str,
        target_type: str,
        language: str,
        description: str,
        maximum_memory: int | None = None,
    ) -> CustomTask:
        """Create a custom task (it has no version yet)."""
        body: dict[str, Any] = {
            "name": name,
            "targetType": target_type,
            "language": language,
            "description": description,
        }
        if maximum_memory is not None:
            body["maximumMemory"] = maximum_memory
        return self._call("POST", "customTasks/", parse_custom_task, json_body=body)

    def update_custom_task(
        self,
        task_id: str,
        *,
        name: str | None = None,
        language: str | None = None,
        description: str | None = None,
        maximum_memory: int | None = None,
    ) -> CustomTask:
        """Change task metadata; fields left as None are not sent (DataRobot keeps them)."""
        body: dict[str, Any] = {}
        for key, value in (
            ("name", name),
            ("language", language),
            ("description", description),
            ("maximumMemory", maximum_memory),
        ):
            if value is not None:
                body[key] = value
        path = f"customTasks/{task_id}/"
        return self._call("PATCH", path, parse_custom_task, json_body=body)

    def delete_custom_task(self, task_id: str) -> None:
        """Delete a task. DataRobot answers 409 while a blueprint, model or deployment uses it."""
        response = self._transport.request("DELETE", f"customTasks/{task_id}/", gone_is_done=True)
        response.close()

    def download_custom_task(self, task_id: str, dest: Path) -> None:
        """Write the zip of the task's latest version to dest."""
        download(self._transport, f"customTasks/{task_id}/download/", dest)

    # -- versions ----------------------------------------------------------------------------

    def list_versions(self, task_id: str) -> list[CustomTaskVersion]:
        """Every version of a task, as DataRobot orders them."""
        path = f"customTasks/{task_id}/versions/"
        return self._pages(path, {}, parse_version)

    def get_version(self, task_id: str, version_id: str) -> CustomTaskVersion:
        """One version of a task."""
        path = f"customTasks/{task_id}/versions/{version_id}/"
        return self._call("GET", path, parse_version)

    def create_version(
        self,
        task_id: str,
        *,
        from_previous: bool,
        is_major_update: bool,
        base_environment_id: str,
        files: Sequence[UploadFile] = (),
        files_to_delete: Sequence[str] = (),
        maximum_memory: int | None = None,
        outbound_network_policy: str | None = None,
        required_metadata: dict[str, str] | None = None,
    ) -> CustomTaskVersion:
        """Create a version by streaming files from disk.

        from_previous=False POSTs a clean version holding exactly `files`; True PATCHes: the
        previous version's files, plus `files` (added or replacing the same filePath), minus the
        item ids in `files_to_delete`. Raises OutcomeUnknownError if DataRobot may have created
        the version without the answer reaching us; it is never re-sent."""
        if files_to_delete and not from_previous:
            raise ValueError("files_to_delete needs from_previous=True (a clean version has none)")
        check_file_paths(files)
        metadata_json = None
        if required_metadata is not None:
            metadata_json = json.dumps(
                [{"fieldName": key, "value": value} for key, value in required_metadata.items()]
            )
        fields = version_fields(
            is_major_update=is_major_update,
            base_environment_id=base_environment_id,
            files_to_delete=files_to_delete,
            required_metadata_json=metadata_json,
            maximum_memory=maximum_memory,
            outbound_network_policy=outbound_network_policy,
        )
        method = "PATCH" if from_previous else "POST"
        path = f"customTasks/{task_id}/versions/"
        return self._call(method, path, parse_version, form=lambda: VersionForm(fields, files))

    def update_version(
        self, task_id: str, version_id: str, *, description: str
    ) -> CustomTaskVersion:
        """Set a version's description (the only way: creation takes none)."""
        path = f"customTasks/{task_id}/versions/{version_id}/"
        return self._call("PATCH", path, parse_version, json_body={"description": description})

    def download_version(self, task_id: str, version_id: str, dest: Path) -> None:
        """Write the zip of one version to dest."""
        download(self._transport, f"customTasks/{task_id}/versions/{version_id}/download/", dest)

    # -- dependency builds -------------------------------------------------------------------

    def start_dependency_build(self, task_id: str, version_id: str) -> DependencyBuild:
        """Start building the version's dependency image (answered 202 with the build)."""
        path = _build_path(task_id, version_id)
        return self._call("POST", path, parse_dependency_build)

    def get_dependency_build(self, task_id: str, version_id: str) -> DependencyBuild | None:
        """The version's dependency build, or None if none was started (DataRobot says 422)."""
        path = _build_path(task_id, version_id)
        try:
            return self._call("GET", path, parse_dependency_build)
        except ApiError as error:
            if error.status == 422:
                return None
            raise

    def get_dependency_build_log(self, task_id: str, version_id: str) -> bytes:
        """The build log archive (tar.gz); see `build_log_tail` to read it."""
        path = f"customTasks/{task_id}/versions/{version_id}/dependencyBuildLog/"
        return self._transport.request("GET", path).content

    # -- consumers: user blueprints and access control -----------------------------------------

    def list_user_blueprints(self) -> list[UserBlueprint]:
        """The token's user's blueprints, without their tasks (`blueprint` is None)."""
        return self._pages("userBlueprints/", {}, parse_user_blueprint)

    def get_user_blueprint(self, blueprint_id: str) -> UserBlueprint:
        """One user blueprint with its tasks, as the official client's `get` asks for it."""
        params = {"editMode": "true", "decompressedBlueprint": "true"}
        path = f"userBlueprints/{blueprint_id}/"
        return self._call("GET", path, parse_user_blueprint, params=params)

    def update_user_blueprint(
        self, blueprint_id: str, blueprint: Sequence[dict[str, Any]]
    ) -> UserBlueprint:
        """Replace a user blueprint's tasks (its title and project stay as they are)."""
        body = {"blueprint": list(blueprint), "decompressedBlueprint": True}
        path = f"userBlueprints/{blueprint_id}/"
        return self._call("PATCH", path, parse_user_blueprint, json_body=body)

    def get_access_list(self, task_id: str) -> list[AccessEntry]:
        """Who may use or edit the custom task."""
        return self._pages(f"customTasks/{task_id}/accessControl/", {}, parse_access_entry)

    def share_custom_task(self, task_id: str, changes: Sequence[AccessChange]) -> None:
        """Add, change (a role) or remove (role None) entries of the task's access list."""
        body = {"data": [change.to_json() for change in changes]}
        path = f"customTasks/{task_id}/accessControl/"
        self._transport.request("PATCH", path, json_body=body).close()

    # -- execution environments --------------------------------------------------------------

    def list_execution_environments(
        self, *, search_for: str | None = None
    ) -> list[ExecutionEnvironment]:
        """Execution environments the token's user can see."""
        params: dict[str, Any] = {}
        if search_for is not None:
            params["searchFor"] = search_for
        path = "executionEnvironments/"
        return self._pages(path, params, parse_environment)

    def get_execution_environment(self, environment_id: str) -> ExecutionEnvironment:
        """One execution environment by id."""
        path = f"executionEnvironments/{environment_id}/"
        return self._call("GET", path, parse_environment)

    # -- plumbing ----------------------------------------------------------------------------

    def _call(
        self,
        method: str,
        path: str,
        parse: Callable[[Any], _T],
        *,
        json_body: dict[str, Any] | None = None,
        form: Callable[[], VersionForm] | None = None,
        params: dict[str, Any] | None = None,
        decode: Callable[[bytes], Any] = decode_json,
    ) -> _T:
        """Send a request and read its JSON answer (`decode`) into a dataclass with `parse`."""
        response = self._transport.request(
            method, path, params=params, json_body=json_body, form=form
        )
        shown = self._transport.shown_path(response.url or self._transport.url(path))
        try:
            raw = decode(response.content)
        except TooDeep as error:
            raise unexpected_shape(method, shown, response.status_code, error) from None
        except ValueError:
            snippet = self._transport.redact(response.text[:200])
            content_type = response.headers.get("Content-Type", "no Content-Type")
            raise not_json(method, shown, response.status_code, content_type, snippet) from None
        return read_answer(method, shown, response.status_code, parse, raw)

    def _pages(
        self,
        path: str,
        params: Mapping[str, Any],
        parse: Callable[[Any], _T],
        *,
        limit: int | None = None,
    ) -> list[_T]:
        """Every item of a paged list, each parsed into a dataclass."""
        return self._read_list(
            path, params, lambda shown, raw: read_page(shown, parse, raw), limit=limit
        )

    def _read_list(
        self,
        path: str,
        params: Mapping[str, Any],
        read: Callable[[str, dict[str, Any]], paging.Page[_T]],
        *,
        limit: int | None = None,
        decode: Callable[[bytes], Any] = decode_json,
    ) -> list[_T]:
        """Every item of a paged list (paging.read_pages); `read` makes a page's items, given
        the list's path as errors show it, in the thread that fetched the page."""
        target = self._transport.url(path)
        first = self._call(
            "GET",
            target,
            parse_page,
            params={**params, "limit": limit or self.page_limit},
            decode=decode,
        )
        shown = self._transport.shown_path(target)
        pages = paging.read_pages(
            self._transport,
            target,
            first,
            lambda url: self._call("GET", url, parse_page, decode=decode),
            lambda raw: read(shown, raw),
        )
        return paging.items_of(pages)


def _same(task: CustomTask) -> CustomTask:
    return task


def _build_path(task_id: str, version_id: str) -> str:
    return f"customTasks/{task_id}/versions/{version_id}/dependencyBuild/"
