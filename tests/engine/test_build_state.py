"""Issue 12: a dependency build's outcome is remote state. A failed, never-run or running build
is not "in sync": plan shows it (exit 2), status exits 2, apply retries or awaits it, and the
final outcome is written into the version's record so a no-op run still costs one paged list.
The official client is the witness of what DataRobot holds."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import datarobot as dr
import pytest
from pytest_mock import MockerFixture

from ctask_sync.emulator.testing import SENTINEL_TOKEN
from ctask_sync.engine.syncrecord import decode_record
from tests.testing.clirun import Run

from .conftest import Admin, commit_all, write_task

FAILING = {"custom.py": "pass\n", "requirements.txt": "does-not-exist-pkg==0.1\n"}


def build_of(emulator: Any, key: str = "bad") -> dict[str, Any]:
    """The latest version's build and record as the official client reads them."""
    dr.Client(endpoint=emulator.endpoint, token=SENTINEL_TOKEN)
    (task,) = [t for t in dr.CustomTask.list() if t.description.endswith(f"key={key}]")]
    version = task.latest_version
    path = f"customTasks/{task.id}/versions/{version.id}/dependencyBuild/"
    body: dict[str, Any] = dr.client.get_client().get(path).json()
    record = decode_record(version.description)
    body["record_outcome"] = record.build_outcome if record else None
    body["label"] = version.label
    return body


def wait_until_final(emulator: Any) -> str:
    for _ in range(100):
        status = str(build_of(emulator)["buildStatus"])
        if status in ("success", "failed"):
            return status
        time.sleep(0.1)
    raise AssertionError("the emulator's build never finished")


def status_json(cli: Callable[..., Run], repo: Path) -> tuple[Run, dict[str, str]]:
    out = repo.parent / "status.json"
    run = cli("status", str(repo), "--json", str(out))
    return run, {r["key"]: r["state"] for r in json.loads(out.read_text())["tasks"]}


def test_failed_build_is_retried_until_it_succeeds_then_the_no_op_is_one_list(
    cli: Callable[..., Run], repo: Path, emulator: Any, admin: Admin
) -> None:
    write_task(repo, "bad", files=FAILING)
    commit_all(repo)
    first = cli("apply", str(repo))
    assert first.code == 1 and "build failed" in first.out
    assert build_of(emulator)["buildStatus"] == "failed"
    assert build_of(emulator)["record_outcome"] == "failed"  # written once the wait ended

    # no code change: the plan still shows the failed build (it used to say "in sync", exit 0)
    admin.clear()
    plan = cli("plan", str(repo))
    assert plan.code == 2, plan.out
    assert "  ~ bad  retry dependency build" in plan.out
    assert "Plan: 0 to create, 1 to update, 0 to delete, 0 unchanged." in plan.out
    assert admin.writes() == []
    run, states = status_json(cli, repo)
    assert run.code == 2 and states == {"bad": "build failed"}

    # the retry fails again while the requirement cannot be installed...
    again = cli("apply", str(repo))
    assert again.code == 1 and "dependency build restarted" in again.out
    # ...and succeeds once it can: apply exits 0, the witness sees the success and the record
    admin.settings(fail_builds_matching="^nothing-fails-now$")
    fixed = cli("apply", str(repo))
    assert fixed.code == 0, fixed.out
    assert "1 updated, 0 deleted, 0 unchanged, 0 versions, 0 failed builds" in fixed.out
    witnessed = build_of(emulator)
    assert (witnessed["buildStatus"], witnessed["record_outcome"]) == ("success", "success")
    assert witnessed["label"] == "1.0"  # the same version, rebuilt: no new upload
    run, states = status_json(cli, repo)
    assert run.code == 0 and states == {"bad": "in sync"}

    # the no-op: one list of environments, one paged list of tasks, no build read, no write
    admin.clear()
    noop = cli("apply", str(repo))
    assert noop.code == 0
    requests = [f"{r['method']} {r['path']}" for r in admin.log()]
    print(f"no-op apply with a recorded build outcome: {len(requests)} requests: {requests}")
    # (in either order: the task list is read ahead while the manifests are validated)
    assert sorted(requests) == ["GET /api/v2/customTasks/", "GET /api/v2/executionEnvironments/"]


def test_a_build_that_fails_after_no_wait_is_reported_by_the_next_run(
    cli: Callable[..., Run], repo: Path, emulator: Any, admin: Admin
) -> None:
    admin.settings(build_seconds=1.0)
    write_task(repo, "bad", files=FAILING)
    commit_all(repo)
    started = cli("apply", str(repo), "--no-wait")
    assert started.code == 0 and "build submitted" in started.out
    # still running: plan and status say so, apply would wait for it
    plan = cli("plan", str(repo))
    assert plan.code == 2 and "~ bad  await the running dependency build" in plan.out
    run, states = status_json(cli, repo)
    assert run.code == 2 and states == {"bad": "build running"}
    assert wait_until_final(emulator) == "failed"
    assert build_of(emulator)["record_outcome"] is None  # nobody waited: the next run reads it
    plan = cli("plan", str(repo))
    assert plan.code == 2 and "~ bad  retry dependency build" in plan.out
    run, states = status_json(cli, repo)
    assert run.code == 2 and states == {"bad": "build failed"}


def test_a_running_build_is_awaited_and_its_success_recorded(
    cli: Callable[..., Run], repo: Path, emulator: Any, admin: Admin
) -> None:
    admin.settings(build_seconds=1.0)
    write_task(repo, "bad", files={"custom.py": "pass\n", "requirements.txt": "numpy==1.26\n"})
    commit_all(repo)
    assert cli("apply", str(repo), "--no-wait").code == 0
    awaited = cli("apply", str(repo))
    assert awaited.code == 0, awaited.out
    assert "waiting for 1 dependency build (deadline" in awaited.out
    assert "build success" in awaited.out
    witnessed = build_of(emulator)
    assert (witnessed["buildStatus"], witnessed["record_outcome"]) == ("success", "success")
    admin.clear()
    assert cli("plan", str(repo)).code == 0
    assert len(admin.log()) == 2  # environments and the one paged list


def test_success_learnt_after_no_wait_is_written_down_once(
    cli: Callable[..., Run], repo: Path, emulator: Any, admin: Admin
) -> None:
    write_task(repo, "bad", files={"custom.py": "pass\n", "requirements.txt": "numpy==1.26\n"})
    commit_all(repo)
    assert cli("apply", str(repo), "--no-wait").code == 0
    assert wait_until_final(emulator) == "success"
    plan = cli("plan", str(repo))
    assert plan.code == 0  # usable: in sync; only bookkeeping is left
    assert "= bad  in sync; record the dependency build's success" in plan.out
    admin.clear()
    assert cli("apply", str(repo)).code == 0
    assert [w["method"] for w in admin.writes()] == ["PATCH"]
    assert build_of(emulator)["record_outcome"] == "success"
    admin.clear()
    assert cli("apply", str(repo)).code == 0
    assert admin.writes() == [] and len(admin.log()) == 2


def test_ctrl_c_during_the_wait_says_what_runs_on_and_the_next_run_resumes(
    cli: Callable[..., Run], repo: Path, emulator: Any, admin: Admin, mocker: MockerFixture
) -> None:
    admin.settings(build_seconds=1.0)
    write_task(repo, "bad", files={"custom.py": "pass\n", "requirements.txt": "numpy==1.26\n"})
    commit_all(repo)
    # Ctrl-C arrives while the wait sleeps between polls
    mocker.patch("ctask_sync.engine.builds._sleep", side_effect=KeyboardInterrupt)
    stopped = cli("apply", str(repo))
    assert stopped.code == 130 and stopped.err == "interrupted\n"
    assert "Interrupted while waiting for dependency builds. Done before that:" in stopped.out
    assert "  + bad  create    v1.0" in stopped.out
    assert "Still running in DataRobot (they go on without this run):" in stopped.out
    assert "  bad  version 1.0  build " in stopped.out
    assert "The next `ctask-sync apply` resumes waiting for them." in stopped.out
    mocker.stopall()
    resumed = cli("apply", str(repo))
    assert resumed.code == 0, resumed.out
    assert "~ bad  await the running dependency build" in resumed.out
    assert "waiting for 1 dependency build (deadline" in resumed.out
    witnessed = build_of(emulator)
    assert (witnessed["buildStatus"], witnessed["record_outcome"]) == ("success", "success")


@pytest.mark.parametrize("mode", ["auto", "always"])
def test_never_opts_out_and_auto_and_always_both_retry(
    cli: Callable[..., Run], repo: Path, emulator: Any, mode: str
) -> None:
    write_task(repo, "bad", files=FAILING, extra=f"dependency_build: {mode}\n")
    commit_all(repo)
    assert cli("apply", str(repo)).code == 1
    assert "retry dependency build" in cli("plan", str(repo)).out
    write_task(repo, "bad", files=FAILING, extra="dependency_build: never\n")
    commit_all(repo)
    never = cli("plan", str(repo))
    assert "retry dependency build" not in never.out
