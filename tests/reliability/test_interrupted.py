"""Issue 7, item 1: an apply interrupted at every one of its requests converges.

The scenario (scenario.py) is applied once cleanly to count its requests R and name each one.
Then, for every i in 1..R and every way of failing, the emulator is reset, the base commit is
applied, and the change is applied with request i failing; a second apply without faults must
reach the desired state (checked file by file through the official datarobot client, every
version of every task, no duplicate task) and a third apply must make zero writes.

Ways of failing:
  a. 503 on request i before DataRobot acts on it
  b. request i committed, then the connection dropped (the client cannot know)
  c. the ctask-sync process SIGKILLed while request i is in flight; DataRobot then commits it
  d. SIGKILLed while request i is in flight; DataRobot never acts on it
  e. request i committed, then answered 500 (a server error after the fact)"""

from __future__ import annotations

import json
import re
import signal
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pytest

from ctask_sync.emulator.testing import SENTINEL_TOKEN

from .conftest import Lab
from .scenario import Scenario, make_deletion_scenario, make_scenario
from .support import check_state, cli, git, remote_args, spawn_cli

_ID = re.compile(r"[0-9a-f]{24}")
TALLY: dict[str, dict[str, int]] = {}


def apply_args(lab: Lab, scenario: Scenario, concurrency: int = 1) -> list[str]:
    return [
        "apply",
        str(scenario.repo),
        "--concurrency",
        str(concurrency),
        *scenario.flags,
        *remote_args(lab.endpoint),
    ]


def clean_run(run_code: int, text: str) -> list[str]:
    """Whatever makes a run's output unacceptable in any case."""
    problems = []
    if run_code not in (0, 1):
        problems.append(f"exit {run_code}")
    if "Traceback" in text:
        problems.append("traceback in output")
    if SENTINEL_TOKEN in text:
        problems.append("token in output")
    return problems


def apply_base(lab: Lab, scenario: Scenario) -> None:
    lab.admin.reset()
    lab.tap.restart()
    git(scenario.repo, "checkout", "-q", scenario.base)
    try:
        run = cli(*apply_args(lab, scenario))
        assert run.code == 0, run.text
    finally:
        git(scenario.repo, "checkout", "-q", "main")
    lab.admin.clear()
    lab.tap.restart()


def requests_of_clean_apply(lab: Lab, scenario: Scenario) -> list[str]:
    """'METHOD path' (ids as {id}) of each request of the uninterrupted apply of the change."""
    apply_base(lab, scenario)
    run = cli(*apply_args(lab, scenario))
    assert run.code == 0, run.text
    log = lab.admin.log()
    assert [(a.method, a.path) for a in lab.tap.arrivals] == [(e["method"], e["path"]) for e in log]
    return [f"{e['method']} {_ID.sub('{id}', e['path'])}" for e in log]


@dataclass
class Outcome:
    way: str
    i: int
    request: str
    first_exit: int | None
    problems: list[str] = field(default_factory=list)


def interrupt(
    lab: Lab, scenario: Scenario, way: str, i: int, concurrency: int
) -> tuple[int | None, list[str]]:
    """Apply the change with request i failing `way`; (exit code, problems seen)."""
    args = apply_args(lab, scenario, concurrency)
    if way in ("a", "b", "e"):
        rule = {
            "a": {"status": 503, "when": "before", "message": "Service busy (emulated)"},
            "b": {"drop": True, "when": "after"},
            "e": {"status": 500, "when": "after", "message": "Internal error (emulated)"},
        }[way]
        lab.admin.fault(nth=i, **rule)
        run = cli(*args)
        # log positions, not seq: seq keeps counting across DELETE /requests. The log is in
        # order of completion, which is the order of arrival only when requests run one by one.
        fired = [n for n, e in enumerate(lab.admin.log(), 1) if e["fault"]]
        problems = clean_run(run.code, run.text)
        if len(fired) != 1 or (concurrency == 1 and fired != [i]):
            problems.append(f"the fault did not fire on request {i}: {fired}")
        return run.code, problems
    lab.tap.hold(i, execute=way == "c")
    child = spawn_cli(*args)
    try:
        if not lab.tap.held.wait(timeout=60):
            return None, [f"request {i} never arrived"]
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(timeout=30)
        lab.tap.release()
        if child.stdout is not None:
            child.stdout.close()
        if child.stderr is not None:
            child.stderr.close()
    problems = [] if lab.tap.done.wait(timeout=30) else [f"request {i} never finished"]
    if way == "c":
        # the emulator logs a request once it is done: wait for it, then see it was committed
        deadline = time.monotonic() + 10
        while len(lab.admin.log()) < i and time.monotonic() < deadline:
            time.sleep(0.01)
        log = lab.admin.log()
        if len(log) != i or log[-1]["status"] >= 400:
            problems.append(f"request {i} was not committed after the kill: {log[-1:]}")
    if child.returncode != -signal.SIGKILL:
        problems.append(f"the child was not killed (exit {child.returncode})")
    return child.returncode, problems


def converge(
    lab: Lab, scenario: Scenario, way: str, i: int, request: str, tmp: Path, concurrency: int
) -> Outcome:
    apply_base(lab, scenario)
    first_exit, problems = interrupt(lab, scenario, way, i, concurrency)
    outcome = Outcome(way, i, request, first_exit, problems)
    lab.admin.clear()
    again = cli(*apply_args(lab, scenario))
    outcome.problems += clean_run(again.code, again.text)
    if again.code != 0:
        outcome.problems.append(f"rerun exit {again.code}: {again.text[-600:]}")
    outcome.problems += check_state(lab.endpoint, scenario.expected, tmp)
    lab.admin.clear()
    third = cli(*apply_args(lab, scenario))
    writes = lab.admin.writes()
    if third.code != 0 or writes:
        outcome.problems.append(
            f"third run exit {third.code}, writes {[(w['method'], w['path']) for w in writes]}"
        )
    return outcome


@pytest.fixture
def scenario(tmp_path: Path) -> Scenario:
    return make_scenario(tmp_path)


@pytest.fixture(scope="module", autouse=True)
def tally_report(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """After the module: the tally of every way, printed (-s) and kept in a file."""
    yield
    if not TALLY:
        return
    ways = sum(t["interruptions"] for t in TALLY.values())
    done = sum(t["converged"] for t in TALLY.values())
    line = f"{ways} interruptions ({len(TALLY)} runs of every request), {done} converged"
    path = tmp_path_factory.getbasetemp() / "interruption-tally.json"
    path.write_text(json.dumps({"summary": line, "ways": TALLY}, indent=2), "utf-8")
    print(f"\n{line}\n{json.dumps(TALLY)}")


WAYS = {
    "a": "503 before request i acts",
    "b": "connection dropped after request i committed",
    "c": "SIGKILL while request i is in flight (DataRobot commits it)",
    "d": "SIGKILL while request i is in flight (DataRobot never acts)",
    "e": "500 after request i committed",
}


@pytest.mark.parametrize("way", sorted(WAYS), ids=[f"{w}-{WAYS[w]}" for w in sorted(WAYS)])
def test_interrupted_at_every_request_converges(
    way: str, fresh_lab: Lab, scenario: Scenario, tmp_path: Path, no_sleep: None
) -> None:
    check_every_request(way, 1, fresh_lab, scenario, tmp_path)


@pytest.mark.parametrize("way", ["a", "b", "e"], ids=[f"{w}-{WAYS[w]}" for w in "abe"])
def test_interrupted_at_every_request_with_tasks_in_parallel_converges(
    way: str, fresh_lab: Lab, scenario: Scenario, tmp_path: Path, no_sleep: None
) -> None:
    """The default --concurrency 8: request i is whichever arrives i-th; replans run while
    other tasks are being written."""
    check_every_request(way, 8, fresh_lab, scenario, tmp_path)


@pytest.mark.parametrize("way", sorted(WAYS), ids=[f"{w}-{WAYS[w]}" for w in sorted(WAYS)])
def test_interrupted_deletions_converge(
    way: str, fresh_lab: Lab, tmp_path: Path, no_sleep: None
) -> None:
    """Removing two tasks with --allow-delete, interrupted at each request."""
    scenario = make_deletion_scenario(tmp_path)
    # 3 reads (environments, tasks, and the user blueprints that a planned deletion names as
    # its blockers, issue 16), 2 deletes
    check_every_request(way, 1, fresh_lab, scenario, tmp_path, expected_r=5, label="delete")


def check_every_request(
    way: str,
    concurrency: int,
    fresh_lab: Lab,
    scenario: Scenario,
    tmp_path: Path,
    *,
    expected_r: int = 23,
    label: str = "",
) -> None:
    requests_made = requests_of_clean_apply(fresh_lab, scenario)
    r = len(requests_made)
    # main scenario: 2 reads, 3 creates x 3-4 writes, 2 updates x 3-4 writes, 2 build polls,
    # 2 writes of the builds' outcomes into their sync records (issue 12)
    assert r == expected_r, requests_made
    outcomes = [
        converge(fresh_lab, scenario, way, i, requests_made[i - 1], tmp_path, concurrency)
        for i in range(1, r + 1)
    ]
    failed = [o for o in outcomes if o.problems]
    name = way if concurrency == 1 else f"{way}@{concurrency}"
    name = f"{label}:{name}" if label else name
    TALLY[name] = {
        "R": r,
        "interruptions": len(outcomes),
        "converged": len(outcomes) - len(failed),
        "first_run_exit_0": sum(1 for o in outcomes if o.first_exit == 0),
    }
    tally = tmp_path / "tally.json"
    tally.write_text(
        json.dumps({"way": WAYS[way], **TALLY[name], "outcomes": [asdict(o) for o in outcomes]}),
        "utf-8",
    )
    print(f"\n{name} ({WAYS[way]}): {r} interruptions, {r - len(failed)} converged")
    assert json.loads(tally.read_text())["converged"] == r, "\n".join(
        f"request {o.i} ({o.request}): {o.problems}" for o in failed
    )


def test_the_state_check_sees_what_is_not_converged(
    fresh_lab: Lab, scenario: Scenario, tmp_path: Path
) -> None:
    """The witness is not vacuous: after the base alone, it names every missing change."""
    apply_base(fresh_lab, scenario)
    problems = check_state(fresh_lab.endpoint, scenario.expected, tmp_path)
    assert problems[0] == (
        "owned keys ['churn/rf', 'fraud/xgb', 'scaler'] != "
        "['churn/rf', 'fraud/xgb', 'new/alpha', 'new/beta', 'new/gamma', 'scaler']"
    )
    assert (
        "churn/rf: description 'The churn/rf task.\\n\\n[ctask-sync:v1 namespace=acme/tasks"
        in (problems[1])
    )
    assert "churn/rf: latest version 1.0 != the repository's files" in problems
    assert "fraud/xgb: name 'Task fraud/xgb' != 'XGBoost fraud v2'" in problems
    assert "fraud/xgb: latest version 1.0 != the repository's files" in problems
