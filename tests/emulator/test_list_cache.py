"""GET customTasks/ serves cached task JSON (task_cache.py): after every kind of write the list
shows the new state, byte for byte what a fresh rendering gives."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from ctask_sync.emulator import PYTHON_SKLEARN_ENV_ID, RunningEmulator
from ctask_sync.emulator.testing import SENTINEL_TOKEN
from ctask_sync.emulator.web import encode_json, paged, paged_encoded

HEADERS = {"Authorization": f"Token {SENTINEL_TOKEN}"}


class Api:
    """Raw calls, and the list checked against fresh single GETs after each write."""

    def __init__(self, emu: RunningEmulator) -> None:
        self.emu = emu

    def __call__(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        url = f"{self.emu.endpoint}/{path}"
        return requests.request(method, url, headers=HEADERS, timeout=10, **kwargs)

    def task(self, name: str, description: str = "") -> str:
        body = {"name": name, "targetType": "Binary", "description": description}
        created = self("POST", "customTasks/", json=body)
        assert created.status_code == 201, created.text
        return str(created.json()["id"])

    def version(self, task_id: str, files: dict[str, str]) -> dict[str, Any]:
        response = self(
            "POST",
            f"customTasks/{task_id}/versions/",
            data={
                "baseEnvironmentId": PYTHON_SKLEARN_ENV_ID,
                "isMajorUpdate": "false",
                "filePath": list(files),
            },
            files=[("file", (path, text.encode())) for path, text in files.items()],
        )
        assert response.status_code == 201, response.text
        version: dict[str, Any] = response.json()
        return version

    def listed(self, **params: Any) -> dict[str, dict[str, Any]]:
        """The whole list, proven equal to single GETs (rendered without the cache) and to the
        compact encoding of its own content."""
        response = self("GET", "customTasks/", params={"limit": 1000, **params})
        assert response.status_code == 200, response.text
        page = json.loads(response.content)
        assert response.content == encode_json(page).encode()
        for item in page["data"]:
            single = self("GET", f"customTasks/{item['id']}/")
            assert single.content == encode_json(item).encode()
        assert page["totalCount"] == page["count"] == len(page["data"])
        return {item["id"]: item for item in page["data"]}


@pytest.fixture
def api(emulator: RunningEmulator) -> Api:
    return Api(emulator)


@pytest.fixture
def task_id(api: Api) -> str:
    """A task with one version and another task beside it, both already listed (cached)."""
    made = api.task("first", "fraud model")
    api.version(made, {"custom.py": "x = 1\n", "requirements.txt": "numpy\n"})
    api.task("second")
    assert len(api.listed()) == 2
    return made


def test_task_patch_of_description_and_name_shows_and_reorders(api: Api, task_id: str) -> None:
    assert next(iter(api.listed(orderBy="-updated"))) != task_id
    patched = api("PATCH", f"customTasks/{task_id}/", json={"description": "new words"})
    assert patched.status_code == 201
    listed = api.listed(orderBy="-updated")
    assert next(iter(listed)) == task_id
    assert listed[task_id]["description"] == "new words"
    assert api.listed(searchFor="new words").keys() == {task_id}
    assert api.listed(searchFor="fraud") == {}
    api("PATCH", f"customTasks/{task_id}/", json={"name": "renamed"})
    assert api.listed()[task_id]["name"] == "renamed"


def test_new_version_and_version_patch_show(api: Api, task_id: str) -> None:
    before = api.listed()[task_id]["latestVersion"]
    newer = api.version(task_id, {"custom.py": "x = 2\n"})
    latest = api.listed()[task_id]["latestVersion"]
    assert (latest["id"], latest["label"]) == (newer["id"], "1.1") != (before["id"], "1.0")
    assert [i["fileName"] for i in latest["items"]] == ["custom.py"]

    url = f"customTasks/{task_id}/versions/{newer['id']}/"
    assert api("PATCH", url, json={"description": "a record"}).status_code == 200
    assert api.listed()[task_id]["latestVersion"]["description"] == "a record"
    freeze = f"{api.emu.admin_url}/customTasks/{task_id}/versions/{newer['id']}/freeze"
    requests.post(freeze, timeout=10).raise_for_status()
    assert api.listed()[task_id]["latestVersion"]["isFrozen"] is True


def test_build_started_cancelled_and_finished_by_the_clock(
    emulator_factory: Callable[..., RunningEmulator],
) -> None:
    emu = emulator_factory(build_seconds=60.0)
    now = [1_700_000_000.0]
    emu.app.ctx.clock = lambda: now[0]
    api = Api(emu)
    task_id = api.task("t")
    version = api.version(task_id, {"custom.py": "x\n", "requirements.txt": "numpy\n"})
    build = f"customTasks/{task_id}/versions/{version['id']}/dependencyBuild/"
    listed = api.listed()
    assert api("POST", build).status_code == 202
    assert api.listed() == listed  # a build is not part of the task's JSON
    now[0] += 61.0  # the build finishes by time passing alone
    assert api("GET", build).json()["buildStatus"] == "success"
    assert api.listed() == listed

    other = api.version(task_id, {"requirements.txt": "pandas\n"})
    assert api("POST", f"customTasks/{task_id}/versions/{other['id']}/dependencyBuild/").ok
    assert api("DELETE", f"customTasks/{task_id}/versions/{other['id']}/dependencyBuild/").ok
    assert api.listed()[task_id]["latestVersion"]["id"] == other["id"]


def test_share_in_use_settings_and_a_failed_write(api: Api, task_id: str) -> None:
    share = {"data": [{"username": "ana@example.com", "role": "CONSUMER"}]}
    assert api("PATCH", f"customTasks/{task_id}/accessControl/", json=share).status_code == 204
    api.listed()
    admin = api.emu.admin_url
    requests.post(f"{admin}/customTasks/{task_id}/inUse", json={}, timeout=10).raise_for_status()
    api.listed()
    requests.patch(f"{admin}/settings", json={"username": "z@x.example"}, timeout=10)
    api.listed()
    refused = api("PATCH", f"customTasks/{task_id}/", json={"name": "  "})
    assert refused.status_code == 422
    assert api.listed()[task_id]["name"] == "first"


def test_delete_copy_and_reset(api: Api, task_id: str) -> None:
    copied = api("POST", "customTasks/fromCustomTask/", json={"customTaskId": task_id})
    copy_id = copied.json()["id"]
    listed = api.listed()
    assert listed[copy_id]["latestVersion"]["id"] != listed[task_id]["latestVersion"]["id"]
    assert api("DELETE", f"customTasks/{task_id}/").status_code == 204
    assert task_id not in api.listed()
    assert len(api.listed(searchFor="fraud")) == 1  # the copy
    requests.post(f"{api.emu.admin_url}/reset", timeout=10).raise_for_status()
    assert api.listed() == {}
    again = api.task("after reset")
    assert api.listed().keys() == {again}


def test_list_under_concurrent_writes_ends_current(api: Api, task_id: str) -> None:
    stop = threading.Event()

    def keep_listing() -> Iterator[int]:
        while not stop.is_set():
            yield len(api("GET", "customTasks/", params={"limit": 1000}).json()["data"])

    with ThreadPoolExecutor(max_workers=3) as pool:
        readers = [pool.submit(lambda: list(keep_listing())) for _ in range(2)]
        for i in range(15):
            api("PATCH", f"customTasks/{task_id}/", json={"description": f"round {i}"})
        stop.set()
        assert all(r.result() for r in readers)
    assert api.listed()[task_id]["description"] == "round 14"


def test_state_dir_restart_lists_the_same_bytes(
    emulator_factory: Callable[..., RunningEmulator], tmp_path: Path
) -> None:
    first = emulator_factory(state_dir=tmp_path / "state")
    api = Api(first)
    made = api.task("kept")
    api.version(made, {"custom.py": "x\n"})
    body = api("GET", "customTasks/").content
    first.stop()
    second = Api(emulator_factory(state_dir=tmp_path / "state"))
    assert second("GET", "customTasks/").content == body
    second("PATCH", f"customTasks/{made}/", json={"description": "after restart"})
    assert second.listed()[made]["description"] == "after restart"


@pytest.mark.parametrize("query", ["", "offset=1&limit=2", "offset=4&limit=2&searchFor=x"])
def test_paged_encoded_is_byte_identical_to_paged(query: str) -> None:
    items = [{"id": str(i), "name": f"tâche {i}", "n": i / 3, "none": None} for i in range(5)]
    request = Request(EnvironBuilder(path="/api/v2/customTasks/", query_string=query).get_environ())
    whole = paged(request, items, dict, default_limit=3, max_limit=10)
    spliced = paged_encoded(request, items, encode_json, default_limit=3, max_limit=10)
    assert spliced.get_data() == whole.get_data()
    assert spliced.headers == whole.headers
