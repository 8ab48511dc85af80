"""Issue 11: `init`, `import` and `adopt:`. Tasks made with the official client (as DataRobot's
guide does) are imported into folders, adopted by the next apply without a new version, and
never silently duplicated. Against the emulator over HTTP, with real git repositories."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import datarobot as dr
import yaml

from ctask_sync.engine.remote import read_marker
from ctask_sync.manifest.spec import display_path
from tests.testing.clirun import Run

from .conftest import SKLEARN_ENV, Admin, commit_all, git, write_files, write_task
from .test_e2e import local_files, remote_files, witness

SDK_FILES: dict[str, str | bytes] = {
    "custom.py": "def fit(X, y, output_dir, **kw):\n    pass\n",
    "helpers/util.py": "X = 1\n",
    "model.pkl": b"\x80\x04binary",
}


def sdk_task(tmp_path: Path, name: str = "Fraud estimator", **version: Any) -> dr.CustomTask:
    """A task made the way DataRobot's guide makes them: the official client, a folder."""
    folder = tmp_path / f"sdk-{name}"
    write_files(folder, SDK_FILES)
    task = dr.CustomTask.create(
        name=name, target_type="Binary", language="python", description="Made with the SDK."
    )
    dr.CustomTaskVersion.create_clean(
        custom_task_id=task.id,
        base_environment_id=SKLEARN_ENV,
        folder_path=str(folder),
        **version,
    )
    return dr.CustomTask.get(task.id)


def test_an_sdk_task_imported_is_adopted_without_a_new_version(
    cli: Callable[..., Run], repo: Path, emulator: Any, admin: Admin, tmp_path: Path
) -> None:
    (repo / "ctask-sync.yaml").write_text("namespace: acme/tasks\n", "utf-8")
    witness(emulator)
    task = sdk_task(tmp_path, maximum_memory=2 * 1024**3)
    admin.clear()
    imported = cli("import", str(repo / "tasks"), "--task-id", task.id, namespace=None)
    assert imported.code == 0, imported.out + imported.err
    assert admin.writes() == []  # import is read-only on DataRobot
    folder = repo / "tasks" / "fraud-estimator"
    assert f"  + {display_path(folder)}  task {task.id} ('Fraud estimator'), 3 files" in (
        imported.out
    )
    assert local_files(folder) == remote_files(task.id, tmp_path)
    manifest = yaml.safe_load((folder / "ctask.yaml").read_text("utf-8"))
    assert manifest == {
        "adopt": task.id,
        "key": "tasks/fraud-estimator",
        "name": "Fraud estimator",
        "target_type": "binary",
        "language": "python",
        "description": "Made with the SDK.",
        "environment": {"id": SKLEARN_ENV},
        "maximum_memory": 2 * 1024**3,
        "outbound_network_policy": "ISOLATED",  # DataRobot's default, written out
    }
    commit_all(repo, "import")

    plan = cli("plan", str(repo), namespace=None)
    assert "  ~ tasks/fraud-estimator  set description; write sync record" in plan.out
    assert f"warning: adopt: task {task.id} is taken over" in plan.out
    admin.clear()
    first = cli("apply", str(repo), namespace=None)
    assert first.code == 0, first.out + first.err
    assert len(admin.writes()) <= 2
    assert [w["method"] for w in admin.writes()] == ["PATCH", "PATCH"]
    (only,) = dr.CustomTask.list()
    assert only.id == task.id
    assert len(dr.CustomTaskVersion.list(task.id)) == 1
    assert read_marker(only.description) == read_marker(
        "[ctask-sync:v1 namespace=acme/tasks key=tasks/fraud-estimator]"
    )
    admin.clear()
    second = cli("apply", str(repo), namespace=None)
    assert second.code == 0 and "1 unchanged" in second.out
    assert admin.writes() == []


def test_import_never_writes_into_a_folder_that_exists(
    cli: Callable[..., Run], repo: Path, emulator: Any, tmp_path: Path
) -> None:
    witness(emulator)
    task = sdk_task(tmp_path)
    (repo / "fraud-estimator").mkdir()
    (repo / "fraud-estimator" / "mine.txt").write_text("keep me\n", "utf-8")
    run = cli("import", str(repo), "--task-id", task.id)
    assert run.code == 1
    assert "import never writes into a folder that exists" in run.err
    assert [p.name for p in (repo / "fraud-estimator").iterdir()] == ["mine.txt"]


def test_import_unowned_picks_only_tasks_no_namespace_owns(
    cli: Callable[..., Run], repo: Path, emulator: Any, tmp_path: Path
) -> None:
    write_task(repo, "ours", name="Fraud ours")
    commit_all(repo)
    assert cli("apply", str(repo)).code == 0
    witness(emulator)
    sdk_task(tmp_path, name="Fraud scorer")
    sdk_task(tmp_path, name="Churn scorer")
    run = cli("import", str(repo / "new"), "--unowned", "--name-filter", "Fraud*")
    assert run.code == 0, run.out + run.err
    assert sorted(p.name for p in (repo / "new").iterdir()) == ["fraud-scorer"]
    (owned,) = [t for t in dr.CustomTask.list() if t.name == "Fraud ours"]
    taken = cli("import", str(repo / "again"), "--task-id", owned.id)
    assert taken.code == 1
    assert "is synced already by namespace acme/tasks as key ours" in taken.err


def test_adopt_of_a_task_another_namespace_owns_is_an_error(
    cli: Callable[..., Run], repo: Path, emulator: Any, admin: Admin
) -> None:
    write_task(repo, "theirs")
    commit_all(repo)
    assert cli("apply", str(repo), namespace="someone/else").code == 0
    witness(emulator)
    (theirs,) = dr.CustomTask.list()
    write_task(repo, "mine", extra=f"adopt: {theirs.id}\n")
    git(repo, "rm", "-rq", "theirs")
    commit_all(repo)
    admin.clear()
    run = cli("apply", str(repo))
    assert run.code == 1
    assert (
        f"mine: adopt: task {theirs.id} is owned by namespace someone/else (key theirs)"
    ) in run.err
    assert admin.writes() == []


def test_a_same_named_task_warns_in_plan_and_apply_refuses_it(
    cli: Callable[..., Run], repo: Path, emulator: Any, admin: Admin, tmp_path: Path
) -> None:
    witness(emulator)
    task = sdk_task(tmp_path, name="Task fraud")
    write_task(repo, "fraud")
    commit_all(repo)
    plan = cli("plan", str(repo))
    assert plan.code == 2
    assert (
        f"warning: a binary task named 'Task fraud' already exists that this namespace does "
        f"not own ({task.id}): to bring it under git, run `ctask-sync import --task-id "
        f"{task.id}` or add `adopt: {task.id}` to the manifest; to create a second one anyway, "
        "pass --allow-duplicate-name to apply"
    ) in plan.out
    admin.clear()
    refused = cli("apply", str(repo))
    assert refused.code == 1 and "apply refused; nothing was written" in refused.err
    assert admin.writes() == []
    assert cli("apply", str(repo), "--allow-duplicate-name").code == 0
    assert len(dr.CustomTask.list()) == 2


def test_init_writes_the_root_config_and_keeps_emulator_state_out_of_git(
    cli: Callable[..., Run], repo: Path
) -> None:
    git(repo, "remote", "add", "origin", "git@github.com:acme/fraud-tasks.git")
    write_task(repo, "team-a/fraud")
    run = cli("init", str(repo / "team-a"), endpoint=False, namespace=None)
    assert run.code == 0, run.err
    assert run.out.splitlines()[0] == (
        f"Wrote {display_path(repo / 'team-a/ctask-sync.yaml')} "
        "(namespace: acme/fraud-tasks/team-a)."
    )
    assert "Next steps:" in run.out
    config = yaml.safe_load((repo / "team-a/ctask-sync.yaml").read_text("utf-8"))
    assert config == {"namespace": "acme/fraud-tasks/team-a"}
    again = cli("init", str(repo / "team-a"), "--namespace", "x", endpoint=False, namespace=None)
    assert again.code == 1 and "exists already; nothing was changed" in again.err
    commit_all(repo)
    applied = cli("apply", str(repo / "team-a"), endpoint=False, namespace=None)
    assert applied.code == 0, applied.out + applied.err
    assert (repo / "team-a/.ctask-sync/emulator").is_dir()
    assert git(repo, "status", "--porcelain", "--untracked-files=all") == ""
