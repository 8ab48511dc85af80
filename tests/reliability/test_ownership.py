"""Issue 7, item 7: tasks the namespace does not own are never modified or deleted.

Strangers are made with the official client (same names and keys as ours, with versions and
files); then creates, updates, removals with --allow-delete and cleanups run. Every write in the
emulator's request log is checked against the strangers' ids, and each stranger is compared
before and after through the official client."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import datarobot as dr
import pytest

from ctask_sync.engine.remote import read_marker

from .conftest import Lab
from .support import cli, commit_all, git, remote_args, witness, write_task, zip_files

ENV = "5e8c889607389fe0f466c72d"
KEYS = ("fraud/xgb", "scaler")

STRANGERS = {
    "no marker": "Task scaler",
    "other namespace": "[ctask-sync:v1 namespace=someone/else key=scaler]",
    "a longer namespace": "[ctask-sync:v1 namespace=acme/tasks/pr-7 key=scaler]",
    "a shorter namespace": "[ctask-sync:v1 namespace=acme key=scaler]",
    "other case": "[ctask-sync:v1 namespace=Acme/Tasks key=scaler]",
    "marker inside a line": "see [ctask-sync:v1 namespace=acme/tasks key=scaler] for history",
    "marker of another version": "[ctask-sync:v2 namespace=acme/tasks key=scaler]",
    "marker missing its bracket": "[ctask-sync:v1 namespace=acme/tasks key=scaler",
    "marker with text after it": "[ctask-sync:v1 namespace=acme/tasks key=scaler] (edited)",
}


def snapshot(task_id: str, tmp: Path) -> dict[str, Any]:
    task = dr.CustomTask.get(task_id)
    versions = dr.CustomTaskVersion.list(task_id)
    archive = tmp / f"{task_id}.zip"
    files: dict[str, bytes] = {}
    if task.latest_version is not None:
        task.download_latest_version(str(archive))
        files = zip_files(archive)
    return {
        "name": task.name,
        "description": task.description,
        "language": task.language,
        "versions": sorted((v.id, v.label, v.description) for v in versions),
        "files": files,
    }


def make_strangers(tmp: Path) -> dict[str, str]:
    """What: task id; each named like one of ours and holding one version with files."""
    folder = tmp / "stranger-files"
    folder.mkdir()
    (folder / "custom.py").write_text("STRANGER = True\n", "utf-8")
    made = {}
    for what, description in STRANGERS.items():
        task = dr.CustomTask.create(
            name="Task scaler", target_type="Binary", language="python", description=description
        )
        dr.CustomTaskVersion.create_clean(
            custom_task_id=task.id, base_environment_id=ENV, folder_path=str(folder)
        )
        made[what] = task.id
    return made


def writes_touching(lab: Lab, ids: dict[str, str]) -> list[str]:
    return [
        f"{w['method']} {w['path']} ({what})"
        for w in lab.admin.writes()
        for what, task_id in ids.items()
        if task_id in w["path"]
    ]


def test_strangers_are_never_modified_or_deleted(
    fresh_lab: Lab, repo: Path, tmp_path: Path
) -> None:
    witness(fresh_lab.endpoint)
    strangers = make_strangers(tmp_path)
    before = {what: snapshot(task_id, tmp_path) for what, task_id in strangers.items()}
    fresh_lab.admin.clear()
    # the strangers share our tasks' names: creating beside them needs the explicit flag
    args = [
        "apply",
        str(repo),
        "--allow-delete",
        "--allow-duplicate-name",
        *remote_args(fresh_lab.endpoint),
    ]

    for key in KEYS:
        write_task(repo, key, files={"custom.py": "pass\n"})
    commit_all(repo, "create")
    assert "Plan: 2 to create" in cli(*args).out
    write_task(repo, "scaler", files={"custom.py": "pass  # changed\n"}, name="Scaler v2")
    commit_all(repo, "update")
    assert "Plan: 0 to create, 1 to update" in cli(*args).out
    git(repo, "rm", "-rq", "scaler")
    commit_all(repo, "remove")
    removed = cli(*args)
    assert removed.code == 0 and "- scaler" in removed.out
    assert cli("cleanup", str(repo), *remote_args(fresh_lab.endpoint)).code == 0
    for near in ("acme/task", "acme/tasks/pr", "Acme/Tasks/pr-7", "acme/tasks/"):
        assert cli("cleanup", str(repo), *remote_args(fresh_lab.endpoint, near)).code == 0

    assert writes_touching(fresh_lab, strangers) == []
    after = {what: snapshot(task_id, tmp_path) for what, task_id in strangers.items()}
    assert after == before
    # while ours were created, changed and removed, the last by the cleanup
    ours = [t for t in dr.CustomTask.list() if t.id not in strangers.values()]
    assert ours == []


@pytest.mark.parametrize(
    ("torn_down", "kept"),
    [("acme/tasks/pr-7", "acme/tasks"), ("acme/tasks", "acme/tasks/pr-7")],
)
def test_cleanup_of_one_namespace_never_touches_another(
    torn_down: str, kept: str, fresh_lab: Lab, repo: Path, tmp_path: Path
) -> None:
    for key in KEYS:
        write_task(repo, key, files={"custom.py": "pass\n"})
    commit_all(repo)
    for namespace in ("acme/tasks", "acme/tasks/pr-7"):
        run = cli("apply", str(repo), *remote_args(fresh_lab.endpoint, namespace))
        assert run.code == 0, run.text
    witness(fresh_lab.endpoint)
    keep_ids = {
        t.id: snapshot(t.id, tmp_path)
        for t in dr.CustomTask.list()
        if t.description.endswith(f"namespace={kept} key=scaler]")
        or t.description.endswith(f"namespace={kept} key=fraud/xgb]")
    }
    assert len(keep_ids) == 2
    fresh_lab.admin.clear()
    run = cli("cleanup", str(repo), *remote_args(fresh_lab.endpoint, torn_down))
    assert run.code == 0
    assert run.out.endswith(f"cleanup of {torn_down}: deleted 2 tasks\n")
    assert writes_touching(fresh_lab, {i: i for i in keep_ids}) == []
    assert {t.id for t in dr.CustomTask.list()} == set(keep_ids)
    assert {i: snapshot(i, tmp_path) for i in keep_ids} == keep_ids


def test_a_copy_made_in_datarobot_is_not_deleted_without_allow_delete(
    fresh_lab: Lab, repo: Path
) -> None:
    write_task(repo, "alpha", files={"custom.py": "pass\n"})
    commit_all(repo)
    assert cli("apply", str(repo), *remote_args(fresh_lab.endpoint)).code == 0
    witness(fresh_lab.endpoint)
    (original,) = dr.CustomTask.list()
    copy = dr.CustomTask.copy(original.id)  # the UI's "copy task"
    fresh_lab.admin.clear()
    run = cli("apply", str(repo), *remote_args(fresh_lab.endpoint))
    assert run.code == 0
    assert fresh_lab.admin.writes() == [], run.out
    assert {t.id for t in dr.CustomTask.list()} == {original.id, copy.id}


def test_a_description_edited_with_the_official_client_is_drift_then_restored(
    fresh_lab: Lab, repo: Path
) -> None:
    # Issue 11: the marker edited away in DataRobot; the version's sync record still names
    # this namespace and key, so the task stays ours: no duplicate, the marker comes back.
    write_task(repo, "alpha", files={"custom.py": "pass\n"})
    commit_all(repo)
    args = ["apply", str(repo), "--allow-delete", *remote_args(fresh_lab.endpoint)]
    assert cli(*args).code == 0
    witness(fresh_lab.endpoint)
    (task,) = dr.CustomTask.list()
    dr.CustomTask.get(task.id).update(description="Edited in the UI.")
    assert read_marker(dr.CustomTask.get(task.id).description) is None

    plan = cli("plan", str(repo), *remote_args(fresh_lab.endpoint))
    assert plan.code == 2
    assert "  ~ alpha  set description" in plan.out
    assert "warning: drift: marker removed or changed outside git" in plan.out
    status = cli("status", str(repo), *remote_args(fresh_lab.endpoint))
    assert status.out.splitlines()[-1].endswith("drifted")

    fresh_lab.admin.clear()
    run = cli(*args)
    assert run.code == 0, run.text
    assert [(w["method"], w["path"]) for w in fresh_lab.admin.writes()] == [
        ("PATCH", f"/api/v2/customTasks/{task.id}/")
    ]
    (after,) = dr.CustomTask.list()
    assert after.id == task.id
    assert after.description == (
        "The alpha task.\n\n[ctask-sync:v1 namespace=acme/tasks key=alpha]"
    )
    assert len(dr.CustomTaskVersion.list(task.id)) == 1
    fresh_lab.admin.clear()
    assert cli(*args).code == 0
    assert fresh_lab.admin.writes() == []


def test_a_marker_altered_to_another_namespace_is_still_ours(fresh_lab: Lab, repo: Path) -> None:
    write_task(repo, "alpha", files={"custom.py": "pass\n"})
    commit_all(repo)
    args = ["apply", str(repo), "--allow-delete", *remote_args(fresh_lab.endpoint)]
    assert cli(*args).code == 0
    witness(fresh_lab.endpoint)
    (task,) = dr.CustomTask.list()
    dr.CustomTask.get(task.id).update(
        description="The alpha task.\n\n[ctask-sync:v1 namespace=someone/else key=alpha]"
    )
    run = cli(*args)
    assert run.code == 0, run.text
    (after,) = dr.CustomTask.list()
    assert read_marker(after.description) == read_marker(
        "[ctask-sync:v1 namespace=acme/tasks key=alpha]"
    )
