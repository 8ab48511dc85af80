"""Issue 7, item 1 for the default mode: `ctask-sync apply` with no endpoint serves the embedded
emulator in its own process and keeps its state in `.ctask-sync/`. SIGKILL takes the client and
the server down together, so what survives is whatever the state directory holds.

The child runs unbuffered; the test kills it as soon as it has printed the k-th line after
"Applying:" (each line is a step that completed), for every k. Then an apply in this process
finishes the work, and an emulator started on the same state directory lets the official client
check the end state."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from ctask_sync.emulator import EmulatorSettings, start_emulator
from ctask_sync.engine.session import EMBEDDED_STATE

from .scenario import Scenario, make_scenario
from .support import NAMESPACE, check_state, cli, git, subprocess_env

ARGS = ("--namespace", NAMESPACE, "--concurrency", "1")


def kill_after_lines(repo: Path, k: int) -> tuple[int, list[str]]:
    """Run the embedded apply; SIGKILL it once k step lines followed "Applying:" (it runs to
    the end when there are fewer)."""
    child = subprocess.Popen(
        [sys.executable, "-m", "ctask_sync", "apply", str(repo), *ARGS],
        env=subprocess_env(PYTHONUNBUFFERED="1"),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert child.stdout is not None
    seen: list[str] = []
    applying = False
    try:
        for line in child.stdout:
            if applying and not line.strip():
                break  # the steps are over; what follows is the report
            if applying:
                seen.append(line.rstrip())
            applying = applying or line.startswith("Applying:")
            if applying and len(seen) >= k:
                child.send_signal(signal.SIGKILL)
                break
        child.stdout.read()  # let it finish
    finally:
        child.stdout.close()
        child.wait(timeout=60)
    return child.returncode, seen


@pytest.fixture
def synced_base(tmp_path: Path) -> tuple[Scenario, Path]:
    """The scenario with its base applied through the embedded emulator; a copy of that state."""
    scenario = make_scenario(tmp_path)
    git(scenario.repo, "checkout", "-q", scenario.base)
    assert cli("apply", str(scenario.repo), *ARGS).code == 0
    git(scenario.repo, "checkout", "-q", "main")
    pristine = tmp_path / "pristine-state"
    shutil.copytree(scenario.repo / EMBEDDED_STATE, pristine)
    return scenario, pristine


@pytest.mark.slow
def test_embedded_apply_killed_after_each_step_converges(
    synced_base: tuple[Scenario, Path], tmp_path: Path
) -> None:
    scenario, pristine = synced_base
    state = scenario.repo / EMBEDDED_STATE
    report = tmp_path / "report.json"
    tally = []
    k = 0
    while True:
        shutil.rmtree(state)
        shutil.copytree(pristine, state)
        code, seen = kill_after_lines(scenario.repo, k)
        finished = code == 0  # it ran to the end before k lines came
        again = cli("apply", str(scenario.repo), *ARGS)
        assert again.code == 0, (k, again.text)
        third = cli("apply", str(scenario.repo), *ARGS, "--json", str(report))
        assert third.code == 0
        assert json.loads(report.read_text())["requests"]["writes"] == 0, (k, third.out)
        with start_emulator(EmulatorSettings(state_dir=state / "emulator")) as emu:
            problems = check_state(emu.endpoint, scenario.expected, tmp_path)
        assert problems == [], (k, seen, problems)
        tally.append((k, seen[-1] if seen else "", code))
        if finished:
            break
        k += 1
    print(f"\nembedded: killed after each of {len(tally) - 1} steps, all converged")
    assert len(tally) >= 12  # the scenario has at least a dozen steps to cut between
    assert all(code == -signal.SIGKILL for _, _, code in tally[:-1])
