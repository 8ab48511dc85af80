"""End to end: real git repositories, the CLI in-process, the emulator over real HTTP, and the
official datarobot client as the second witness of what DataRobot holds."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import datarobot as dr

from ctask_sync.emulator.testing import SENTINEL_TOKEN
from tests.testing.clirun import Run

from .conftest import TWO_FILES, Admin, commit_all, git, write_task

OTHER_ENV_NAME = "[DataRobot] Python 3.12 PyTorch Drop-In"


def witness(emulator: Any) -> None:
    dr.Client(endpoint=emulator.endpoint, token=SENTINEL_TOKEN)


def remote_files(task_id: str, tmp_path: Path) -> dict[str, bytes]:
    """Every file of the task's latest version, downloaded by the official client."""
    task = dr.CustomTask.get(task_id)
    archive = tmp_path / f"{task_id}.zip"
    task.download_latest_version(str(archive))
    with zipfile.ZipFile(archive) as zf:
        return {name: zf.read(name) for name in zf.namelist() if not name.endswith("/")}


def local_files(folder: Path, exclude: tuple[str, ...] = ("ctask.yaml",)) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in folder.rglob("*")
        if p.is_file() and p.name not in exclude
    }


def owned_tasks(namespace: str = "acme/tasks") -> dict[str, dr.CustomTask]:
    from ctask_sync.engine.remote import read_marker

    found: dict[str, dr.CustomTask] = {}
    for task in dr.CustomTask.list():
        owner = read_marker(task.description)
        if owner is not None and owner.namespace == namespace:
            assert owner.key not in found, f"duplicate task for {owner.key}"
            found[owner.key] = task
    return found


def three_tasks(repo: Path) -> None:
    write_task(repo, "fraud/xgb", files=TWO_FILES)
    write_task(
        repo,
        "churn/rf",
        files={
            "custom.py": "def fit(): pass\n",
            "lib/feature eng.py": "Z = 2\n",
            "model.pkl": b"\x80\x04K\x01.",
        },
    )
    write_task(repo, "scaler", files={"custom.py": "def transform(): pass\n"})
    commit_all(repo, "three tasks")


def apply_json(cli: Callable[..., Run], repo: Path, *extra: str) -> tuple[Run, dict[str, Any]]:
    out = repo.parent / "apply.json"
    run = cli("apply", str(repo), "--json", str(out), *extra)
    return run, json.loads(out.read_text())


def test_first_apply_creates_every_task_with_exactly_its_files(
    cli: Callable[..., Run], repo: Path, emulator: Any, admin: Admin, tmp_path: Path
) -> None:
    three_tasks(repo)
    run, result = apply_json(cli, repo)
    assert run.code == 0, run.out + run.err
    assert result["summary"]["created"] == 3
    witness(emulator)
    tasks = owned_tasks()
    assert sorted(tasks) == ["churn/rf", "fraud/xgb", "scaler"]
    for key, task in tasks.items():
        assert remote_files(task.id, tmp_path) == local_files(repo / key)
        assert task.latest_version.label == "1.0"

    # the second apply writes nothing and lists tasks in one page
    admin.clear()
    again = cli("apply", str(repo))
    assert again.code == 0
    assert admin.writes() == []
    lists = [r for r in admin.log() if r["method"] == "GET" and r["path"] == "/api/v2/customTasks/"]
    assert len(lists) == 1
    assert "Plan: 0 to create, 0 to update, 0 to delete, 3 unchanged." in again.out


def test_changed_file_uploads_only_that_file(
    cli: Callable[..., Run], repo: Path, emulator: Any, admin: Admin, tmp_path: Path
) -> None:
    three_tasks(repo)
    assert cli("apply", str(repo)).code == 0
    helper = repo / "fraud/xgb/helper.py"
    helper.write_text("X = 2  # tuned\n" * 50, "utf-8")
    commit_all(repo)
    admin.clear()
    plan = cli("plan", str(repo))
    assert plan.code == 2
    assert "~ fraud/xgb" in plan.out and "change helper.py" in plan.out
    assert admin.writes() == []
    run, result = apply_json(cli, repo)
    assert run.code == 0, run.out + run.err
    writes = admin.writes()
    assert [(w["method"], w["path"].split("/versions/")[-1] != "") for w in writes] == [
        ("PATCH", False),
        ("PATCH", True),
    ], writes
    upload = writes[0]
    size = helper.stat().st_size
    assert size <= upload["request_bytes"] <= size + 4096
    (task,) = [t for t in result["tasks"] if t["key"] == "fraud/xgb"]
    assert task["files_uploaded"] == 1 and task["bytes_uploaded"] == size
    assert task["version_label"] == "1.1"
    witness(emulator)
    assert remote_files(owned_tasks()["fraud/xgb"].id, tmp_path) == local_files(repo / "fraud/xgb")


def test_deleted_and_renamed_files(
    cli: Callable[..., Run], repo: Path, emulator: Any, admin: Admin, tmp_path: Path
) -> None:
    three_tasks(repo)
    assert cli("apply", str(repo)).code == 0
    witness(emulator)
    before = {i.file_path: i.id for i in owned_tasks()["churn/rf"].latest_version.items}
    (repo / "churn/rf/model.pkl").unlink()
    git(repo, "mv", "churn/rf/lib/feature eng.py", "churn/rf/lib/features.py")
    commit_all(repo)
    admin.clear()
    run = cli("apply", str(repo))
    assert run.code == 0, run.out
    # the same content under a new path is a rename (DataRobot still gets a delete + upload)
    assert "remove model.pkl; rename lib/feature eng.py → lib/features.py" in run.out
    assert "      > lib/feature eng.py → lib/features.py (" in run.out
    task = owned_tasks()["churn/rf"]
    assert sorted(i.file_path for i in task.latest_version.items) == [
        "custom.py",
        "lib/features.py",
    ]
    # the removed files went as filesToDelete item ids in one version upload
    versions = [w for w in admin.writes() if w["path"].endswith("/versions/")]
    assert len(versions) == 1
    assert before["model.pkl"] not in {i.id for i in task.latest_version.items}
    assert remote_files(task.id, tmp_path) == local_files(repo / "churn/rf")


def test_metadata_change_is_one_patch_and_no_version(
    cli: Callable[..., Run], repo: Path, emulator: Any, admin: Admin
) -> None:
    three_tasks(repo)
    assert cli("apply", str(repo)).code == 0
    manifest = repo / "scaler/ctask.yaml"
    manifest.write_text(manifest.read_text().replace("Task scaler", "Standard scaler"), "utf-8")
    commit_all(repo)
    admin.clear()
    run = cli("apply", str(repo))
    assert run.code == 0
    writes = admin.writes()
    assert len(writes) == 1 and writes[0]["method"] == "PATCH"
    assert "/versions/" not in writes[0]["path"]
    witness(emulator)
    task = owned_tasks()["scaler"]
    assert task.name == "Standard scaler"
    assert task.latest_version.label == "1.0"


def test_environment_change_makes_a_major_version(
    cli: Callable[..., Run], repo: Path, emulator: Any
) -> None:
    three_tasks(repo)
    assert cli("apply", str(repo)).code == 0
    manifest = repo / "scaler/ctask.yaml"
    text = manifest.read_text().replace(
        "  id: 5e8c889607389fe0f466c72d", f'  name: "{OTHER_ENV_NAME}"'
    )
    manifest.write_text(text, "utf-8")
    commit_all(repo)
    run = cli("apply", str(repo))
    assert run.code == 0, run.out + run.err
    assert "new major version (the environment changed)" in run.out
    witness(emulator)
    assert owned_tasks()["scaler"].latest_version.label == "2.0"


def test_builds_start_and_are_awaited_together(
    cli: Callable[..., Run], repo: Path, emulator_factory: Callable[..., Any], capsys: Any
) -> None:
    emu = emulator_factory(build_seconds=1.0)
    for i in range(5):
        write_task(
            repo, f"t{i}", files={"custom.py": "pass\n", "requirements.txt": f"pkg{i}==1.0\n"}
        )
    commit_all(repo)
    from ctask_sync.cli.main import main

    code = main(["apply", str(repo), "--endpoint", emu.endpoint, "--namespace", "b"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "waiting for 5 dependency builds" in out
    dr.Client(endpoint=emu.endpoint, token=SENTINEL_TOKEN)
    spans = []
    for task in owned_tasks("b").values():
        version = task.latest_version
        assert version.dependencies, "requirements.txt parsed into dependencies"
        path = f"customTasks/{task.id}/versions/{version.id}/dependencyBuild/"
        body = dr.client.get_client().get(path).json()
        assert body["buildStatus"] == "success"
        spans.append((body["buildStart"], body["buildEnd"]))
    # every build started before the first one finished: they ran together, not in turn
    assert max(start for start, _ in spans) < min(end for _, end in spans)


def test_failing_build_fails_the_run_with_its_log_tail(cli: Callable[..., Run], repo: Path) -> None:
    write_task(repo, "good", files={"custom.py": "pass\n", "requirements.txt": "numpy==1.26\n"})
    write_task(
        repo, "bad", files={"custom.py": "pass\n", "requirements.txt": "does-not-exist-pkg==0.1\n"}
    )
    commit_all(repo)
    run = cli("apply", str(repo))
    assert run.code == 1
    assert "build failed" in run.out
    assert "does-not-exist-pkg" in run.out  # from the log tail


def test_delete_refused_with_409_is_reported_and_others_go_on(
    cli: Callable[..., Run], repo: Path, emulator: Any, admin: Admin
) -> None:
    three_tasks(repo)
    assert cli("apply", str(repo)).code == 0
    witness(emulator)
    tasks = owned_tasks()
    admin.in_use(tasks["scaler"].id)
    git(repo, "rm", "-rq", "scaler", "fraud")
    commit_all(repo)
    plan = cli("plan", str(repo))
    assert plan.code == 2  # DataRobot holds tasks the repository no longer has
    assert "# fraud/xgb  its manifest is gone from the repository; kept: pass --allow-delete" in (
        plan.out
    )
    assert "Plan: 0 to create, 0 to update, 0 to delete, 1 unchanged. 2 kept (not deleted)." in (
        plan.out
    )
    deleting = cli("plan", str(repo), "--allow-delete")
    assert "- fraud/xgb" in deleting.out and "- scaler" in deleting.out
    kept = cli("apply", str(repo))
    assert kept.code == 0
    assert sorted(owned_tasks()) == ["churn/rf", "fraud/xgb", "scaler"]
    run = cli("apply", str(repo), "--allow-delete")
    assert run.code == 1
    assert "HTTP 409" in run.out
    assert sorted(owned_tasks()) == ["churn/rf", "scaler"]


def test_tasks_not_owned_are_never_touched(
    cli: Callable[..., Run], repo: Path, emulator: Any, admin: Admin
) -> None:
    witness(emulator)
    stranger = dr.CustomTask.create(name="Task scaler", target_type="Binary", language="python")
    other_ns = dr.CustomTask.create(
        name="Task scaler",
        target_type="Binary",
        description="[ctask-sync:v1 namespace=someone/else key=scaler]",
    )
    three_tasks(repo)
    # same name and target type as the strangers: creating beside them must be asked for
    refused = cli("apply", str(repo), "--allow-delete")
    assert refused.code == 1 and "pass --allow-duplicate-name to apply" in refused.out
    assert stranger.id in refused.out and other_ns.id in refused.out
    assert cli("apply", str(repo), "--allow-delete", "--allow-duplicate-name").code == 0
    git(repo, "rm", "-rq", "scaler")
    commit_all(repo)
    assert cli("apply", str(repo), "--allow-delete").code == 0
    for task in (stranger, other_ns):
        fresh = dr.CustomTask.get(task.id)
        assert fresh.description == task.description and fresh.latest_version is None


def test_same_result_from_full_shallow_and_force_pushed_clones(
    cli: Callable[..., Run], repo: Path, emulator: Any, admin: Admin, tmp_path: Path
) -> None:
    three_tasks(repo)
    assert cli("apply", str(repo)).code == 0
    (repo / "fraud/xgb/helper.py").write_text("X = 3\n", "utf-8")
    (repo / "churn/rf/model.pkl").unlink()
    commit_all(repo, "two changes")
    plans = []
    full = tmp_path / "full"
    git(tmp_path, "clone", "-q", repo.as_uri(), str(full))
    shallow = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "1", repo.as_uri(), str(shallow))
    for clone in (repo, full, shallow):
        out = tmp_path / f"{clone.name}.json"
        assert cli("plan", str(clone), "--json", str(out)).code == 2
        data = json.loads(out.read_text())
        plans.append(
            [
                (t["key"], t["action"], t["files_added"], t["files_changed"], t["files_removed"])
                for t in data["tasks"]
            ]
        )
    assert plans[0] == plans[1] == plans[2]
    # after a force push that rewrote the synced commit, the plan is still exact
    git(repo, "reset", "-q", "--hard", "HEAD~1")
    (repo / "scaler/custom.py").write_text("def transform(): return 1\n", "utf-8")
    commit_all(repo, "rewritten history")
    run = cli("plan", str(repo))
    assert run.code == 2
    assert "~ scaler" in run.out and "change custom.py" in run.out


def test_version_made_by_hand_is_drift_and_reconciled_exactly(
    cli: Callable[..., Run], repo: Path, emulator: Any, tmp_path: Path
) -> None:
    three_tasks(repo)
    assert cli("apply", str(repo)).code == 0
    witness(emulator)
    task = owned_tasks()["fraud/xgb"]
    hand = tmp_path / "hand"
    hand.mkdir()
    (hand / "helper.py").write_text("X = 'edited in the UI'\n", "utf-8")
    (hand / "notes.txt").write_text("scratch\n", "utf-8")
    dr.CustomTaskVersion.create_from_previous(
        custom_task_id=task.id,
        base_environment_id=task.latest_version.base_environment_id,
        folder_path=str(hand),
    )
    plan = cli("plan", str(repo))
    assert plan.code == 2
    assert "drift" in plan.out
    assert "change helper.py" in plan.out and "remove notes.txt" in plan.out
    assert cli("apply", str(repo)).code == 0
    assert remote_files(task.id, tmp_path) == local_files(repo / "fraud/xgb")
    assert cli("plan", str(repo)).code == 0


def test_late_run_for_an_older_commit_is_refused_without_writes(
    cli: Callable[..., Run], repo: Path, admin: Admin
) -> None:
    three_tasks(repo)
    old = git(repo, "rev-parse", "HEAD")
    (repo / "scaler/custom.py").write_text("def transform(): return 2\n", "utf-8")
    commit_all(repo, "newer")
    assert cli("apply", str(repo)).code == 0
    git(repo, "checkout", "-q", old)
    admin.clear()
    run = cli("apply", str(repo))
    assert run.code == 1
    assert "newer than this run's commit" in run.err
    assert admin.writes() == []


def test_dropped_connection_after_version_post_then_rerun_converges(
    cli: Callable[..., Run], repo: Path, emulator: Any, admin: Admin, tmp_path: Path
) -> None:
    three_tasks(repo)
    admin.fault(method="POST", path="/versions/$", when="after", drop=True)
    first = cli("apply", str(repo))
    assert "outcome unknown" in first.out
    cli("apply", str(repo))
    witness(emulator)
    tasks = owned_tasks()
    assert sorted(tasks) == ["churn/rf", "fraud/xgb", "scaler"]
    for key, task in tasks.items():
        assert len(dr.CustomTaskVersion.list(task.id)) == 1, key
        assert remote_files(task.id, tmp_path) == local_files(repo / key)
    admin.clear()
    assert cli("apply", str(repo)).code == 0
    assert admin.writes() == []


def test_embedded_emulator_is_the_default_and_says_so(cli: Callable[..., Run], repo: Path) -> None:
    three_tasks(repo)
    first = cli("apply", str(repo), endpoint=False)
    assert first.code == 0, first.out + first.err
    assert first.out.splitlines()[0].startswith("Endpoint: the embedded DataRobot emulator")
    assert first.out.splitlines()[1] == (
        "Namespace: acme/tasks (from --namespace or CTASK_SYNC_NAMESPACE); root: ."
    )
    assert (repo / ".ctask-sync").is_dir()
    second = cli("apply", str(repo), endpoint=False)
    assert second.code == 0
    assert "3 unchanged" in second.out


def test_token_never_appears_in_output(cli: Callable[..., Run], repo: Path, tmp_path: Path) -> None:
    three_tasks(repo)
    out = tmp_path / "r.json"
    runs = [
        cli("apply", str(repo), "--json", str(out)),
        cli("plan", str(repo)),
        cli("status", str(repo)),
    ]
    unreachable = cli("apply", str(repo), "--endpoint", "http://127.0.0.1:9/api/v2", endpoint=False)
    assert unreachable.code == 1
    runs.append(unreachable)
    for run in runs:
        assert SENTINEL_TOKEN not in run.out + run.err
    assert SENTINEL_TOKEN not in out.read_text()
    refused = cli("plan", str(repo), f"--token={SENTINEL_TOKEN}")
    assert refused.code == 1 and SENTINEL_TOKEN not in refused.out + refused.err
    assert "DATAROBOT_API_TOKEN" in refused.err


def test_a_server_that_does_not_answer_ends_in_a_clear_error_within_the_budget(
    cli: Callable[..., Run], repo: Path, admin: Admin
) -> None:
    three_tasks(repo)
    admin.settings(latency_ms=2000)
    run = cli("plan", str(repo), "--timeout", "0.3", "--retry-max-seconds", "0.5")
    admin.settings(latency_ms=0)
    assert run.code == 1
    assert "DataRobot GET executionEnvironments/ failed" in run.err
    assert "Traceback" not in run.err


def test_status_names_each_task_state(
    cli: Callable[..., Run], repo: Path, emulator: Any, tmp_path: Path
) -> None:
    three_tasks(repo)
    assert cli("apply", str(repo)).code == 0
    witness(emulator)
    tasks = owned_tasks()
    # fraud/xgb: a version made by hand; scaler: changed locally; churn/rf: untouched;
    # new/one: not yet in DataRobot
    hand = tmp_path / "hand"
    hand.mkdir()
    (hand / "notes.txt").write_text("scratch\n", "utf-8")
    dr.CustomTaskVersion.create_from_previous(
        custom_task_id=tasks["fraud/xgb"].id,
        base_environment_id=tasks["fraud/xgb"].latest_version.base_environment_id,
        folder_path=str(hand),
    )
    (repo / "scaler/custom.py").write_text("def transform(): return 3\n", "utf-8")
    write_task(repo, "new/one", files=TWO_FILES)
    commit_all(repo)
    out = tmp_path / "status.json"
    run = cli("status", str(repo), "--json", str(out))
    assert run.code == 2, run.err  # not every task is in sync
    rows = {r["key"]: r for r in json.loads(out.read_text())["tasks"]}
    assert {k: r["state"] for k, r in rows.items()} == {
        "churn/rf": "in sync",
        "fraud/xgb": "drifted",
        "new/one": "not in DataRobot",
        "scaler": "out of sync",
    }
    assert rows["fraud/xgb"]["version"] == "2.0"  # the client makes major versions by default
    assert rows["churn/rf"]["task_id"] == tasks["churn/rf"].id
    assert f"churn/rf   {tasks['churn/rf'].id}  1.0       in sync" in run.out


def test_cleanup_dry_run_lists_and_cleanup_deletes_only_that_namespace(
    cli: Callable[..., Run], repo: Path, emulator: Any
) -> None:
    three_tasks(repo)
    assert cli("apply", str(repo), namespace="acme/tasks/pr-7").code == 0
    assert cli("apply", str(repo)).code == 0
    dry = cli("cleanup", str(repo), "--dry-run", namespace="acme/tasks/pr-7")
    assert dry.code == 0
    assert "cleanup of acme/tasks/pr-7: would delete 3 tasks" in dry.out
    witness(emulator)
    assert len(owned_tasks("acme/tasks/pr-7")) == 3
    gone = cli("cleanup", str(repo), namespace="acme/tasks/pr-7")
    assert gone.code == 0 and "deleted 3 tasks" in gone.out
    assert owned_tasks("acme/tasks/pr-7") == {}
    assert sorted(owned_tasks("acme/tasks")) == ["churn/rf", "fraud/xgb", "scaler"]
    missing = cli("cleanup", str(repo), namespace=None)
    assert missing.code == 1
    assert "cleanup needs --namespace" in missing.err
