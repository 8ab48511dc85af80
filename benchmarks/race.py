"""Initial sync with no dependency builds: ctask-sync against the SDK on 8 threads (issue 17).

Each tool syncs its own copy of a synthetic repository without requirements.txt files (so the
time is requests, not builds) against its own fresh emulator. The *floor* of a tool is the
latency its dependent writes cannot avoid: ceil(N / 8) rounds of 8 tasks, times the writes one
task makes one after another (ctask-sync 3: task, version, sync record; the SDK 2: task and
version), times the per-request latency. Ratios are taken within one run, so machine load
affects both sides alike.
"""

from __future__ import annotations

import math
import shutil
import statistics
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from harness import HERE, EmulatorProcess
from scenarios import CTASK_SYNC, Scenario, Tool, run_scenarios
from synthetic_repo import commit_all, generate

FLOOR_CONCURRENCY = 8


def _sdk_threads_argv(repo: Path, endpoint: str, json_out: Path) -> list[str]:
    return [sys.executable, str(HERE / "sdk_threads.py"), str(repo), "--endpoint", endpoint]


SDK_THREADS = Tool("SDK on 8 threads", _sdk_threads_argv)
DEPENDENT_WRITES = {CTASK_SYNC.name: 3, SDK_THREADS.name: 2}


@dataclass(frozen=True)
class RaceResult:
    """One tool's initial sync without builds, and its floor."""

    tool: str
    tasks: int
    wall_seconds: float
    writes: int
    floor_seconds: float
    runs: tuple[float, ...] = ()  # every round's wall time; wall_seconds is their median

    @property
    def over_floor(self) -> float:
        return self.wall_seconds / self.floor_seconds


def floor_seconds(tool: str, tasks: int, latency_ms: float) -> float:
    """ceil(N / 8) rounds x dependent writes per task x latency."""
    rounds = math.ceil(tasks / FLOOR_CONCURRENCY)
    return rounds * DEPENDENT_WRITES[tool] * latency_ms / 1000


def race(
    workdir: Path, tasks: int, latency_ms: float, *, rounds: int = 1, log: Callable[[str], None]
) -> list[RaceResult]:
    """Both tools' initial sync of `tasks` tasks without builds, each on a fresh emulator.

    With several rounds the tools alternate (SDK, ctask-sync, SDK, ...) so that a change in
    the machine's load falls on both, and each tool's median wall time is kept."""
    walls: dict[str, list[float]] = {SDK_THREADS.name: [], CTASK_SYNC.name: []}
    writes: dict[str, int] = {}
    for round_number in range(rounds):
        for tool in (SDK_THREADS, CTASK_SYNC):
            wall, sent = _initial_sync(workdir, tool, tasks, latency_ms, round_number, log)
            walls[tool.name].append(wall)
            writes[tool.name] = sent
    return [
        RaceResult(
            name,
            tasks,
            statistics.median(seconds),
            writes[name],
            floor_seconds(name, tasks, latency_ms),
            tuple(seconds),
        )
        for name, seconds in walls.items()
    ]


def _initial_sync(
    workdir: Path,
    tool: Tool,
    tasks: int,
    latency_ms: float,
    round_number: int,
    log: Callable[[str], None],
) -> tuple[float, int]:
    slug = f"race-{round_number}-" + tool.name.replace(" ", "-")
    repo = generate(workdir / slug, tasks)
    for task in repo.with_requirements:
        (task.folder / "requirements.txt").unlink()
        task.has_requirements = False
    commit_all(repo.root, "no requirements: no builds")
    with EmulatorProcess(
        latency_ms=latency_ms, build_seconds=0.1, log_path=workdir / f"{slug}.log"
    ) as emulator:
        initial = Scenario("initial", "initial sync, no builds", lambda _repo: None)
        (result,) = run_scenarios(tool, repo, emulator, [initial], timeout=900, log=log)
    shutil.rmtree(repo.root, ignore_errors=True)
    return result.run.wall_seconds, result.traffic.writes


RACE_HEADERS = ("initial sync, no builds", "writes", "wall s", "floor s", "wall / floor")


def race_rows(results: list[RaceResult]) -> list[tuple[str, ...]]:
    """One row per tool, then ctask-sync's wall time over the threaded SDK's."""
    rows: list[tuple[str, ...]] = [
        (
            r.tool,
            str(r.writes),
            f"{r.wall_seconds:.2f}",
            f"{r.floor_seconds:.2f}",
            f"{r.over_floor:.2f}x",
        )
        for r in results
    ]
    by_tool = {r.tool: r for r in results}
    ours, sdk = by_tool.get(CTASK_SYNC.name), by_tool.get(SDK_THREADS.name)
    if ours is not None and sdk is not None:
        rows.append(
            (
                f"ctask-sync / {SDK_THREADS.name}",
                "",
                f"{ours.wall_seconds / sdk.wall_seconds:.2f}x",
                "",
                "",
            )
        )
    return rows
