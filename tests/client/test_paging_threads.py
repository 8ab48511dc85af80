"""Pages read side by side are parsed in the threads that fetched them, as they arrive: the list
keeps its order whatever order the pages arrive in, and a bad entry gives the same ApiError as
before, raised only once every page is in (from a tiny loopback server)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from ctask_sync.datarobot.client import DataRobotClient
from ctask_sync.datarobot.models import CustomTask
from ctask_sync.errors import ApiError

from .conftest import Pager

LIMIT = 3
TOTAL = 12  # four pages of three


def _task(number: int) -> dict[str, Any]:
    return {
        "id": f"task{number:02d}",
        "name": f"Task {number}",
        "targetType": "Binary",
        "latestVersion": {
            "id": f"version{number:02d}",
            "customTaskId": f"task{number:02d}",
            "versionMajor": 1,
            "versionMinor": 0,
            "items": [
                {"id": f"item{number:02d}", "fileName": "custom.py", "filePath": "custom.py"}
            ],
        },
    }


def _page(request: Request, tasks: list[dict[str, Any]], total: int = TOTAL) -> dict[str, object]:
    offset = int(request.args.get("offset", "0"))
    after = offset + LIMIT
    following = f"{request.base_url}?offset={after}&limit={LIMIT}" if after < total else None
    return {
        "count": len(tasks[offset:after]),
        "totalCount": total,
        "next": following,
        "data": tasks[offset:after],
    }


def _later_pages_first(request: Request) -> None:
    """Hold each page back the longer the earlier it is: the last page arrives first."""
    offset = int(request.args.get("offset", "0"))
    if offset:
        time.sleep(0.1 * (TOTAL - offset) / LIMIT)


def _client(endpoint: str) -> DataRobotClient:
    return DataRobotClient(endpoint, "token-1234", page_limit=LIMIT)


def test_pages_arriving_out_of_order_keep_the_list_order(serve: Callable[[Pager], str]) -> None:
    tasks = [_task(n) for n in range(TOTAL)]
    arrived: list[str] = []

    def pages(request: Request) -> dict[str, object]:
        _later_pages_first(request)
        arrived.append(request.args.get("offset", "0"))
        return _page(request, tasks)

    with _client(serve(pages)) as client:
        listed = client.list_custom_tasks()
        assert client.stats.reads == 4
    assert arrived[0] == "0" and arrived[1:] == ["9", "6", "3"]  # the later pages, last first
    assert [task.id for task in listed] == [f"task{n:02d}" for n in range(TOTAL)]
    assert [task.latest_version.items[0].id for task in listed if task.latest_version] == [
        f"item{n:02d}" for n in range(TOTAL)
    ]


def test_each_task_is_mapped_in_the_thread_that_read_its_page(
    serve: Callable[[Pager], str],
) -> None:
    tasks = [_task(n) for n in range(TOTAL)]
    threads: dict[str, str] = {}

    def pages(request: Request) -> dict[str, object]:
        _later_pages_first(request)
        return _page(request, tasks)

    def each(task: CustomTask) -> str:
        threads[task.id] = threading.current_thread().name
        return task.name

    with _client(serve(pages)) as client:
        names = client.map_custom_tasks(each)
    assert names == [f"Task {n}" for n in range(TOTAL)]
    main = threading.current_thread().name
    assert {threads[f"task{n:02d}"] for n in range(LIMIT)} == {main}  # the first page
    assert main not in {threads[f"task{n:02d}"] for n in range(LIMIT, TOTAL)}


def _bad_item_error(serve: Callable[[Pager], str], tasks: list[dict[str, Any]]) -> str:
    def pages(request: Request) -> dict[str, object]:
        _later_pages_first(request)
        return _page(request, tasks)

    with _client(serve(pages)) as client, pytest.raises(ApiError) as caught:
        client.list_custom_tasks()
    return str(caught.value)


MISSING_FILE_PATH = (
    "DataRobot GET customTasks/ failed (HTTP 200): unexpected response from DataRobot: "
    "missing field 'filePath'\n  hint: this DataRobot version answers differently than "
    "ctask-sync expects; please report it with this message"
)


def test_a_bad_item_on_page_three_gives_the_same_api_error(
    serve: Callable[[Pager], str],
) -> None:
    tasks = [_task(n) for n in range(TOTAL)]
    del tasks[7]["latestVersion"]["items"][0]["filePath"]  # page 3 of 4

    assert _bad_item_error(serve, tasks) == MISSING_FILE_PATH
    # the same words as when the whole list is one page
    with (
        DataRobotClient(serve(lambda request: {"data": tasks, "next": None}), "t-1234") as one,
        pytest.raises(ApiError) as caught,
    ):
        one.list_custom_tasks()
    assert str(caught.value) == MISSING_FILE_PATH


def test_the_first_bad_entry_in_list_order_is_reported(serve: Callable[[Pager], str]) -> None:
    tasks = [_task(n) for n in range(TOTAL)]
    del tasks[4]["latestVersion"]["items"][0]["filePath"]  # page 2, which arrives after page 4
    del tasks[10]["name"]  # page 4

    assert _bad_item_error(serve, tasks) == MISSING_FILE_PATH


def test_a_page_that_cannot_be_fetched_wins_over_a_bad_entry(
    serve: Callable[[Pager], str],
) -> None:
    tasks = [_task(n) for n in range(TOTAL)]
    del tasks[4]["name"]  # page 2

    @Request.application
    def app(request: Request) -> Response:
        if request.args.get("offset") == "9":
            return Response(json.dumps({"message": "gone"}), 404, content_type="application/json")
        return Response(json.dumps(_page(request, tasks)), content_type="application/json")

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        with (
            _client(f"http://127.0.0.1:{server.port}/api/v2") as client,
            pytest.raises(ApiError) as caught,
        ):
            client.list_custom_tasks()
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
    assert caught.value.status == 404  # as before: every page is fetched before any is read


def test_a_bad_entry_of_a_list_that_changed_is_read_again(serve: Callable[[Pager], str]) -> None:
    tasks = [_task(n) for n in range(TOTAL)]
    broken = json.loads(json.dumps(tasks))
    del broken[7]["name"]
    calls = {"n": 0}
    lock = threading.Lock()

    def pages(request: Request) -> dict[str, object]:
        with lock:
            calls["n"] += 1
            first_pass = calls["n"] <= 4
        if first_pass and request.args.get("offset") == "6":
            # read while a task was being fixed: the page says so with another total
            return _page(request, broken, total=TOTAL + 1)
        return _page(request, tasks)

    with _client(serve(pages)) as client:
        listed = client.list_custom_tasks()
        assert client.stats.reads == 4 + 3  # then page after page along the `next` links
    assert [task.id for task in listed] == [f"task{n:02d}" for n in range(TOTAL)]
