"""Issue 6's targets, checked against measured figures.

Count, byte and memory targets are checked in every run (CI runs --quick). Wall-clock targets
are checked only in the full run: shared CI machines are too noisy to assert times on.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from race import SDK_THREADS, RaceResult
from scenarios import CTASK_SYNC, ScenarioResult

SLACK_BYTES = 4 * 1024  # one-file change: the file's size plus at most 4 KB of overhead
RSS_LIMIT_BYTES = 150 * 1000 * 1000  # "peak RSS under 150 MB"
INITIAL_SPEEDUP = 5.0
BUILDS_FACTOR = 2.0  # all builds done in under 2x one build's time
PLAN_LIMIT_SECONDS = 3.0
RACE_OVER_SDK = 1.0  # initial sync without builds: no slower than the SDK on 8 threads
RACE_OVER_FLOOR = 1.3  # ... and within 1.3x of ctask-sync's own floor at concurrency 8


@dataclass(frozen=True)
class Target:
    """One target: what was measured, the limit, whether it held."""

    name: str
    measured: str
    limit: str
    ok: bool | None  # None: not checked in this run (a timing target in --quick, or no data)
    timing: bool = False

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view."""
        return {
            "name": self.name,
            "measured": self.measured,
            "limit": self.limit,
            "ok": self.ok,
            "timing": self.timing,
        }


@dataclass
class Figures:
    """Everything the targets look at."""

    n: int
    build_seconds: float
    builds: int  # tasks whose requirements.txt the last scenario changed
    default_page_limit: int
    results: list[ScenarioResult]
    big_file_bytes: int
    big_upload_rss: int | None  # ctask-sync's peak RSS uploading the big file
    plan_tasks: int
    plan_seconds: float | None  # ctask-sync plan wall time, no changes
    race: list[RaceResult] | None = None  # initial sync without builds (issue 17)


def _find(figures: Figures, scenario: str, tool: str) -> ScenarioResult | None:
    for result in figures.results:
        if result.scenario == scenario and result.tool == tool:
            return result
    return None


def _timed(ok: bool, check_timing: bool) -> bool | None:
    return ok if check_timing else None


def check(figures: Figures, *, check_timing: bool, baseline_name: str) -> list[Target]:
    """Every target of issue 6 against the figures."""
    targets: list[Target] = []
    noop = _find(figures, "noop", CTASK_SYNC.name)
    if noop is not None:
        page = noop.page_limit or figures.default_page_limit
        allowed = math.ceil(figures.n / page) + 2
        targets.append(
            Target(
                "no-op re-run: writes",
                str(noop.traffic.writes),
                "0",
                noop.traffic.writes == 0,
            )
        )
        targets.append(
            Target(
                "no-op re-run: requests",
                str(noop.traffic.total),
                f"<= ceil({figures.n}/{page})+2 = {allowed}",
                noop.traffic.total <= allowed,
            )
        )
    one = _find(figures, "one_file", CTASK_SYNC.name)
    if one is not None and one.edited_bytes is not None:
        limit = one.edited_bytes + SLACK_BYTES
        targets.append(
            Target(
                "one file changed: writes", str(one.traffic.writes), "2", one.traffic.writes == 2
            )
        )
        targets.append(
            Target(
                "one file changed: bytes uploaded",
                f"{one.traffic.bytes_up:,} B",
                f"<= {one.edited_bytes:,} + 4,096 = {limit:,} B",
                one.traffic.bytes_up <= limit,
            )
        )
    initial = _find(figures, "initial", CTASK_SYNC.name)
    initial_base = _find(figures, "initial", baseline_name)
    if initial is not None and initial_base is not None:
        speedup = initial_base.run.wall_seconds / max(initial.run.wall_seconds, 1e-9)
        targets.append(
            Target(
                f"initial sync of {figures.n}: speed-up",
                f"{speedup:.1f}x",
                f">= {INITIAL_SPEEDUP:.0f}x",
                _timed(speedup >= INITIAL_SPEEDUP, check_timing),
                timing=True,
            )
        )
    reqs = _find(figures, "requirements", CTASK_SYNC.name)
    if reqs is not None:
        targets.extend(_build_targets(figures, reqs, check_timing))
    if figures.big_upload_rss is not None:
        targets.append(
            Target(
                f"upload of a {figures.big_file_bytes / 2**20:,.0f} MiB file: peak RSS",
                f"{figures.big_upload_rss / 1e6:.0f} MB",
                f"< {RSS_LIMIT_BYTES / 1e6:.0f} MB",
                figures.big_upload_rss < RSS_LIMIT_BYTES,
            )
        )
    targets.extend(race_targets(figures.race or [], check_timing))
    if figures.plan_seconds is not None:
        targets.append(
            Target(
                f"plan of {figures.plan_tasks:,} unchanged tasks",
                f"{figures.plan_seconds:.2f} s",
                f"< {PLAN_LIMIT_SECONDS:.0f} s",
                _timed(figures.plan_seconds < PLAN_LIMIT_SECONDS, check_timing),
                timing=True,
            )
        )
    return targets


def race_targets(race: list[RaceResult], check_timing: bool) -> list[Target]:
    """Issue 17: the initial sync without builds against the SDK on 8 threads and the floor."""
    by_tool = {r.tool: r for r in race}
    ours, sdk = by_tool.get(CTASK_SYNC.name), by_tool.get(SDK_THREADS.name)
    if ours is None or sdk is None:
        return []
    over_sdk = ours.wall_seconds / sdk.wall_seconds
    return [
        Target(
            f"initial sync of {ours.tasks}, no builds: ctask-sync / {SDK_THREADS.name}",
            f"{ours.wall_seconds:.2f} s / {sdk.wall_seconds:.2f} s = {over_sdk:.2f}x",
            f"<= {RACE_OVER_SDK:g}x",
            _timed(over_sdk <= RACE_OVER_SDK, check_timing),
            timing=True,
        ),
        Target(
            f"initial sync of {ours.tasks}, no builds: ctask-sync / its floor at 8",
            f"{ours.wall_seconds:.2f} s / {ours.floor_seconds:.2f} s = {ours.over_floor:.2f}x",
            f"<= {RACE_OVER_FLOOR:g}x",
            _timed(ours.over_floor <= RACE_OVER_FLOOR, check_timing),
            timing=True,
        ),
    ]


def _build_targets(figures: Figures, reqs: ScenarioResult, check_timing: bool) -> list[Target]:
    """Builds: the right number started, run side by side, and done in < 2x one build."""
    wanted = figures.builds
    started = len(reqs.builds)
    targets = [
        Target(
            "requirements changed: builds started",
            str(started),
            f"{wanted} (one per changed task)",
            started == wanted,
        )
    ]
    overlap = _all_overlap(reqs.builds)
    targets.append(
        Target(
            "requirements changed: builds run side by side",
            "yes" if overlap else "no",
            "every build running at one moment (server's start/end times)",
            overlap,
        )
    )
    limit = BUILDS_FACTOR * figures.build_seconds
    targets.append(
        Target(
            f"{started} dependency builds of {figures.build_seconds:g} s: wall time",
            f"{reqs.run.wall_seconds:.2f} s",
            f"< {BUILDS_FACTOR:g} x {figures.build_seconds:g} s = {limit:g} s",
            _timed(reqs.run.wall_seconds < limit, check_timing),
            timing=True,
        )
    )
    return targets


def _all_overlap(builds: list[dict[str, Any]]) -> bool:
    """True when some moment lies inside every build's [start, end] (a common intersection)."""
    starts = [b.get("buildStart") for b in builds]
    ends = [b.get("buildEnd") for b in builds]
    if not builds or None in starts or None in ends:
        return False
    # ISO-8601 strings in one format and zone compare in time order.
    return max(str(s) for s in starts) < min(str(e) for e in ends)
