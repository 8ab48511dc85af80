"""Tasks in use, end to end: user blueprints that follow new versions, sharing from git, and
deletions that name their blockers. The emulator over real HTTP; the official datarobot client
makes the blueprints and shares, and is the witness of what DataRobot holds afterwards."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import datarobot as dr

from ctask_sync.emulator.testing import SENTINEL_TOKEN
from tests.testing.clirun import Run

from .conftest import Admin, commit_all, git, write_task

FOLLOW = "blueprints: follow\n"


def witness(emulator: Any) -> None:
    dr.Client(endpoint=emulator.endpoint, token=SENTINEL_TOKEN)


def task_ids(cli: Callable[..., Run], repo: Path) -> dict[str, dict[str, Any]]:
    out = repo.parent / "status.json"
    cli("status", str(repo), "--json", str(out))
    return {t["key"]: t for t in json.loads(out.read_text())["tasks"]}


def pins(blueprint_id: str) -> list[str]:
    """The version_id of every task of the blueprint, as the official client reads it."""
    found = dr.UserBlueprint.get(blueprint_id)
    return [
        p.value
        for step in found.blueprint
        for p in step.task_data.task_parameters
        if p.param == "version_id"
    ]


def blueprint_of(*refs: str) -> list[dict[str, Any]]:
    return [
        {
            "task_id": str(i + 1),
            "task_data": {
                "task_code": "CUSTOMR",
                "inputs": ["NUM"],
                "output_method": "P",
                "output_method_parameters": [],
                "task_parameters": [{"param": "version_id", "value": ref}],
                "x_transformations": [],
                "y_transformations": [],
            },
        }
        for i, ref in enumerate(refs)
    ]


def test_follow_moves_pins_of_this_task_only(
    cli: Callable[..., Run], repo: Path, emulator: Any, admin: Admin
) -> None:
    write_task(repo, "fraud/xgb", extra=FOLLOW)
    write_task(repo, "churn/rf")
    commit_all(repo, "first")
    assert cli("apply", str(repo)).code == 0
    tasks = task_ids(cli, repo)
    fraud_id, fraud_v1 = tasks["fraud/xgb"]["task_id"], tasks["fraud/xgb"]["version_id"]
    churn_v1 = tasks["churn/rf"]["version_id"]

    witness(emulator)
    pinned = dr.UserBlueprint.create_from_custom_task_version_id(fraud_v1)
    following = dr.UserBlueprint.create(blueprint_of(f"latest_{fraud_id}"), model_type="Latest")
    other = dr.UserBlueprint.create_from_custom_task_version_id(churn_v1)
    mixed = dr.UserBlueprint.create(blueprint_of(churn_v1, fraud_v1), model_type="Mixed")

    # nothing changed: the blueprints are not even read
    admin.clear()
    assert cli("apply", str(repo)).code == 0
    assert not [r for r in admin.log() if "userBlueprints" in r["path"]]

    (repo / "fraud/xgb/helper.py").write_text("X = 2\n")
    (repo / "churn/rf/helper.py").write_text("X = 3\n")
    commit_all(repo, "change both")
    plan = cli("plan", str(repo))
    assert plan.code == 2, plan.out + plan.err
    line = next(x for x in plan.out.splitlines() if "fraud/xgb" in x)
    assert (
        f"move user blueprint {mixed.user_blueprint_id} (Mixed): 1.0 -> 1.1; "
        f"move user blueprint {pinned.user_blueprint_id} (Task fraud/xgb (v1.0)): 1.0 -> 1.1"
    ) in line or (
        f"move user blueprint {pinned.user_blueprint_id} (Task fraud/xgb (v1.0)): 1.0 -> 1.1; "
        f"move user blueprint {mixed.user_blueprint_id} (Mixed): 1.0 -> 1.1"
    ) in line
    assert "Latest" not in line  # latest_ follows by itself
    plan_file = repo.parent / "plan.json"
    cli("plan", str(repo), "--json", str(plan_file))
    planned = {t["key"]: t for t in json.loads(plan_file.read_text())["tasks"]}
    assert sorted(u["blueprint_id"] for u in planned["fraud/xgb"]["blueprint_updates"]) == sorted(
        [pinned.user_blueprint_id, mixed.user_blueprint_id]
    )
    assert {u["new_version"] for u in planned["fraud/xgb"]["blueprint_updates"]} == {"1.1"}
    assert planned["churn/rf"]["blueprint_updates"] == []
    assert planned["churn/rf"]["consumers"] is None  # leave: its blueprints are not read

    applied = cli("apply", str(repo))
    assert applied.code == 0, applied.out + applied.err
    fraud_v2 = task_ids(cli, repo)["fraud/xgb"]["version_id"]
    churn_v2 = task_ids(cli, repo)["churn/rf"]["version_id"]
    assert fraud_v2 != fraud_v1 and churn_v2 != churn_v1
    assert pins(pinned.user_blueprint_id) == [fraud_v2]
    assert pins(following.user_blueprint_id) == [f"latest_{fraud_id}"]
    assert pins(other.user_blueprint_id) == [churn_v1]  # churn/rf leaves its blueprints
    assert pins(mixed.user_blueprint_id) == [churn_v1, fraud_v2]


def test_status_and_plan_list_consumers_when_asked(
    cli: Callable[..., Run], repo: Path, emulator: Any, admin: Admin
) -> None:
    write_task(repo, "fraud/xgb")
    commit_all(repo, "first")
    assert cli("apply", str(repo)).code == 0
    task = task_ids(cli, repo)["fraud/xgb"]
    witness(emulator)
    pinned = dr.UserBlueprint.create_from_custom_task_version_id(task["version_id"])
    latest = dr.UserBlueprint.create(blueprint_of(f"latest_{task['task_id']}"), model_type="L")

    admin.clear()
    out = repo.parent / "status.json"
    status = cli("status", str(repo), "--consumers", "--json", str(out))
    assert status.code == 0, status.out + status.err
    assert f"used by user blueprint {pinned.user_blueprint_id} (Task fraud/xgb (v1.0)): 1.0" in (
        status.out
    )
    assert f"used by user blueprint {latest.user_blueprint_id} (L): latest" in status.out
    (row,) = json.loads(out.read_text())["tasks"]
    assert sorted((c["blueprint_id"], c["version"]) for c in row["consumers"]) == sorted(
        [(pinned.user_blueprint_id, "1.0"), (latest.user_blueprint_id, "latest")]
    )
    lists = [r for r in admin.log() if r["path"] == "/api/v2/userBlueprints/"]
    assert len(lists) == 1

    # without the flag: nothing read, consumers null
    admin.clear()
    cli("status", str(repo), "--json", str(out))
    assert json.loads(out.read_text())["tasks"][0]["consumers"] is None
    assert not [r for r in admin.log() if "userBlueprints" in r["path"]]


def access(task_id: str) -> dict[str, tuple[str, bool | None]]:
    entries = dr.CustomTask.get(task_id).get_access_list()
    return {e.username: (e.role, e.can_share) for e in entries}


def test_share_adds_and_removes_only_what_it_added(
    cli: Callable[..., Run], repo: Path, emulator: Any, admin: Admin
) -> None:
    share = "share:\n  - {username: ana@example.com, role: READ_ONLY, can_share: false}\n"
    write_task(repo, "fraud/xgb", extra=share)
    commit_all(repo, "first")
    created = cli("apply", str(repo))
    assert created.code == 0, created.out + created.err
    assert "share with ana@example.com as READ_ONLY, cannot share" in created.out
    task_id = task_ids(cli, repo)["fraud/xgb"]["task_id"]
    witness(emulator)
    assert access(task_id) == {
        "emulator-user@example.com": ("OWNER", True),
        "ana@example.com": ("READ_ONLY", False),
    }
    # shared by hand: not ctask-sync's to remove
    dr.CustomTask.get(task_id).share([dr.SharingAccess("ben@example.com", "USER")])

    admin.clear()
    assert cli("apply", str(repo)).code == 0
    assert admin.writes() == []  # in sync: the access list is read, nothing written

    (repo / "fraud/xgb/ctask.yaml").write_text(
        (repo / "fraud/xgb/ctask.yaml").read_text().replace(share, "share: []\n")
    )
    commit_all(repo, "unshare ana")
    plan = cli("plan", str(repo))
    assert "remove ana@example.com (READ_ONLY, added by an earlier sync)" in plan.out
    assert cli("apply", str(repo)).code == 0
    assert access(task_id) == {
        "emulator-user@example.com": ("OWNER", True),
        "ben@example.com": ("USER", True),
    }

    # without share: access is left alone, not even read
    (repo / "fraud/xgb/ctask.yaml").write_text(
        (repo / "fraud/xgb/ctask.yaml").read_text().replace("share: []\n", "")
    )
    commit_all(repo, "no share")
    admin.clear()
    assert cli("apply", str(repo)).code == 0
    assert not [r for r in admin.log() if "accessControl" in r["path"]]


def test_a_planned_deletion_names_its_blocking_blueprint(
    cli: Callable[..., Run], repo: Path, emulator: Any
) -> None:
    write_task(repo, "fraud/xgb")
    write_task(repo, "keep/me")
    commit_all(repo, "first")
    assert cli("apply", str(repo)).code == 0
    task = task_ids(cli, repo)["fraud/xgb"]
    witness(emulator)
    blocker = dr.UserBlueprint.create_from_custom_task_version_id(task["version_id"])
    blocked = f"user blueprint {blocker.user_blueprint_id} (Task fraud/xgb (v1.0))"

    shutil.rmtree(repo / "fraud")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "drop fraud")
    plan = cli("plan", str(repo), "--allow-delete")
    assert (
        f"- fraud/xgb  its manifest is gone from the repository; still used by {blocked}: "
        "DataRobot refuses the deletion (409) until they stop"
    ) in plan.out

    applied = cli("apply", str(repo), "--allow-delete")
    assert applied.code == 1
    assert (
        f"DataRobot refused to delete task {task['task_id']} (HTTP 409): it is still used by "
        f"{blocked}"
    ) in applied.out + applied.err
    assert dr.CustomTask.get(task["task_id"]).id == task["task_id"]

    cleanup = cli("cleanup", str(repo))
    assert cleanup.code == 1
    assert f"it is still used by {blocked}" in cleanup.out + cleanup.err


def test_releases_follow_only_release_tag_runs(
    cli: Callable[..., Run], repo: Path, emulator: Any
) -> None:
    write_task(repo, "fraud/xgb", extra="blueprints: releases\n")
    commit_all(repo, "first")
    assert cli("apply", str(repo)).code == 0
    v1 = task_ids(cli, repo)["fraud/xgb"]["version_id"]
    witness(emulator)
    pinned = dr.UserBlueprint.create_from_custom_task_version_id(v1)

    (repo / "fraud/xgb/helper.py").write_text("X = 2\n")
    commit_all(repo, "a push to main: a minor version")
    assert cli("apply", str(repo)).code == 0
    assert task_ids(cli, repo)["fraud/xgb"]["version"] == "1.1"
    assert pins(pinned.user_blueprint_id) == [v1]

    (repo / "fraud/xgb/helper.py").write_text("X = 3\n")
    commit_all(repo, "release")
    tagged = cli("apply", str(repo), "--tag", "v2.0.0")
    assert tagged.code == 0, tagged.out + tagged.err
    assert (
        f"move user blueprint {pinned.user_blueprint_id} (Task fraud/xgb (v1.0)): 1.0 -> 2.0"
        in (tagged.out)
    )
    released = task_ids(cli, repo)["fraud/xgb"]
    assert released["version"] == "2.0"
    assert pins(pinned.user_blueprint_id) == [released["version_id"]]


def test_previews_never_touch_blueprints(repo: Path, emulator: Any, admin: Admin) -> None:
    from ctask_sync.engine import sync
    from ctask_sync.report.reports import shown_through
    from ctask_sync.settings import Settings

    write_task(repo, "fraud/xgb", extra=FOLLOW)
    commit_all(repo, "first")
    options = Settings(
        path=repo,
        endpoint=emulator.endpoint,
        token=SENTINEL_TOKEN,
        namespace="acme/tasks/pr-7",
        touch_blueprints=False,
    )
    first = sync.apply(options, log=lambda _line: None)
    v1 = first.results[0].version_id
    assert v1 is not None
    witness(emulator)
    pinned = dr.UserBlueprint.create_from_custom_task_version_id(v1)

    (repo / "fraud/xgb/helper.py").write_text("X = 2\n")
    commit_all(repo, "change")
    admin.clear()
    lines: list[str] = []
    second = sync.apply(options, log=lines.append, show_plan=shown_through(lines.append))
    assert second.results[0].version_label == "1.1"
    assert not [r for r in admin.log() if "userBlueprints" in r["path"]]  # not even read
    assert pins(pinned.user_blueprint_id) == [v1]
    assert "blueprints: follow skipped: previews never change blueprints" in "\n".join(lines)
