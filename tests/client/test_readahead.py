"""The task list read ahead (datarobot/readahead.py), against a loopback server that counts and
fails requests: the list taken is the list a fresh read gives, each page is sent once, an
attempt that failed ahead is the taker's first (its retries, lines and waits are the usual
ones), an attempt nobody takes says nothing, and a later list is read afresh."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

import pytest
import requests
from werkzeug.wrappers import Request

from ctask_sync.datarobot.client import DataRobotClient
from ctask_sync.datarobot.readahead import ReadAhead, key_of, taken
from ctask_sync.datarobot.retry import RetryPolicy

from .conftest import Pager

LIMIT = 3
TOTAL = 10  # four pages: 3 + 3 + 3 + 1


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
            "items": [{"id": f"i{number:02d}", "fileName": "custom.py", "filePath": "custom.py"}],
        },
    }


class Server:
    """Pages of TOTAL tasks; counts each GET by its offset; fails or holds back on request."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.seen: Counter[int] = Counter()
        self.fail: Counter[int] = Counter()  # offset -> how many more times to answer 500
        self.hold = 0.0  # seconds each page is held back

    def __call__(self, request: Request) -> dict[str, object]:
        offset = int(request.args.get("offset", "0"))
        with self.lock:
            self.seen[offset] += 1
            failing = self.fail[offset] > 0
            self.fail[offset] -= failing
        time.sleep(self.hold)
        if failing:
            # the stand-in server answers 200 with a body; a 500 is what the client must see
            raise _Failure
        after = offset + LIMIT
        following = f"{request.base_url}?offset={after}&limit={LIMIT}" if after < TOTAL else None
        return {
            "count": len(range(TOTAL)[offset:after]),
            "totalCount": TOTAL,
            "next": following,
            "data": [_task(n) for n in range(TOTAL)[offset:after]],
        }


class _Failure(Exception):
    """Raised in the stand-in app: werkzeug answers it with 500 Internal Server Error."""


def _client(endpoint: str, lines: list[str]) -> DataRobotClient:
    policy = RetryPolicy(attempts=3, backoff=0.01, max_total=5, on_retry=lines.append)
    return DataRobotClient(endpoint, "tok-readahead", page_limit=LIMIT, retry=policy)


def _names(client: DataRobotClient) -> list[str]:
    return [task.name for task in client.list_custom_tasks()]


EXPECTED = [f"Task {n}" for n in range(TOTAL)]


def test_the_list_taken_is_a_fresh_lists_and_each_page_is_sent_once(
    serve: Callable[[Pager], str],
) -> None:
    server = Server()
    lines: list[str] = []
    with _client(serve(server), lines) as client:
        client.read_ahead_custom_tasks().join(10)
        assert dict(server.seen) == {0: 1, 3: 1, 6: 1, 9: 1}  # fetched ahead, all four pages
        assert _names(client) == EXPECTED
        assert dict(server.seen) == {0: 1, 3: 1, 6: 1, 9: 1}  # taken: nothing sent again
        assert client.stats.reads == 4
        # a later list is read afresh (a replan after a write whose outcome is unknown)
        assert _names(client) == EXPECTED
        assert dict(server.seen) == {0: 2, 3: 2, 6: 2, 9: 2}
    assert lines == []


def test_a_list_asked_for_while_its_pages_are_on_their_way_waits_for_them(
    serve: Callable[[Pager], str],
) -> None:
    server = Server()
    server.hold = 0.2
    with _client(serve(server), []) as client:
        client.read_ahead_custom_tasks()
        assert _names(client) == EXPECTED  # asked at once: the pages are still on their way
        assert dict(server.seen) == {0: 1, 3: 1, 6: 1, 9: 1}


def test_a_later_page_that_failed_ahead_is_retried_by_the_taker_as_its_first_attempt(
    serve: Callable[[Pager], str],
) -> None:
    server = Server()
    server.fail[6] = 1
    lines: list[str] = []
    with _client(serve(server), lines) as client:
        client.read_ahead_custom_tasks().join(10)
        assert dict(server.seen) == {0: 1, 3: 1, 6: 1, 9: 1}  # one attempt each, no retries
        assert lines == []  # nothing is said ahead
        assert _names(client) == EXPECTED
        assert dict(server.seen) == {0: 1, 3: 1, 6: 2, 9: 1}
    # the failed attempt is the taker's first: one retry, with its line
    assert len(lines) == 1 and lines[0].startswith("HTTP 500, retrying in ")
    assert lines[0].endswith("(2/3)")


def test_an_attempt_nobody_takes_says_nothing(serve: Callable[[Pager], str]) -> None:
    server = Server()
    server.fail[0] = 1
    lines: list[str] = []
    with _client(serve(server), lines) as client:
        client.read_ahead_custom_tasks().join(10)
    assert dict(server.seen) == {0: 1} and lines == []


def test_a_first_page_the_read_ahead_could_not_fetch_leaves_the_list_to_the_taker(
    serve: Callable[[Pager], str],
) -> None:
    server = Server()
    server.fail[0] = 1
    lines: list[str] = []
    with _client(serve(server), lines) as client:
        client.read_ahead_custom_tasks().join(10)
        assert dict(server.seen) == {0: 1}  # nothing to plan the later pages from
        assert _names(client) == EXPECTED
        assert dict(server.seen) == {0: 2, 3: 1, 6: 1, 9: 1}
    assert len(lines) == 1 and lines[0].endswith("(2/3)")


def test_the_takers_own_retries_are_the_usual_ones(serve: Callable[[Pager], str]) -> None:
    server = Server()
    server.fail.update({3: 2})  # the attempt sent ahead, then the taker's second
    lines: list[str] = []
    with _client(serve(server), lines) as client:
        client.read_ahead_custom_tasks().join(10)
        assert _names(client) == EXPECTED
    assert server.seen[3] == 3
    assert [line[-5:] for line in lines] == ["(2/3)", "(3/3)"]


def test_an_attempt_is_taken_once_whatever_the_order_of_its_parameters() -> None:
    ahead = ReadAhead()
    (future,) = ahead.expect([key_of("http://h/api/v2/customTasks/", {"a": 1, "limit": 3})])
    assert ahead.pending() == 1
    assert ahead.take(key_of("http://h/api/v2/customTasks/", {"limit": 3, "a": 1})) is future
    assert ahead.pending() == 0
    assert ahead.take(key_of("http://h/api/v2/customTasks/", {"limit": 3, "a": 1})) is None


def test_an_attempt_that_failed_other_than_on_the_wire_is_sent_again() -> None:
    lost: Future[requests.Response] = Future()
    lost.set_exception(requests.ConnectionError("refused"))
    with pytest.raises(requests.ConnectionError):
        taken(lost)  # the taker's retry rules see it as its own first attempt
    broken: Future[requests.Response] = Future()
    broken.set_exception(RuntimeError("not sent"))
    assert taken(broken) is None  # the taker sends it itself
