"""Issue 11: the sync root. A PATH below the root narrows what is shown and changed, never what
counts as "in the repository"; several roots in one repository never see each other's tasks;
the namespace comes from the committed ctask-sync.yaml, so a working copy and a fresh shallow
clone agree. Against the emulator over HTTP, the official client as witness."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import datarobot as dr

from ctask_sync.engine.remote import read_marker
from ctask_sync.engine.syncrecord import Owner, decode_record
from ctask_sync.manifest.spec import display_path
from tests.testing.clirun import Run
from tests.testing.tasks import SKLEARN_ENV

from .conftest import Admin, commit_all, git, write_task
from .test_e2e import witness


def root_config(folder: Path, namespace: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "ctask-sync.yaml").write_text(f"namespace: {namespace}\n", "utf-8")


def owners() -> dict[str, list[str]]:
    """namespace/key -> ids of the tasks whose marker names them."""
    found: dict[str, list[str]] = {}
    for task in dr.CustomTask.list():
        owner = read_marker(task.description or "")
        if owner is not None:
            found.setdefault(f"{owner.namespace} {owner.key}", []).append(task.id)
    return found


def test_a_sub_folder_apply_with_allow_delete_deletes_nothing_outside_it(
    cli: Callable[..., Run], repo: Path, emulator: Any, admin: Admin
) -> None:
    root_config(repo, "acme/tasks")
    for folder in ("tasks/churn-binary", "tasks/fraud", "tasks/scaler", "other/impute"):
        write_task(repo, folder)
    commit_all(repo)
    assert cli("apply", str(repo), namespace=None).code == 0
    witness(emulator)
    before = owners()
    assert len(before) == 4

    admin.clear()
    narrow = cli("apply", str(repo / "tasks/churn-binary"), "--allow-delete", namespace=None)
    assert narrow.code == 0, narrow.out + narrow.err
    assert "Plan: 0 to create, 0 to update, 0 to delete, 1 unchanged." in narrow.out
    assert "gone" not in narrow.out
    assert admin.writes() == []
    # a task of the narrowed folder whose manifest is removed is still deleted
    git(repo, "rm", "-rq", "tasks/scaler")
    commit_all(repo)
    run = cli("apply", str(repo / "tasks"), "--allow-delete", namespace=None)
    assert run.code == 0, run.out + run.err
    assert "Plan: 0 to create, 0 to update, 1 to delete, 2 unchanged." in run.out
    assert sorted(owners()) == sorted(k for k in before if k != "acme/tasks tasks/scaler")


def test_two_roots_synced_alternately_never_delete_each_others_tasks(
    cli: Callable[..., Run], repo: Path, emulator: Any, admin: Admin
) -> None:
    root_config(repo / "team-a", "acme/team-a")
    root_config(repo / "team-b", "acme/team-b")
    write_task(repo, "team-a/churn")
    write_task(repo, "team-b/fraud")
    write_task(repo, "team-b/scaler")
    commit_all(repo)
    witness(emulator)
    for _ in range(2):
        for team in ("team-a", "team-b"):
            run = cli("apply", str(repo / team), "--allow-delete", namespace=None)
            assert run.code == 0, run.out + run.err
            config = display_path(repo / team / "ctask-sync.yaml")
            assert run.out.splitlines()[1] == (
                f"Namespace: acme/{team} (from {config}); root: {team}"
            )
            assert " 0 to delete" in run.out
    assert sorted(owners()) == [
        "acme/team-a team-a/churn",
        "acme/team-b team-b/fraud",
        "acme/team-b team-b/scaler",
    ]
    # the repository top is no root of theirs: syncing it from there sees no task at all
    top = cli("plan", str(repo), "--allow-delete", namespace="acme/team-a")
    assert top.code == 0 and "No tasks found." in top.out


def test_two_roots_sharing_a_namespace_by_mistake_warn_and_delete_nothing(
    cli: Callable[..., Run], repo: Path, emulator: Any, admin: Admin
) -> None:
    root_config(repo / "team-a", "acme/shared")
    root_config(repo / "team-b", "acme/shared")
    write_task(repo, "team-a/churn")
    write_task(repo, "team-b/fraud")
    commit_all(repo)
    assert cli("apply", str(repo / "team-a"), namespace=None).code == 0
    run = cli("apply", str(repo / "team-b"), "--allow-delete", namespace=None)
    assert run.code == 0, run.out + run.err
    assert (
        "warning: namespace acme/shared is also synced from root 'team-a' (1 task, e.g. "
        "team-a/churn = "
    ) in run.out
    assert "this run's root is 'team-b'" in run.out
    again = cli("apply", str(repo / "team-a"), "--allow-delete", namespace=None)
    assert again.code == 0 and "root 'team-b'" in again.out
    witness(emulator)
    assert sorted(owners()) == ["acme/shared team-a/churn", "acme/shared team-b/fraud"]


def test_working_copy_and_fresh_shallow_clone_resolve_one_namespace(
    cli: Callable[..., Run], repo: Path, emulator: Any, tmp_path: Path
) -> None:
    root_config(repo, "acme/tasks")
    write_task(repo, "fraud")
    write_task(repo, "scaler")
    commit_all(repo)
    git(repo, "remote", "add", "origin", "git@github.com:acme/old-name.git")
    assert cli("apply", str(repo), namespace=None).code == 0
    clone = tmp_path / "renamed-repo"
    git(tmp_path, "clone", "-q", "--depth", "1", repo.as_uri(), str(clone))
    git(clone, "remote", "set-url", "origin", "https://github.com/acme/new-name.git")
    plans = []
    for where in (repo, clone):
        out = tmp_path / f"{where.name}.json"
        run = cli("plan", str(where), "--json", str(out), namespace=None)
        assert run.code == 0, run.out + run.err
        assert "Plan: 0 to create, 0 to update, 0 to delete, 2 unchanged." in run.out
        report = json.loads(out.read_text("utf-8"))
        assert (report["namespace"], report["endpoint"]) == ("acme/tasks", emulator.endpoint)
        plans.append([(t["key"], t["action"], t["task_id"]) for t in report["tasks"]])
    assert plans[0] == plans[1]


def test_a_real_endpoint_without_a_namespace_says_to_run_init(
    cli: Callable[..., Run], repo: Path, admin: Admin
) -> None:
    write_task(repo, "fraud")
    commit_all(repo)
    run = cli("plan", str(repo), namespace=None)
    assert run.code == 1
    shown = display_path(repo)
    assert run.err == (
        f"error: no namespace for {shown}: no ctask-sync.yaml at or above it, no --namespace "
        "and no CTASK_SYNC_NAMESPACE\n"
        f"  hint: run `ctask-sync init {shown}` to write ctask-sync.yaml with the namespace "
        "that owns this root's tasks, and commit it\n"
    )
    assert admin.log() == []  # resolved before connecting: not one request


def test_a_bad_root_config_is_reported_with_line_and_column(
    cli: Callable[..., Run], repo: Path, admin: Admin
) -> None:
    (repo / "ctask-sync.yaml").write_text("namespace: acme/tasks\nnamspace: x\n", "utf-8")
    write_task(repo, "fraud")
    run = cli("plan", str(repo / "fraud"), namespace=None)
    assert run.code == 1
    config = display_path(repo / "ctask-sync.yaml")
    assert f"{config}:2:1: error: unknown key 'namspace' (did you mean " in run.err
    assert admin.writes() == []


def test_a_moved_task_folder_is_recorded_so_only_its_new_folder_deletes_it(
    cli: Callable[..., Run], repo: Path, emulator: Any, admin: Admin
) -> None:
    """`git mv` of a task folder (same key, same files) rewrites the record's folder: a run
    narrowed to the old folder must never delete the task, one narrowed to the new folder
    must, once its manifest is gone."""
    root_config(repo, "acme/tasks")
    write_task(repo, "old/alpha", key="alpha", name="Alpha")
    write_task(repo, "old/keep", key="keep", name="Keep")
    write_task(repo, "new/beta", key="beta", name="Beta")
    commit_all(repo)
    assert cli("apply", str(repo), namespace=None).code == 0
    witness(emulator)
    git(repo, "mv", "old/alpha", "new/alpha")
    commit_all(repo, "move alpha to new/")

    admin.clear()
    moved = cli("apply", str(repo), namespace=None)
    assert moved.code == 0, moved.out + moved.err
    assert "write sync record (task folder moved)" in moved.out
    assert [w["method"] for w in admin.writes()] == ["PATCH"]  # the record, no new version
    (alpha,) = [t for t in dr.CustomTask.list() if t.name == "Alpha"]
    assert alpha.latest_version is not None
    record = decode_record(alpha.latest_version.description)
    assert record is not None and record.folder == "new/alpha"
    admin.clear()
    again = cli("apply", str(repo), namespace=None)
    assert "Plan: 0 to create, 0 to update, 0 to delete, 3 unchanged." in again.out
    assert admin.writes() == []

    git(repo, "rm", "-rq", "new/alpha")
    commit_all(repo, "remove alpha")
    old = cli("plan", str(repo / "old"), "--allow-delete", namespace=None)
    assert old.code == 0, old.out + old.err
    assert "Plan: 0 to create, 0 to update, 0 to delete, 1 unchanged." in old.out
    new = cli("apply", str(repo / "new"), "--allow-delete", namespace=None)
    assert new.code == 0, new.out + new.err
    assert "Plan: 0 to create, 0 to update, 1 to delete, 1 unchanged." in new.out
    assert sorted(t.name for t in dr.CustomTask.list()) == ["Beta", "Keep"]


def test_plan_and_status_from_a_sub_folder_of_a_task_are_about_that_task(
    cli: Callable[..., Run], repo: Path, emulator: Any, admin: Admin
) -> None:
    """From a task's lib/ folder, as from anywhere in a git repository, a run is about the task
    that holds it: an edit there is planned (exit 2), never "No tasks found" with exit 0."""
    root_config(repo, "acme/tasks")
    write_task(repo, "tasks/two", files={"custom.py": "x = 1\n", "lib/h.py": "Y = 2\n"})
    write_task(repo, "tasks/one")
    commit_all(repo)
    assert cli("apply", str(repo), namespace=None).code == 0
    (repo / "tasks/two/lib/h.py").write_text("Y = 3\n", "utf-8")
    commit_all(repo, "edit lib/h.py")
    lib = str(repo / "tasks/two/lib")
    plan = cli("plan", lib, namespace=None)
    assert plan.code == 2, plan.out + plan.err
    assert "~ tasks/two  change lib/h.py" in plan.out
    assert "Plan: 0 to create, 1 to update, 0 to delete, 0 unchanged." in plan.out
    status = cli("status", lib, namespace=None)
    assert status.code == 2, status.out + status.err
    assert [line.split()[0] for line in status.out.splitlines()[3:]] == ["tasks/two"]
    admin.clear()
    assert cli("apply", lib, namespace=None).code == 0
    # a version made from the previous one (PATCH versions/), then its record
    assert [w["method"] for w in admin.writes()] == ["PATCH", "PATCH"]


def test_a_marker_pasted_from_another_roots_task_moves_nothing(
    cli: Callable[..., Run], repo: Path, emulator: Any, admin: Admin, tmp_path: Path
) -> None:
    """Two roots use one key. In DataRobot a user makes a version of A's task by hand (it has no
    record) and pastes B's description, marker line included, onto A's task. The marker alone
    must not make A's task B's: root b would sync it as its own and delete its real task as a
    duplicate. The newest record on A's task still names root a, which restores the marker."""
    for team in ("team-a", "team-b"):
        root_config(repo / team, f"acme/{team}")
        write_task(repo, f"{team}/t", key="same", name=team)
    commit_all(repo)
    for team in ("team-a", "team-b"):
        assert cli("apply", str(repo / team), namespace=None).code == 0
    witness(emulator)
    (a,) = [t for t in dr.CustomTask.list() if t.name == "team-a"]
    (b,) = [t for t in dr.CustomTask.list() if t.name == "team-b"]
    hotfix = tmp_path / "hotfix"
    hotfix.mkdir()
    (hotfix / "custom.py").write_text("hotfix = True\n", "utf-8")
    dr.CustomTaskVersion.create_from_previous(a.id, SKLEARN_ENV, folder_path=str(hotfix))
    a.update(description=b.description)

    admin.clear()
    run_b = cli("apply", str(repo / "team-b"), "--allow-delete", namespace=None)
    assert run_b.code == 0, run_b.out + run_b.err
    assert "Plan: 0 to create, 0 to update, 0 to delete, 1 unchanged." in run_b.out
    assert admin.writes() == []
    plan_a = cli("plan", str(repo / "team-a"), namespace=None)
    assert plan_a.code == 2, plan_a.out + plan_a.err
    assert "marker removed or changed outside git" in plan_a.out
    assert "Plan: 0 to create, 1 to update, 0 to delete, 0 unchanged." in plan_a.out
    assert cli("apply", str(repo / "team-a"), namespace=None).code == 0
    assert {t.id: read_marker(t.description or "") for t in dr.CustomTask.list()} == {
        a.id: Owner("acme/team-a", "same"),
        b.id: Owner("acme/team-b", "same"),
    }
