"""Issue 7, item 2: a flaky API, end to end through the CLI against the emulator over HTTP.

Waits are real here (measured from the arrival times the tap records), except where a spy only
watches them."""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path

import pytest
import requests
from pytest_mock import MockerFixture

from ctask_sync.datarobot import retry
from tests.testing.clirun import Run

from .conftest import Lab
from .support import cli, commit_all, remote_args, tasks_by_owner, timed, witness, write_task

TWO = {"custom.py": "def fit(X, y, output_dir, **kw):\n    pass\n"}


def two_tasks(repo: Path) -> None:
    write_task(repo, "alpha", files=TWO)
    write_task(repo, "beta", files={**TWO, "helper.py": "X = 1\n"})
    commit_all(repo, "two tasks")


def apply(lab: Lab, repo: Path, *extra: str) -> Run:
    return cli("apply", str(repo), "--concurrency", "1", *remote_args(lab.endpoint), *extra)


def gaps(lab: Lab, method: str, path: str) -> list[float]:
    """Seconds between successive arrivals of method path."""
    times = [a.at for a in lab.tap.arrivals if a.method == method and a.path == path]
    return [b - a for a, b in itertools.pairwise(times)]


def test_429_retry_after_on_a_read_is_waited_for(fresh_lab: Lab, repo: Path) -> None:
    two_tasks(repo)
    fresh_lab.admin.fault(method="GET", path="^/api/v2/customTasks/$", status=429, retry_after=0.8)
    run = cli("plan", str(repo), *remote_args(fresh_lab.endpoint))
    assert run.code == 2, run.text
    (gap,) = gaps(fresh_lab, "GET", "/api/v2/customTasks/")
    print(f"\nRetry-After 0.8 s: {gap:.3f} s between the two requests at the server")
    assert 0.8 <= gap < 0.8 + 0.5, gap


def test_429_retry_after_on_a_create_is_waited_for_and_creates_once(
    fresh_lab: Lab, repo: Path
) -> None:
    two_tasks(repo)
    fresh_lab.admin.fault(method="POST", path="^/api/v2/customTasks/$", status=429, retry_after=0.5)
    run = apply(fresh_lab, repo)
    assert run.code == 0, run.text
    (gap, _next_create) = gaps(fresh_lab, "POST", "/api/v2/customTasks/")
    assert 0.5 <= gap < 0.5 + 0.5, gap
    witness(fresh_lab.endpoint)
    assert {k: len(v) for k, v in tasks_by_owner("acme/tasks").items()} == {"alpha": 1, "beta": 1}


@pytest.mark.parametrize("status", [500, 502, 503, 504])
@pytest.mark.parametrize("read", ["executionEnvironments/", "customTasks/"])
def test_5xx_on_reads_is_retried_with_backoff_then_succeeds(
    status: int, read: str, fresh_lab: Lab, repo: Path, mocker: MockerFixture
) -> None:
    two_tasks(repo)
    waits = mocker.spy(retry, "sleep")
    fresh_lab.admin.fault(method="GET", path=f"^/api/v2/{read}$", status=status, times=2)
    run = apply(fresh_lab, repo)
    assert run.code == 0, run.text
    hits = [
        e for e in fresh_lab.admin.log() if e["path"] == f"/api/v2/{read}" and e["method"] == "GET"
    ]
    assert [e["status"] for e in hits] == [status, status, 200]
    # full-jitter backoff: the first wait is at most 0.5 s, the second at most 1 s
    (first,), (second,) = (c.args for c in waits.call_args_list)
    assert 0 <= first <= 0.5 and 0 <= second <= 1.0
    # and the waits really happened between the tries
    between = gaps(fresh_lab, "GET", f"/api/v2/{read}")
    assert between[0] >= first and between[1] >= second, (between, first, second)
    witness(fresh_lab.endpoint)
    assert sorted(tasks_by_owner("acme/tasks")) == ["alpha", "beta"]


def test_persistent_503_on_a_read_ends_with_a_clear_error_in_bounded_time(
    fresh_lab: Lab, repo: Path, mocker: MockerFixture
) -> None:
    two_tasks(repo)
    waits = mocker.spy(retry, "sleep")
    fresh_lab.admin.fault(
        method="GET", path="^/api/v2/customTasks/$", status=503, times=1000, message="Busy"
    )
    with timed() as elapsed:
        run = apply(fresh_lab, repo)
    assert run.code == 1
    assert run.out == (  # only the run's header: where it syncs to, as whom
        f"Endpoint: {fresh_lab.endpoint}\n"
        "Namespace: acme/tasks (from --namespace or CTASK_SYNC_NAMESPACE); root: .\n"
    )
    *retries, error, hint = run.err.splitlines()
    # a line per retry on stderr (issue 14), then the error
    assert [re.sub(r"in \d+\.\d s", "in S s", line) for line in retries] == [
        f"HTTP 503, retrying in S s ({n}/5)" for n in range(2, 6)
    ]
    assert (
        error
        == "error: DataRobot GET customTasks/ failed (HTTP 503): Busy (gave up after 5 attempts)"
    )
    assert hint == "  hint: DataRobot had a server error; try again later"
    # 5 attempts, 4 waits of full jitter capped at 0.5, 1, 2 and 4 s
    assert len(fresh_lab.admin.log()) == 2 + 4  # environments, then 5 tries of the list
    assert len(waits.call_args_list) == 4
    assert sum(c.args[0] for c in waits.call_args_list) <= 7.5
    assert elapsed[0] < 7.5 + 3.0
    assert fresh_lab.admin.writes() == []


def test_persistent_500_on_a_create_ends_with_a_clear_error_and_no_task(
    fresh_lab: Lab, repo: Path, mocker: MockerFixture
) -> None:
    """A POST answered 500 may have acted: never re-sent; the task is re-read and re-planned
    twice, then the run stops naming the request."""
    mocker.patch("ctask_sync.datarobot.retry.sleep")
    write_task(repo, "alpha", files=TWO)
    commit_all(repo)
    fresh_lab.admin.fault(
        method="POST", path="^/api/v2/customTasks/$", status=500, times=1000, message="Boom"
    )
    with timed() as elapsed:
        run = apply(fresh_lab, repo)
    assert run.code == 1
    assert elapsed[0] < 10
    posts = [e for e in fresh_lab.admin.log() if e["method"] == "POST"]
    assert len(posts) == 3  # the first try and two re-plans, each after a fresh read
    assert run.out.count("POST customTasks/: outcome unknown; re-reading") == 2
    assert (
        "  + alpha  error     -\n      DataRobot POST customTasks/ failed (HTTP 500): Boom\n"
        "  hint: the request reached DataRobot but its outcome is unknown, so it was not re-sent"
    ) in run.out
    assert "Apply FAILED: 0 created" in run.out
    witness(fresh_lab.endpoint)
    assert tasks_by_owner("acme/tasks") == {}


def test_a_task_whose_first_version_fails_counts_as_created_in_every_report(
    fresh_lab: Lab, repo: Path, tmp_path: Path
) -> None:
    """The task exists in DataRobot without a version: the text and the JSON report count it
    created (what exists remotely) and its error, as the action's outputs always did."""
    write_task(repo, "alpha", files=TWO)
    commit_all(repo)
    fresh_lab.admin.fault(
        method="POST", path="^/api/v2/customTasks/[^/]+/versions/$", status=422, times=1,
        message="Refused by the test",
    )  # fmt: skip
    report = tmp_path / "apply.json"
    run = apply(fresh_lab, repo, "--json", str(report))
    assert run.code == 1
    assert "Refused by the test" in run.out
    assert "Apply FAILED: 1 created, 0 updated" in run.out
    summary = json.loads(report.read_text("utf-8"))["summary"]
    assert (summary["created"], summary["errors"], summary["versions_created"]) == (1, 1, 0)
    witness(fresh_lab.endpoint)
    assert len(tasks_by_owner("acme/tasks")) == 1


def test_datarobot_lost_during_the_build_wait_still_reports_what_was_written(
    fresh_lab: Lab, repo: Path, tmp_path: Path, mocker: MockerFixture
) -> None:
    """Every build poll fails (DataRobot gone mid-wait): the tasks and versions already made
    are reported in the text and the JSON, the unfinished build is an error that says to run
    again, and the run fails. The next run, DataRobot back, finishes without a duplicate."""
    mocker.patch("ctask_sync.datarobot.retry.sleep")
    write_task(repo, "alpha", files={**TWO, "requirements.txt": "numpy==1.26\n"})
    write_task(repo, "beta", files=TWO)
    commit_all(repo)
    fresh_lab.admin.fault(
        method="GET", path="^/api/v2/customTasks/[^/]+/versions/[^/]+/dependencyBuild/$",
        status=503, times=1000, message="Service Unavailable",
    )  # fmt: skip
    report = tmp_path / "apply.json"
    run = apply(fresh_lab, repo, "--json", str(report))
    assert run.code == 1, run.out
    assert "the dependency build's outcome is unknown" in run.out
    assert "Apply FAILED: 2 created, 0 updated" in run.out
    summary = json.loads(report.read_text("utf-8"))["summary"]
    assert (summary["created"], summary["versions_created"], summary["errors"]) == (2, 2, 1)
    requests.delete(f"{fresh_lab.admin.url}/faults", timeout=10).raise_for_status()  # back
    again = apply(fresh_lab, repo)
    assert again.code == 0, again.out
    witness(fresh_lab.endpoint)
    assert len(tasks_by_owner("acme/tasks")) == 2


@pytest.mark.parametrize("how", ["option", "environment"])
def test_the_retry_budget_bounds_the_total_wait_and_is_configurable(
    how: str, fresh_lab: Lab, repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Retry-After 0.4 s against a 1 s budget: waits at 0.4 and 0.8 s fit, a third would not."""
    two_tasks(repo)
    budget = ["--retry-max-seconds", "1"] if how == "option" else []
    if how == "environment":
        monkeypatch.setenv("CTASK_SYNC_RETRY_MAX_SECONDS", "1")
    fresh_lab.admin.fault(
        method="GET", path="^/api/v2/customTasks/$", status=503, retry_after=0.4, times=1000
    )
    with timed() as elapsed:
        run = apply(fresh_lab, repo, *budget)
    assert run.code == 1
    assert "failed (HTTP 503): Emulated fault: HTTP 503 (gave up after 3 attempts)" in run.err
    assert 0.8 <= elapsed[0] < 0.8 + 1.5
    assert len(gaps(fresh_lab, "GET", "/api/v2/customTasks/")) == 2


def test_a_zero_retry_budget_means_one_try(
    fresh_lab: Lab, repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    two_tasks(repo)
    monkeypatch.setenv("CTASK_SYNC_RETRY_MAX_SECONDS", "0")
    fresh_lab.admin.fault(method="GET", path="^/api/v2/customTasks/$", status=503, times=1000)
    run = apply(fresh_lab, repo)
    assert run.code == 1
    assert len([e for e in fresh_lab.admin.log() if e["path"] == "/api/v2/customTasks/"]) == 1
