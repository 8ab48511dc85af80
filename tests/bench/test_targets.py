"""The target checks: a missed count is a MISS, timing targets are only shown in --quick."""

from __future__ import annotations

from typing import Any

import pytest
from harness import ToolRun, Traffic
from race import SDK_THREADS, RaceResult, floor_seconds, race_rows
from scenarios import BASELINE, CTASK_SYNC, ScenarioResult
from targets import Figures, check, race_targets


def _entry(method: str, path: str, request_bytes: int = 0, query: str = "") -> dict[str, Any]:
    return {
        "seq": 1, "method": method, "path": path, "query": query, "status": 200,
        "request_bytes": request_bytes, "response_bytes": 10, "ms": 1.0, "fault": None,
    }  # fmt: skip


def _result(
    scenario: str,
    tool: str,
    entries: list[dict[str, Any]],
    *,
    wall: float = 1.0,
    edited: int | None = None,
    builds: list[dict[str, Any]] | None = None,
) -> ScenarioResult:
    return ScenarioResult(
        scenario=scenario,
        tool=tool,
        traffic=Traffic.from_log(entries),
        run=ToolRun(0, wall, 50_000_000, "", ""),
        edited_bytes=edited,
        page_limit=None,
        builds=builds or [],
    )


def _build(start: str, end: str) -> dict[str, Any]:
    return {"buildStatus": "success", "buildStart": start, "buildEnd": end}


def _figures(results: list[ScenarioResult], rss: int = 60_000_000) -> Figures:
    return Figures(
        n=200, build_seconds=3.0, builds=2, default_page_limit=100, results=results,
        big_file_bytes=2**30, big_upload_rss=rss, plan_tasks=1000, plan_seconds=2.0,
    )  # fmt: skip


TASK = "/api/v2/customTasks/65a1b2c3d4e5f60718293a4b/versions/"


def test_traffic_counts_methods_bytes_and_folds_ids() -> None:
    traffic = Traffic.from_log(
        [
            _entry("GET", "/api/v2/customTasks/"),
            _entry("PATCH", TASK, 5000),
            _entry("patch", TASK + "65a1b2c3d4e5f60718293a4c/", 300),
        ]
    )

    assert (traffic.reads, traffic.writes, traffic.bytes_up, traffic.total) == (1, 2, 5300, 3)
    assert traffic.by_route == {
        "GET customTasks/": 1,
        "PATCH customTasks/{id}/versions/": 1,
        "PATCH customTasks/{id}/versions/{id}/": 1,
    }


def test_all_targets_pass_on_good_figures() -> None:
    overlapping = [
        _build("2026-01-01T00:00:00.100000Z", "2026-01-01T00:00:03.100000Z"),
        _build("2026-01-01T00:00:00.200000Z", "2026-01-01T00:00:03.200000Z"),
    ]
    results = [
        _result("initial", BASELINE.name, [], wall=100.0),
        _result("initial", CTASK_SYNC.name, [], wall=10.0),
        _result("noop", CTASK_SYNC.name, [_entry("GET", "/api/v2/customTasks/")] * 4),
        _result(
            "one_file",
            CTASK_SYNC.name,
            [
                _entry("GET", "/api/v2/customTasks/"),
                _entry("PATCH", TASK, 6000),
                _entry("PATCH", TASK + "65a1b2c3d4e5f60718293a4c/", 900),
            ],
            edited=3000,
        ),
        _result("requirements", CTASK_SYNC.name, [], wall=5.0, builds=overlapping),
    ]

    targets = check(_figures(results), check_timing=True, baseline_name=BASELINE.name)

    assert [(t.name, t.ok) for t in targets] == [
        ("no-op re-run: writes", True),
        ("no-op re-run: requests", True),
        ("one file changed: writes", True),
        ("one file changed: bytes uploaded", True),
        ("initial sync of 200: speed-up", True),
        ("requirements changed: builds started", True),
        ("requirements changed: builds run side by side", True),
        ("2 dependency builds of 3 s: wall time", True),
        ("upload of a 1,024 MiB file: peak RSS", True),
        ("plan of 1,000 unchanged tasks", True),
    ]


def test_missed_counts_fail_and_quick_mode_only_shows_timing() -> None:
    sequential = [
        _build("2026-01-01T00:00:00Z", "2026-01-01T00:00:03Z"),
        _build("2026-01-01T00:00:05Z", "2026-01-01T00:00:08Z"),
    ]
    results = [
        _result("initial", BASELINE.name, [], wall=10.0),
        _result("initial", CTASK_SYNC.name, [], wall=10.0),
        _result("noop", CTASK_SYNC.name, [_entry("GET", "/api/v2/customTasks/")] * 4
                + [_entry("PATCH", TASK, 10)]),
        _result("one_file", CTASK_SYNC.name, [_entry("PATCH", TASK, 9000)], edited=3000),
        _result("requirements", CTASK_SYNC.name, [], wall=30.0, builds=sequential),
    ]  # fmt: skip

    targets = {
        t.name: t
        for t in check(
            _figures(results, rss=200_000_000), check_timing=False, baseline_name=BASELINE.name
        )
    }

    assert targets["no-op re-run: writes"].ok is False
    assert targets["no-op re-run: requests"].ok is False
    assert targets["no-op re-run: requests"].limit == "<= ceil(200/100)+2 = 4"
    assert targets["one file changed: writes"].ok is False
    assert targets["one file changed: bytes uploaded"].ok is False
    assert targets["one file changed: bytes uploaded"].measured == "9,000 B"
    assert targets["requirements changed: builds run side by side"].ok is False
    assert targets["upload of a 1,024 MiB file: peak RSS"].ok is False
    # Wall-clock targets are measured but not judged in --quick.
    assert targets["initial sync of 200: speed-up"].ok is None
    assert targets["initial sync of 200: speed-up"].measured == "1.0x"
    assert targets["2 dependency builds of 3 s: wall time"].ok is None
    assert targets["plan of 1,000 unchanged tasks"].ok is None


def test_the_race_floor_is_rounds_of_eight_times_dependent_writes_times_latency() -> None:
    assert floor_seconds(CTASK_SYNC.name, 200, 20.0) == pytest.approx(25 * 3 * 0.020)
    assert floor_seconds(SDK_THREADS.name, 201, 20.0) == pytest.approx(26 * 2 * 0.020)


def test_race_targets_compare_with_the_threaded_sdk_and_the_floor() -> None:
    race = [
        RaceResult(SDK_THREADS.name, 200, 2.0, 400, 1.0),
        RaceResult(CTASK_SYNC.name, 200, 1.8, 600, 1.5),
    ]

    checked = race_targets(race, check_timing=True)
    shown = race_targets(race, check_timing=False)

    assert [(t.measured, t.ok) for t in checked] == [
        ("1.80 s / 2.00 s = 0.90x", True),
        ("1.80 s / 1.50 s = 1.20x", True),
    ]
    assert [t.ok for t in shown] == [None, None]
    slower = [race[0], RaceResult(CTASK_SYNC.name, 200, 2.2, 600, 1.5)]
    assert [t.ok for t in race_targets(slower, check_timing=True)] == [False, False]
    assert race_rows(race)[-1][:3] == ("ctask-sync / SDK on 8 threads", "", "0.90x")
