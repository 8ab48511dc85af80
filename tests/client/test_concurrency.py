"""The adaptive request limit (issue 17): grows while DataRobot answers promptly, never past
its cap, halves on 429/503, and a refused request waits out Retry-After without its slot."""

from __future__ import annotations

import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests
from pytest_mock import MockerFixture

from ctask_sync.cli.main import build_parser
from ctask_sync.datarobot.client import DataRobotClient
from ctask_sync.datarobot.concurrency import AdaptiveLimit, Concurrency
from ctask_sync.datarobot.retry import RetryPolicy
from ctask_sync.engine.session import concurrency_of
from ctask_sync.settings import Settings


def _client(emulator: Any, setting: Concurrency) -> DataRobotClient:
    return DataRobotClient(
        emulator.endpoint,
        os.environ["DATAROBOT_API_TOKEN"],
        retry=RetryPolicy(attempts=4, backoff=0.05, max_total=20),
        concurrency=setting,
    )


def test_the_limit_grows_to_its_cap_and_no_further(emulator_factory: Any) -> None:
    emulator = emulator_factory(latency_ms=40)
    with _client(emulator, Concurrency(start=2, cap=5)) as client:
        with ThreadPoolExecutor(max_workers=16) as pool:
            listed = list(pool.map(lambda _: client.list_custom_tasks(), range(48)))

        assert listed == [[]] * 48
        assert (client.limit.peak, client.limit.limit) == (5, 5)
        assert client.limit.most_in_flight == 5


def test_a_fixed_limit_is_a_cap_equal_to_the_start(emulator_factory: Any) -> None:
    emulator = emulator_factory(latency_ms=20)
    with _client(emulator, Concurrency(start=3, cap=3)) as client:
        with ThreadPoolExecutor(max_workers=12) as pool:
            list(pool.map(lambda _: client.list_custom_tasks(), range(24)))

        assert (client.limit.peak, client.limit.most_in_flight) == (3, 3)


def test_429_halves_the_limit_and_every_request_still_succeeds(emulator: Any) -> None:
    rule = {"method": "GET", "path": "customTasks/$", "status": 429, "retry_after": 0.2}
    requests.post(f"{emulator.admin_url}/faults", json={**rule, "times": 4}, timeout=10)
    with _client(emulator, Concurrency(start=8, cap=8)) as client:
        with ThreadPoolExecutor(max_workers=8) as pool:
            listed = list(pool.map(lambda _: client.list_custom_tasks(), range(8)))

        assert listed == [[]] * 8
        assert client.limit.cuts >= 1
        assert client.stats.retries == 4


def test_a_request_waiting_out_retry_after_holds_no_slot(emulator: Any) -> None:
    rule = {"method": "GET", "path": "customTasks/$", "status": 429, "retry_after": 1.5}
    requests.post(f"{emulator.admin_url}/faults", json=rule, timeout=10)
    with _client(emulator, Concurrency(start=1, cap=1)) as client:
        refused = threading.Thread(target=client.list_custom_tasks)
        refused.start()
        while client.stats.retries == 0:  # the 429 has arrived; its wait has begun
            time.sleep(0.01)
        started = time.monotonic()
        client.list_execution_environments()  # needs the only slot
        waited = time.monotonic() - started
        refused.join()

    assert waited < 1.0


def test_answers_that_slow_down_stop_the_growth() -> None:
    limit = AdaptiveLimit(Concurrency(start=4, cap=10))
    limit.answered(0.02)  # prompt: 5
    limit.answered(0.03)  # prompt (within 2 x 20 ms + 50 ms): 6
    limit.answered(0.5)  # slow: stays 6
    limit.answered(0.2)  # slow: stays 6

    assert (limit.limit, limit.peak) == (6, 6)


def test_one_burst_of_refusals_is_one_halving(mocker: MockerFixture) -> None:
    now = [100.0]
    mocker.patch("ctask_sync.datarobot.concurrency.time.monotonic", side_effect=lambda: now[0])
    limit = AdaptiveLimit(Concurrency(start=16, cap=16))
    limit.answered(0.02)
    limit.refused()
    limit.refused()  # the same round trip: ignored
    assert (limit.limit, limit.cuts) == (8, 1)
    now[0] += 1.0
    limit.refused()
    now[0] += 1.0
    limit.refused()
    now[0] += 1.0
    limit.refused()
    now[0] += 1.0
    limit.refused()

    assert (limit.limit, limit.cuts) == (1, 5)  # halved down to one request, never zero


@pytest.mark.parametrize(("start", "cap"), [(0, 4), (5, 4)])
def test_a_limit_needs_one_request_and_a_cap_at_or_above_the_start(start: int, cap: int) -> None:
    with pytest.raises(ValueError, match="need 1 <= start <= cap"):
        Concurrency(start=start, cap=cap)


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        ([], Concurrency(start=8, cap=32)),  # adaptive by default
        (["--concurrency", "1"], Concurrency(start=1, cap=1)),  # explicit: fixed, one at a time
        (["--concurrency", "4", "--max-concurrency", "64"], Concurrency(start=4, cap=64)),
        (["--max-concurrency", "4"], Concurrency(start=4, cap=4)),  # the cap wins
    ],
)
def test_the_command_line_sets_the_start_and_the_cap(
    argv: list[str], expected: Concurrency
) -> None:
    args = build_parser().parse_args(["apply", ".", *argv])

    assert concurrency_of(Settings.from_args(args)) == expected
