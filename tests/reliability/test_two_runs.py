"""Issue 7, item 3: two applies of one repository at once against one DataRobot.

The tap holds each run's read of the task list until both have read it, so both plan from the
same state and both act on it: the worst interleaving, every time, not by luck. Both must exit
cleanly (or one report a conflict); a later run resolves duplicates deterministically (the
oldest task is kept) and says so; the end state is the desired one."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from ctask_sync.emulator.testing import SENTINEL_TOKEN

from .conftest import Lab
from .support import (
    Expected,
    check_state,
    cli,
    commit_all,
    folder_files,
    remote_args,
    spawn_cli,
    tasks_by_owner,
    witness,
    write_task,
)

FILES = {"custom.py": "def fit(X, y, output_dir, **kw):\n    pass\n", "helper.py": "X = 1\n"}
KEYS = ("alpha", "beta", "gamma")
LIST = "/api/v2/customTasks/"


def three_tasks(repo: Path, helper: str = "X = 1\n") -> dict[str, Expected]:
    expected = {}
    for key in KEYS:
        files = {**FILES, "helper.py": helper}
        folder = write_task(repo, key, files=files)
        now = folder_files(folder)
        expected[key] = Expected(
            name=f"Task {key}", description=f"The {key} task.", files=now, allowed=[now]
        )
    commit_all(repo, f"three tasks, helper {helper.strip()}")
    return expected


def race(lab: Lab, repo: Path, *extra: str) -> list[tuple[int, str]]:
    """Two `ctask-sync apply` processes, both reading the task list before either writes."""
    lab.tap.barrier("GET", LIST, parties=2)
    args = ["apply", str(repo), *remote_args(lab.endpoint), *extra]
    children = [spawn_cli(*args) for _ in range(2)]
    results = []
    try:
        for child in children:
            out, err = child.communicate(timeout=90)
            results.append((child.returncode, out + err))
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
        lab.tap.restart()
    return results


def assert_clean(results: list[tuple[int, str]]) -> None:
    for code, text in results:
        assert SENTINEL_TOKEN not in text
        assert "Traceback" not in text
        assert code == 0 or (code == 1 and "conflict" in text.lower()), text


def test_two_first_applies_at_once_then_duplicates_are_resolved(
    fresh_lab: Lab, repo: Path, tmp_path: Path
) -> None:
    expected = three_tasks(repo)
    results = race(fresh_lab, repo)
    assert_clean(results)
    # the barrier made both runs plan from the empty state: each created every task
    witness(fresh_lab.endpoint)
    made = tasks_by_owner("acme/tasks")
    assert {k: len(v) for k, v in made.items()} == {k: 2 for k in KEYS}
    keep = {k: min(v, key=lambda t: (t.created_at, t.id)).id for k, v in made.items()}

    # the oldest task of each key is the one synced; the others are shown, and deleted only
    # with --allow-delete (a copy made in DataRobot keeps the marker too)
    plan = cli("plan", str(repo), *remote_args(fresh_lab.endpoint))
    assert plan.code == 2, plan.text  # kept duplicates are a difference (issue 12), not in sync
    assert "3 unchanged. 3 kept (not deleted)." in plan.out
    for key in KEYS:
        assert f"copy made in DataRobot); syncing the oldest ({keep[key]})" in plan.out
        assert "kept: pass --allow-delete to delete it" in plan.out
    fixed = cli("apply", str(repo), "--allow-delete", *remote_args(fresh_lab.endpoint))
    assert fixed.code == 0, fixed.text
    assert fixed.out.count("(two runs at once, or a copy made in DataRobot)") == 3
    assert check_state(fresh_lab.endpoint, expected, tmp_path) == []
    assert {k: v[0].id for k, v in tasks_by_owner("acme/tasks").items()} == keep
    fresh_lab.admin.clear()
    assert cli("apply", str(repo), *remote_args(fresh_lab.endpoint)).code == 0
    assert fresh_lab.admin.writes() == []


def test_two_updates_at_once_end_in_the_desired_state(
    fresh_lab: Lab, repo: Path, tmp_path: Path
) -> None:
    first = three_tasks(repo)
    assert cli("apply", str(repo), *remote_args(fresh_lab.endpoint)).code == 0
    expected = three_tasks(repo, helper="X = 2\n")
    for key in KEYS:
        expected[key].allowed += first[key].allowed
    results = race(fresh_lab, repo)
    assert_clean(results)
    assert check_state(fresh_lab.endpoint, expected, tmp_path) == []
    fresh_lab.admin.clear()
    assert cli("apply", str(repo), *remote_args(fresh_lab.endpoint)).code == 0
    assert fresh_lab.admin.writes() == []


@pytest.mark.parametrize("trial", range(3))
def test_two_applies_started_together_without_a_forced_interleaving(
    trial: int, fresh_lab: Lab, repo: Path, tmp_path: Path
) -> None:
    """Whatever interleaving the machine gives, one more run converges with zero leftovers."""
    expected = three_tasks(repo)
    args = ["apply", str(repo), *remote_args(fresh_lab.endpoint)]
    children = [spawn_cli(*args) for _ in range(2)]
    results = []
    for child in children:
        try:
            out, err = child.communicate(timeout=90)
        except subprocess.TimeoutExpired:
            child.kill()
            raise
        results.append((child.returncode, out + err))
    assert_clean(results)
    # duplicates, if this interleaving made any, go only with --allow-delete
    assert cli(*args, "--allow-delete").code == 0
    assert check_state(fresh_lab.endpoint, expected, tmp_path) == []
    fresh_lab.admin.clear()
    assert cli(*args).code == 0
    assert fresh_lab.admin.writes() == []


def test_two_deleting_applies_at_once_both_exit_cleanly(
    fresh_lab: Lab, repo: Path, tmp_path: Path
) -> None:
    expected = three_tasks(repo)
    assert cli("apply", str(repo), *remote_args(fresh_lab.endpoint)).code == 0
    for key in ("alpha", "beta"):
        shutil.rmtree(repo / key)
        del expected[key]
    commit_all(repo, "remove two")
    fresh_lab.admin.clear()
    results = race(fresh_lab, repo, "--allow-delete")
    assert [code for code, _ in results] == [0, 0], results
    deletes = [w for w in fresh_lab.admin.writes() if w["method"] == "DELETE"]
    # both runs deleted both tasks: one DELETE each landed, the other found it gone
    assert sorted(w["status"] for w in deletes) == [204, 204, 404, 404]
    assert check_state(fresh_lab.endpoint, expected, tmp_path) == []
