"""The scenarios of issue 6, run by one tool against its own fresh emulator.

Each scenario edits the synthetic repository (and commits, as a push would), clears the
emulator's request log, runs the tool once, and reads back what the server saw.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from harness import HERE, BenchError, EmulatorProcess, ToolRun, Traffic, project_env, run_measured
from synthetic_repo import SyntheticRepo, bump_requirements, change_tasks, commit_all, touch_file

BENCH_TOKEN = "bench-token-5d1e"  # the emulator accepts any token; this one is no secret
NAMESPACE = "bench"


@dataclass(frozen=True)
class Tool:
    """A way to sync a repository: ctask-sync or the SDK baseline, each a subprocess."""

    name: str
    command: Callable[[Path, str, Path], list[str]]  # (repo, endpoint, json_out) -> argv


def _ctask_sync_argv(repo: Path, endpoint: str, json_out: Path) -> list[str]:
    return [
        sys.executable, "-m", "ctask_sync", "apply", str(repo),
        "--endpoint", endpoint, "--namespace", NAMESPACE, "--json", str(json_out),
    ]  # fmt: skip


def _baseline_argv(repo: Path, endpoint: str, json_out: Path) -> list[str]:
    return [sys.executable, str(HERE / "sdk_baseline.py"), str(repo), "--endpoint", endpoint]


CTASK_SYNC = Tool("ctask-sync", _ctask_sync_argv)
BASELINE = Tool("SDK loop", _baseline_argv)


@dataclass(frozen=True)
class Scenario:
    """An edit of the repository followed by one sync."""

    key: str
    title: str
    edit: Callable[[SyntheticRepo], int | None]  # returns bytes of the edited files, if any


def _no_edit(repo: SyntheticRepo) -> int | None:
    return None


def _one_file(repo: SyntheticRepo) -> int | None:
    # A task without requirements.txt, so the change costs no dependency build.
    task = next(t for t in repo.tasks if not t.has_requirements and t.artifact is None)
    return touch_file(task, "one file changed")


def _ten_percent(repo: SyntheticRepo) -> int | None:
    tasks = change_tasks(repo, 0.10, "ten percent changed")
    return sum((t.folder / "custom.py").stat().st_size for t in tasks)


def scenarios(builds: int) -> list[Scenario]:
    """The five scenarios of issue 6, in the order they run."""

    def requirements(repo: SyntheticRepo) -> int | None:
        tasks = bump_requirements(repo, builds)
        if len(tasks) < builds:
            raise BenchError(f"only {len(tasks)} tasks have a requirements.txt; need {builds}")
        return sum((t.folder / "requirements.txt").stat().st_size for t in tasks)

    return [
        Scenario("initial", "initial sync", _no_edit),
        Scenario("noop", "no-op re-run", _no_edit),
        Scenario("one_file", "one file changed", _one_file),
        Scenario("ten_percent", "10 % of tasks changed", _ten_percent),
        Scenario("requirements", f"requirements.txt in {builds} tasks", requirements),
    ]


@dataclass
class ScenarioResult:
    """What one tool did in one scenario, as the server saw it."""

    scenario: str
    tool: str
    traffic: Traffic
    run: ToolRun
    edited_bytes: int | None
    page_limit: int | None  # `limit` of the first customTasks/ list request, if sent
    report: dict[str, Any] | None = None  # ctask-sync's --json report
    builds: list[dict[str, Any]] = field(default_factory=list)  # build objects started

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary (no stdout/stderr)."""
        return {
            "scenario": self.scenario,
            "tool": self.tool,
            "reads": self.traffic.reads,
            "writes": self.traffic.writes,
            "bytes_up": self.traffic.bytes_up,
            "by_route": self.traffic.by_route,
            "wall_seconds": round(self.run.wall_seconds, 3),
            "peak_rss_bytes": self.run.peak_rss_bytes,
            "edited_bytes": self.edited_bytes,
            "page_limit": self.page_limit,
            "tool_reported_requests": (self.report or {}).get("requests"),
            "builds": self.builds,
        }


def build_timeline(result: ScenarioResult) -> str | None:
    """When the builds ran inside the tool's run, from the server's build start and end times.

    Shows where the wall time goes: before the first build starts (start-up, plan, uploads),
    the builds themselves, and how long after the last build ended the tool noticed and exited.
    """
    try:
        starts = [_epoch(b["buildStart"]) for b in result.builds]
        ends = [_epoch(b["buildEnd"]) for b in result.builds]
    except (KeyError, TypeError, ValueError):
        return None
    if not starts:
        return None
    run = result.run
    return (
        f"{result.tool}: {len(starts)} builds; the first started "
        f"{min(starts) - run.started_at:.2f} s into the run, the last ended "
        f"{max(ends) - min(starts):.2f} s after that, and the run ended "
        f"{run.ended_at - max(ends):.2f} s after the last build"
    )


def _epoch(stamp: Any) -> float:
    return datetime.fromisoformat(str(stamp).replace("Z", "+00:00")).timestamp()


def _page_limit(entries: list[dict[str, Any]]) -> int | None:
    for entry in entries:
        if entry["method"] == "GET" and str(entry["path"]).endswith("/customTasks/"):
            for pair in str(entry.get("query") or "").split("&"):
                name, _, value = pair.partition("=")
                if name == "limit" and value.isdigit():
                    return int(value)
            return None
    return None


def _started_builds(
    emulator: EmulatorProcess, entries: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The build objects (with server-side start and end times) of builds started in this run."""
    paths = [
        str(e["path"]).removeprefix("/api/v2/")
        for e in entries
        if e["method"] == "POST" and str(e["path"]).endswith("/dependencyBuild/")
    ]
    builds: list[dict[str, Any]] = [emulator.api_get(path, BENCH_TOKEN) for path in paths]
    return builds


def tool_env() -> dict[str, str]:
    """The environment both tools run with: the token in DATAROBOT_API_TOKEN, nothing inherited
    that could point them elsewhere."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DATAROBOT_", "CTASK_SYNC_", "GITHUB_"))
    }
    env["DATAROBOT_API_TOKEN"] = BENCH_TOKEN
    return project_env(env)


def run_scenarios(
    tool: Tool,
    repo: SyntheticRepo,
    emulator: EmulatorProcess,
    plan: list[Scenario],
    *,
    timeout: float,
    log: Callable[[str], None],
) -> list[ScenarioResult]:
    """Run every scenario in order with one tool; raise BenchError when a run fails."""
    results = []
    for scenario in plan:
        edited = scenario.edit(repo)
        commit_all(repo.root, f"bench: {scenario.title}")
        emulator.clear_log()
        json_out = repo.root.parent / f"{repo.root.name}-{scenario.key}.json"
        run = run_measured(
            tool.command(repo.root, emulator.endpoint, json_out),
            env=tool_env(),
            cwd=repo.root,
            timeout=timeout,
        )
        entries = emulator.request_log()
        if run.returncode != 0:
            tail = "\n".join((run.stdout + run.stderr).splitlines()[-15:])
            raise BenchError(
                f"{tool.name} failed in '{scenario.title}' (exit {run.returncode}):\n{tail}"
            )
        report = json.loads(json_out.read_text()) if json_out.exists() else None
        result = ScenarioResult(
            scenario=scenario.key,
            tool=tool.name,
            traffic=Traffic.from_log(entries),
            run=run,
            edited_bytes=edited,
            page_limit=_page_limit(entries),
            report=report,
            builds=_started_builds(emulator, entries),
        )
        log(
            f"  {tool.name:<10} {scenario.title:<32} {result.traffic.total:>6} requests "
            f"{run.wall_seconds:8.2f} s"
        )
        results.append(result)
    return results
