"""Issue 14, saved plans and targets: `plan --out FILE` then `apply --plan FILE` applies exactly
that plan, and refuses with zero writes when DataRobot (changed here with the official client)
or the repository changed since; a plan of another version or namespace is refused; --target
limits plan and apply to some keys and never deletes another."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import datarobot as dr

from ctask_sync import __version__
from ctask_sync.emulator.testing import SENTINEL_TOKEN
from tests.testing.clirun import Run

from .conftest import Admin, commit_all, git, write_task


def _two_tasks_applied(cli: Callable[..., Run], repo: Path) -> None:
    write_task(repo, "a")
    write_task(repo, "b")
    commit_all(repo)
    assert cli("apply", str(repo)).code == 0
    (repo / "a/helper.py").write_text("X = 2\n", "utf-8")
    (repo / "b/helper.py").write_text("X = 3\n", "utf-8")
    commit_all(repo)


def test_a_saved_plan_is_applied_exactly(
    cli: Callable[..., Run], repo: Path, admin: Admin, tmp_path: Path
) -> None:
    _two_tasks_applied(cli, repo)
    saved = tmp_path / "changes.plan"
    planned = cli("plan", str(repo), "--out", str(saved))
    assert planned.code == 2
    assert planned.out.endswith(
        f"Saved the plan to {saved}; apply it with `ctask-sync apply --plan {saved}`.\n"
    )
    data = json.loads(saved.read_text())
    assert (data["format"], data["format_version"], data["tool_version"]) == (
        "ctask-sync-plan",
        1,
        __version__,
    )
    assert sorted(data["remote"]) == ["a", "b"]
    assert data["remote"]["a"]["latest_version_label"] == "1.0"
    admin.clear()
    applied = cli("apply", str(repo), "--plan", str(saved))
    assert applied.code == 0, applied.err
    assert "Apply complete: 0 created, 2 updated" in applied.out
    assert len([w for w in admin.writes() if w["path"].endswith("/versions/")]) == 2
    # applied once: the same file is now stale (DataRobot moved on), and nothing more is written
    admin.clear()
    again = cli("apply", str(repo), "--plan", str(saved))
    assert again.code == 1
    assert "a: changed in DataRobot (latest version 1.0 is now 1.1)" in again.err
    assert admin.writes() == []


def test_a_remote_change_after_the_plan_refuses_with_zero_writes(
    cli: Callable[..., Run], repo: Path, admin: Admin, emulator: Any, tmp_path: Path
) -> None:
    _two_tasks_applied(cli, repo)
    saved = tmp_path / "changes.plan"
    assert cli("plan", str(repo), "--out", str(saved)).code == 2
    # someone renames task b in DataRobot, with the official client
    dr.Client(endpoint=emulator.endpoint, token=SENTINEL_TOKEN)
    task_b = json.loads(saved.read_text())["remote"]["b"]["task_id"]
    dr.CustomTask.get(task_b).update(name="Renamed by hand")
    admin.clear()
    run = cli("apply", str(repo), "--plan", str(saved))
    assert run.code == 1
    assert run.err == (
        f"error: the saved plan {saved} is stale; nothing was written. Changed since it was "
        "made:\n"
        "  b: changed in DataRobot (the task or its latest version was edited)\n"
        "  hint: run `ctask-sync plan --out FILE` again, review it, and apply that\n"
    )
    assert admin.writes() == []


def test_a_local_change_after_the_plan_refuses(
    cli: Callable[..., Run], repo: Path, admin: Admin, tmp_path: Path
) -> None:
    _two_tasks_applied(cli, repo)
    saved = tmp_path / "changes.plan"
    assert cli("plan", str(repo), "--out", str(saved)).code == 2
    (repo / "a/helper.py").write_text("X = 4\n", "utf-8")
    admin.clear()
    run = cli("apply", str(repo), "--plan", str(saved))
    assert run.code == 1
    assert "  a: changed in the repository (manifest or files)\n" in run.err
    assert "  b:" not in run.err
    assert admin.writes() == []
    # a new commit counts too, even with the same files
    git(repo, "commit", "-q", "--allow-empty", "-m", "empty")
    assert "the repository's commit was" in cli("apply", str(repo), "--plan", str(saved)).err


def test_a_plan_from_another_version_or_namespace_is_refused(
    cli: Callable[..., Run], repo: Path, admin: Admin, tmp_path: Path
) -> None:
    _two_tasks_applied(cli, repo)
    saved = tmp_path / "changes.plan"
    assert cli("plan", str(repo), "--out", str(saved)).code == 2
    admin.clear()
    other = cli("apply", str(repo), "--plan", str(saved), namespace="acme/other")
    assert other.code == 1
    assert other.err.startswith(
        f"error: {saved} was planned for namespace acme/tasks, but this run's namespace is "
        "acme/other; nothing was written\n"
    )
    data = json.loads(saved.read_text())
    data["tool_version"] = "0.0.1"
    saved.write_text(json.dumps(data))
    old = cli("apply", str(repo), "--plan", str(saved))
    assert old.code == 1
    assert old.err.startswith(
        f"error: {saved} was saved by ctask-sync 0.0.1 (plan format 1); this is ctask-sync "
        f"{__version__} (format 1)\n"
    )
    saved.write_text("{}")
    assert "is not a saved ctask-sync plan" in cli("apply", str(repo), "--plan", str(saved)).err
    assert admin.writes() == []


def test_target_limits_plan_and_apply_and_never_deletes_another(
    cli: Callable[..., Run], repo: Path, admin: Admin
) -> None:
    write_task(repo, "a")
    write_task(repo, "b")
    write_task(repo, "gone")
    commit_all(repo)
    assert cli("apply", str(repo)).code == 0
    git(repo, "rm", "-rq", "gone")
    (repo / "a/helper.py").write_text("X = 2\n", "utf-8")
    (repo / "b/helper.py").write_text("X = 3\n", "utf-8")
    commit_all(repo)
    plan = cli("plan", str(repo), "--target", "a", "--allow-delete")
    assert plan.code == 2
    assert [line for line in plan.out.splitlines() if line.startswith("  ") and line[2] != " "] == [
        "  ~ a  add helper.py; new minor version (files changed)"
    ]
    admin.clear()
    applied = cli("apply", str(repo), "--target", "a", "--allow-delete")
    assert applied.code == 0, applied.err
    assert not [w for w in admin.writes() if w["method"] == "DELETE"]
    assert "Apply complete: 0 created, 1 updated, 0 deleted" in applied.out
    # a target that is no key names the close ones
    typo = cli("plan", str(repo), "--target", "gnoe", "--target", "a")
    assert typo.code == 1
    assert typo.err == (
        "error: --target gnoe: no task has this key; did you mean gone?\n"
        "  hint: keys are the `key:` of each ctask.yaml (default: its folder path)\n"
    )
