"""Two single-figure measurements: peak RSS of a big upload, and plan time at 1,000 tasks."""

from __future__ import annotations

import shutil
import statistics
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from harness import BenchError, EmulatorProcess, ToolRun, run_measured
from scenarios import NAMESPACE, Tool, tool_env
from synthetic_repo import add_big_file, generate


@dataclass
class BigUpload:
    """Peak resident memory of one tool uploading one big file, and of the server."""

    tool: str
    file_bytes: int
    peak_rss_bytes: int
    wall_seconds: float
    emulator_peak_rss_bytes: int | None
    bytes_up: int


def big_upload(tool: Tool, workdir: Path, size: int, *, log: Callable[[str], None]) -> BigUpload:
    """Sync a one-task repo whose artifact is a sparse file of `size` bytes, in a fresh child.

    The emulator keeps its blobs on disk (--state) so the server side holds no file in memory;
    its own peak RSS is reported too, to show that.
    """
    root = workdir / f"big-{tool.name.replace(' ', '-')}"
    state = workdir / f"big-state-{tool.name.replace(' ', '-')}"
    add_big_file(root, size)
    try:
        with EmulatorProcess(
            latency_ms=0, build_seconds=0.1, state_dir=state, log_path=workdir / f"{root.name}.log"
        ) as emulator:
            run = _run_ok(tool, root, emulator, timeout=900)
            traffic = sum(int(e.get("request_bytes") or 0) for e in emulator.request_log())
            server_peak = emulator.peak_rss_bytes()
    finally:
        shutil.rmtree(state, ignore_errors=True)  # a real 1 GiB copy of the zeros lives here
        shutil.rmtree(root, ignore_errors=True)
    log(
        f"  {tool.name:<10} upload of {size / 2**20:,.0f} MiB: peak RSS "
        f"{run.peak_rss_bytes / 1e6:.0f} MB, {run.wall_seconds:.1f} s"
    )
    return BigUpload(tool.name, size, run.peak_rss_bytes, run.wall_seconds, server_peak, traffic)


def _run_ok(tool: Tool, root: Path, emulator: EmulatorProcess, *, timeout: float) -> ToolRun:
    json_out = root.parent / f"{root.name}.json"
    run = run_measured(
        tool.command(root, emulator.endpoint, json_out), env=tool_env(), cwd=root, timeout=timeout
    )
    if run.returncode != 0:
        tail = "\n".join((run.stdout + run.stderr).splitlines()[-15:])
        raise BenchError(f"{tool.name} failed on {root.name} (exit {run.returncode}):\n{tail}")
    return run


@dataclass
class PlanScale:
    """Plan time for many unchanged tasks."""

    tasks: int
    plan_seconds: list[float]  # end-to-end `ctask-sync plan` runs (interpreter start included)
    discover_seconds: float  # manifest.discover alone (validation + file digests), in-process
    plan_requests: int

    @property
    def median(self) -> float:
        return statistics.median(self.plan_seconds)


_DISCOVER_TIMER = """
import gc, sys, time
gc.set_threshold(200_000, 30, 30)  # as the CLI runs (cli/main.py)
from pathlib import Path
from ctask_sync.manifest.discovery import discover
start = time.perf_counter()
found = discover(Path(sys.argv[1]))
elapsed = time.perf_counter() - start
assert not found.errors, [f.format() for f in found.errors[:5]]
print(f"{elapsed:.4f} {len(found.tasks)}")
"""


def plan_scale(
    apply_tool: Tool, workdir: Path, tasks: int, *, runs: int, log: Callable[[str], None]
) -> PlanScale:
    """Apply `tasks` tasks once (0 latency), then time `plan` with nothing changed."""
    root = workdir / "plan-scale"
    generate(root, tasks)
    with EmulatorProcess(
        latency_ms=0, build_seconds=0.0, log_path=workdir / "plan-scale.log"
    ) as emulator:
        applied = _run_ok(apply_tool, root, emulator, timeout=1800)
        log(f"  applied {tasks:,} tasks in {applied.wall_seconds:.1f} s (setup, not timed)")
        argv = [
            sys.executable, "-m", "ctask_sync", "plan", str(root),
            "--endpoint", emulator.endpoint, "--namespace", NAMESPACE,
        ]  # fmt: skip
        seconds = []
        for _ in range(runs):
            emulator.clear_log()
            run = run_measured(argv, env=tool_env(), cwd=root, timeout=300)
            if run.returncode != 0:  # 0: no changes; 2 would mean the sync did not hold
                tail = "\n".join((run.stdout + run.stderr).splitlines()[-15:])
                raise BenchError(
                    f"plan of {tasks} unchanged tasks exited {run.returncode}:\n{tail}"
                )
            seconds.append(run.wall_seconds)
        requests = len(emulator.request_log())
    timer = run_measured(
        [sys.executable, "-c", _DISCOVER_TIMER, str(root)], env=tool_env(), cwd=root, timeout=300
    )
    if timer.returncode != 0:
        raise BenchError(f"timing discover() failed:\n{timer.stderr[-2000:]}")
    discover_seconds = float(timer.stdout.split()[0])
    shutil.rmtree(root, ignore_errors=True)
    result = PlanScale(tasks, seconds, discover_seconds, requests)
    log(
        f"  plan of {tasks:,} unchanged tasks: median {result.median:.2f} s over {runs} runs "
        f"(discover alone {discover_seconds:.2f} s, {requests} requests)"
    )
    return result
