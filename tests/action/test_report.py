"""Rendering the engine's plan/apply dicts for the summary, outputs, annotations and comment."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ctask_sync.github.api import MAX_COMMENT_CHARS
from ctask_sync.github.comment import plan_body
from ctask_sync.github.summary import (
    apply_outputs,
    apply_table,
    build_annotations,
    build_logs_markdown,
    drift_found,
    finding_annotations,
    plan_outputs,
    plan_table,
    warning_annotations,
)
from ctask_sync.manifest.spec import Finding
from ctask_sync.report.markdown import inert


def plan_task(key: str, action: str = "update", **extra: Any) -> dict[str, Any]:
    task: dict[str, Any] = {
        "key": key,
        "action": action,
        "name": key,
        "task_id": None,
        "manifest": f"{key}/ctask.yaml",
        "folder": key,
        "files_added": [],
        "files_changed": [],
        "files_removed": [],
        "metadata_changes": [],
        "new_version": None,
        "dependency_build": False,
        "warnings": [],
        "reason": None,
    }
    task.update(extra)
    return task


def plan_of(*tasks: dict[str, Any]) -> dict[str, Any]:
    summary = {name: 0 for name in ("create", "update", "delete", "unchanged", "refuse")}
    for task in tasks:
        summary[task["action"]] += 1
    changes = any(t["action"] != "unchanged" for t in tasks)
    return {"tasks": list(tasks), "summary": summary, "has_changes": changes, "warnings": []}


def test_cells_cannot_break_the_table_or_inject_html() -> None:
    assert inert("a|b\nc <img src=x onerror=alert(1)> &") == (
        "a\\|b c &lt;img src=x onerror=alert(1)&gt; &amp;"
    )


def test_plan_table_row() -> None:
    task = plan_task(
        "fraud/xgb",
        name="XGBoost | fraud",
        files_added=["a.py"],
        files_changed=["custom.py", "b.py"],
        files_removed=["old.py"],
        metadata_changes=["description"],
        new_version={"major": False, "reason": "minor: files changed"},
        dependency_build=True,
        task_id="t1",
        warnings=["drift: version made by hand"],
    )
    table = plan_table(plan_of(task)).splitlines()
    assert table[2] == (
        "| `fraud/xgb` XGBoost \\| fraud | update (metadata: description) — drift: version made "
        "by hand | +1 \\~2 −1 | new minor (files changed) | will build | `t1` |"
    )


@pytest.mark.parametrize(
    ("new_version", "shown"),
    [
        ({"major": False, "reason": "first"}, "first version"),
        (
            {"major": False, "reason": "first (the task had none)"},
            "first version (the task had none)",
        ),
        ({"major": True, "reason": "major: release v1.0"}, "new major (release v1.0)"),
        ({"major": True, "reason": ""}, "new major"),
    ],
)
def test_version_column(new_version: dict[str, Any], shown: str) -> None:
    row = plan_table(plan_of(plan_task("k", new_version=new_version))).splitlines()[2]
    assert row.split(" | ")[3] == shown


def test_large_tables_list_only_changed_tasks() -> None:
    tasks = [plan_task(f"k{n}", "unchanged") for n in range(500)] + [plan_task("z", "create")]
    table = plan_table(plan_of(*tasks), max_rows=300)
    assert len(table.splitlines()) == 2 + 1 + 2
    assert table.endswith("… and 500 more tasks (unchanged ones are not listed).")


def test_plan_outputs_count_what_apply_would_do() -> None:
    plan = plan_of(plan_task("a", "create"), plan_task("b", "unchanged", task_id="t2"))
    outputs = plan_outputs(plan, "/tmp/plan.json")
    assert outputs == {
        "created": "1",
        "updated": "0",
        "deleted": "0",
        "unchanged": "1",
        "versions-created": "0",
        "builds-failed": "0",
        "errors": "0",
        "has-changes": "true",
        "plan-json": "/tmp/plan.json",
        "tasks": json.dumps(
            {"a": {"task_id": None, "version_id": None}, "b": {"task_id": "t2", "version_id": None}}
        ),
    }


def apply_task(key: str, **extra: Any) -> dict[str, Any]:
    task: dict[str, Any] = {
        "key": key,
        "action": "update",
        "name": key,
        "task_id": "t-" + key,
        "version_id": "v-" + key,
        "version_label": "1.1",
        "manifest": f"{key}/ctask.yaml",
        "folder": key,
        "files_uploaded": 2,
        "bytes_uploaded": 10,
        "files_deleted": 1,
        "build_status": None,
        "build_log_tail": None,
        "error": None,
        "url": None,
    }
    task.update(extra)
    return task


def test_apply_outputs_and_tag() -> None:
    report = {
        "tag": "v2.0.0",
        "ok": True,
        "tasks": [apply_task("a"), apply_task("gone", action="delete")],
        "summary": {
            "created": 0,
            "updated": 1,
            "deleted": 1,
            "unchanged": 0,
            "versions_created": 1,
            "builds_failed": 0,
            "errors": 0,
        },
    }
    outputs = apply_outputs(report, "/tmp/r.json")
    assert (outputs["updated"], outputs["deleted"], outputs["versions-created"]) == ("1", "1", "1")
    assert outputs["tag"] == "v2.0.0"
    assert json.loads(outputs["tasks"]) == {"a": {"task_id": "t-a", "version_id": "v-a"}}
    row = apply_table(report).splitlines()[2]
    assert row == "| `a` | update | 2 uploaded, 1 deleted | 1.1 |  | `t-a` |"


def test_failed_build_annotation_and_fenced_log() -> None:
    log = "Collecting numpy\n```\nERROR: no matching distribution\n::error::spoof"
    report = {
        "tasks": [
            apply_task("models/a", build_status="failed", build_log_tail=log),
            apply_task("models/b", build_status="timeout"),
            apply_task("models/c", error="DataRobot POST /customTasks/ failed (HTTP 422): bad"),
        ]
    }
    notes = [(n.file, n.line, n.title) for n in build_annotations(report)]
    assert notes == [
        ("models/a/requirements.txt", 1, "ctask-sync: build failed"),
        ("models/b/requirements.txt", 1, "ctask-sync: build timeout"),
        ("models/c/ctask.yaml", None, "ctask-sync: models/c"),
    ]
    markdown = build_logs_markdown(report)
    assert markdown.startswith("<details><summary>Dependency build log of models/a (failed)")
    assert "````text\n" + log + "\n````" in markdown


def test_finding_annotations_are_capped_per_level() -> None:
    findings = [Finding(f"t{n}/ctask.yaml", n, 1, "error", f"bad {n}") for n in range(15)]
    findings.append(Finding("w/ctask.yaml", 2, 3, "warning", "odd", key="w"))
    notes = finding_annotations(findings)
    assert [n.level for n in notes] == ["error"] * 10 + ["warning"]
    assert (
        notes[-1].command() == "::warning file=w/ctask.yaml,line=2,col=3,title=ctask-sync%3A w::odd"
    )


def test_drift_is_changes_or_a_drift_warning() -> None:
    assert drift_found(plan_of(plan_task("a", "create")))
    assert not drift_found(plan_of(plan_task("a", "unchanged")))
    drifted = plan_of(plan_task("a", "unchanged", warnings=["Drift: edited in DataRobot"]))
    assert drift_found(drifted)


def test_comment_body_says_no_changes_and_is_not_created_for_it() -> None:
    body, create = plan_body("a" * 40, "### title", plan_of(plan_task("a", "unchanged")), "u")
    assert create is False
    assert "No changes: DataRobot matches this pull request." in body


def test_comment_body_fits_github_limit() -> None:
    tasks = [plan_task(f"k{n}" * 20, "create", name="N" * 200) for n in range(300)]
    body, create = plan_body("a" * 40, "### title", plan_of(*tasks), "u")
    assert create is True
    assert len(body) <= MAX_COMMENT_CHARS
    assert "more tasks: see the job summary." in body


def test_task_warnings_and_refusals_become_warning_annotations() -> None:
    tasks = [
        plan_task("a", "unchanged", warnings=["drift: latest version 1.2 carries no record"]),
        plan_task("b", "refuse", reason="target_type differs"),
    ]
    notes = [(n.level, n.file, n.title, n.message) for n in warning_annotations(tasks)]
    assert notes == [
        ("warning", "a/ctask.yaml", "ctask-sync: a", "drift: latest version 1.2 carries no record"),
        ("warning", "b/ctask.yaml", "ctask-sync: b", "refused: target_type differs"),
    ]
