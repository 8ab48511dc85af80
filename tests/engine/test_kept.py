"""Issue 12: kept is not deleted. A task whose manifest is gone stays in DataRobot without
--allow-delete; every report says "keep", the plan counts it and exits 2, and says what would
delete it."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import datarobot as dr

from ctask_sync.emulator.testing import SENTINEL_TOKEN
from tests.testing.clirun import Run

from .conftest import Admin, commit_all, git, write_task


def test_a_kept_task_is_labelled_keep_in_text_json_and_markdown(
    cli: Callable[..., Run], repo: Path, emulator: Any, admin: Admin, tmp_path: Path
) -> None:
    write_task(repo, "stays")
    write_task(repo, "gone")
    commit_all(repo)
    assert cli("apply", str(repo)).code == 0
    git(repo, "rm", "-rq", "gone")
    commit_all(repo)

    plan_json, plan_md = tmp_path / "plan.json", tmp_path / "plan.md"
    plan = cli("plan", str(repo), "--json", str(plan_json), "--markdown", str(plan_md))
    assert plan.code == 2
    assert plan.out == (
        f"Endpoint: {emulator.endpoint}\n"
        "Namespace: acme/tasks (from --namespace or CTASK_SYNC_NAMESPACE); root: .\n"
        "  = stays  in sync\n"
        "  # gone   its manifest is gone from the repository; kept: pass --allow-delete to "
        "delete it (never on a pull request)\n"
        "\n"
        "Plan: 0 to create, 0 to update, 0 to delete, 1 unchanged. 1 kept (not deleted).\n"
    )
    data = json.loads(plan_json.read_text())
    assert [(t["key"], t["action"], t["delete"]) for t in data["tasks"]] == [
        ("stays", "unchanged", False),
        ("gone", "keep", False),
    ]
    assert data["summary"]["keep"] == 1 and data["summary"]["delete"] == 0
    assert "| `#` | `gone` | its manifest is gone from the repository; kept:" in plan_md.read_text()

    admin.clear()
    apply_json, apply_md = tmp_path / "apply.json", tmp_path / "apply.md"
    run = cli("apply", str(repo), "--json", str(apply_json), "--markdown", str(apply_md))
    assert run.code == 0 and admin.writes() == []
    assert "  # gone   kept" in run.out
    assert "Apply complete: 0 created, 0 updated, 0 deleted, 1 kept, 1 unchanged," in run.out
    result = json.loads(apply_json.read_text())
    assert {t["key"]: t["action"] for t in result["tasks"]} == {
        "gone": "keep",
        "stays": "unchanged",
    }
    assert result["summary"]["deleted"] == 0 and result["summary"]["kept"] == 1
    assert "| `gone` | kept (not deleted) |" in apply_md.read_text()
    dr.Client(endpoint=emulator.endpoint, token=SENTINEL_TOKEN)  # type: ignore[attr-defined]
    names = sorted(t.name for t in dr.CustomTask.list())
    assert names == ["Task gone", "Task stays"]  # the witness: nothing was deleted
