"""What the action shows: job-summary Markdown, the PR comment body, step outputs and
annotations, all rendered from the engine's plan/apply dicts (sync.py's documented shapes)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ctask_sync.github.workflow_commands import Annotation
from ctask_sync.manifest.spec import Finding
from ctask_sync.report.markdown import code, fence, inert
from ctask_sync.words import plural

SUMMARY_KEYS = (
    "created",
    "updated",
    "deleted",
    "unchanged",
    "versions-created",
    "builds-failed",
    "errors",
)
# GitHub shows only about 10 annotations of each level per step; the summary lists them all.
MAX_ANNOTATIONS = 10
# A job summary is capped at 1 MiB; past this many rows, unchanged tasks are only counted.
MAX_TABLE_ROWS = 300
_PLAN_COUNTS = {"created": "create", "updated": "update", "deleted": "delete"}


def _files_planned(task: Mapping[str, Any]) -> str:
    parts = [
        f"{sign}{len(task.get(name) or [])}"
        for sign, name in (("+", "files_added"), ("~", "files_changed"), ("−", "files_removed"))
        if task.get(name)
    ]
    return " ".join(parts)


def _version_planned(task: Mapping[str, Any]) -> str:
    new = task.get("new_version")
    if not isinstance(new, Mapping):
        return ""
    reason = str(new.get("reason") or "")
    if reason.startswith("first"):
        return f"first version{reason.removeprefix('first')}"
    kind = "major" if new.get("major") else "minor"
    # The engine's reasons start with the kind ("minor: files changed"); say it once.
    reason = reason.removeprefix(f"{kind}:").strip()
    return f"new {kind}" + (f" ({reason})" if reason else "")


def _task_name(task: Mapping[str, Any]) -> str:
    key = str(task.get("key", ""))
    name = str(task.get("name") or "")
    return f"{code(key)} {inert(name)}" if name and name != key else code(key)


def _shown(tasks: Sequence[Mapping[str, Any]], max_rows: int) -> tuple[list[Any], str]:
    """The rows worth a line (all of them when few), and a note on what was left out."""
    if len(tasks) <= max_rows:
        return list(tasks), ""
    changed = [t for t in tasks if t.get("action") != "unchanged" or t.get("error")]
    shown = changed[:max_rows]
    left = len(tasks) - len(shown)
    return shown, f"\n\n… and {plural(left, 'more task')} (unchanged ones are not listed)."


def plan_table(plan: Mapping[str, Any], max_rows: int = MAX_TABLE_ROWS) -> str:
    """The plan as a Markdown table: task, action, files, version, build, link."""
    rows = ["| Task | Action | Files | Version | Build | Link |", "|---|---|---|---|---|---|"]
    tasks, note = _shown(plan.get("tasks", []), max_rows)
    for task in tasks:
        notes = [str(w) for w in task.get("warnings") or []]
        if task.get("reason"):
            notes.insert(0, str(task["reason"]))
        metadata = task.get("metadata_changes") or []
        action = str(task.get("action", ""))
        if metadata:
            action += f" (metadata: {', '.join(str(m) for m in metadata)})"
        if notes:
            action += " — " + "; ".join(notes)
        rows.append(
            "| "
            + " | ".join(
                [
                    _task_name(task),
                    inert(action),
                    inert(_files_planned(task)),
                    inert(_version_planned(task)),
                    "will build" if task.get("dependency_build") else "",
                    code(task["task_id"]) if task.get("task_id") else "",
                ]
            )
            + " |"
        )
    return "\n".join(rows) + note


def apply_table(report: Mapping[str, Any], max_rows: int = MAX_TABLE_ROWS) -> str:
    """The apply results as a Markdown table: task, action, files, version, build, link."""
    rows = ["| Task | Action | Files | Version | Build | Link |", "|---|---|---|---|---|---|"]
    tasks, note = _shown(report.get("tasks", []), max_rows)
    for task in tasks:
        action = str(task.get("action", ""))
        if task.get("error"):
            action = f"{action} — error: {task['error']}"
        files = []
        if task.get("files_uploaded"):
            files.append(f"{task['files_uploaded']} uploaded")
        if task.get("files_deleted"):
            files.append(f"{task['files_deleted']} deleted")
        url = task.get("url")
        link = f"[{inert(task.get('task_id') or 'open')}]({url})" if url else ""
        if not link and task.get("task_id"):
            link = code(task["task_id"])
        rows.append(
            "| "
            + " | ".join(
                [
                    _task_name(task),
                    inert(action),
                    inert(", ".join(files)),
                    inert(task.get("version_label") or ""),
                    inert(task.get("build_status") or ""),
                    link,
                ]
            )
            + " |"
        )
    return "\n".join(rows) + note


def apply_markdown(report: Mapping[str, Any]) -> str:
    """The apply for the job summary: counts, the table, and the failed builds' log tails."""
    table = apply_table(report) if report.get("tasks") else "No tasks."
    logs = build_logs_markdown(report)
    return f"{apply_counts(report)}\n\n{table}" + (f"\n\n{logs}" if logs else "")


def build_logs_markdown(report: Mapping[str, Any]) -> str:
    """The log tail of every failed or late dependency build, folded, for the job summary."""
    blocks = []
    for task in report.get("tasks", []):
        tail = task.get("build_log_tail")
        if not tail or task.get("build_status") not in ("failed", "timeout"):
            continue
        blocks.append(
            f"<details><summary>Dependency build log of {inert(task.get('key'))} "
            f"({inert(task.get('build_status'))})</summary>\n\n{fence(tail)}\n\n</details>"
        )
    return "\n\n".join(blocks)


def _removed(plan: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """Keys of the tasks whose folders are gone: (deleted by an apply, kept in DataRobot)."""
    tasks = plan.get("tasks", [])
    deleted = [str(t.get("key")) for t in tasks if t.get("action") == "delete"]
    kept = [str(t.get("key")) for t in tasks if t.get("action") == "keep"]
    return deleted, kept


def plan_counts(plan: Mapping[str, Any]) -> str:
    """One line: how many tasks each action would touch."""
    summary = plan.get("summary", {})
    labels = (
        ("create", "to create"),
        ("update", "to update"),
        ("delete", "to delete"),
        ("unchanged", "unchanged"),
        ("refuse", "refused"),
    )
    line = ", ".join(f"{summary.get(name, 0)} {label}" for name, label in labels)
    kept = _removed(plan)[1]
    return line + (f", {len(kept)} kept" if kept else "")


def deletions_markdown(plan: Mapping[str, Any], doing: str) -> str:
    """The tasks whose folders are gone, said loudly: `doing` ("Merging this") deletes them, or
    they are kept in DataRobot. '' when no folder is gone."""
    deleted, kept = _removed(plan)
    lines = []
    if deleted:
        keys = ", ".join(code(k) for k in deleted)
        lines.append(f"> **{doing} deletes {plural(len(deleted), 'task')} from DataRobot:** {keys}")
    if kept:
        keys = ", ".join(code(k) for k in kept)
        lines.append(
            f"> **Kept: {plural(len(kept), 'task')} whose folders are gone stay in DataRobot** "
            f"(`allow-delete` is false): {keys}"
        )
    return "\n>\n".join(lines)


def plan_has_news(plan: Mapping[str, Any]) -> bool:
    """Changes, or a removed task folder (even one that is kept): worth a comment."""
    deleted, kept = _removed(plan)
    return bool(plan.get("has_changes") or deleted or kept)


def remote_counts(report: Mapping[str, Any]) -> dict[str, int]:
    """The apply's counts, saying what exists remotely: a task created whose first version then
    failed is created (it is in DataRobot) and its error is counted too."""
    counts = {name: int(value) for name, value in report.get("summary", {}).items()}
    tasks = report.get("tasks", [])
    counts["created"] = sum(1 for t in tasks if t.get("action") == "create" and t.get("task_id"))
    counts["errors"] = sum(1 for t in tasks if t.get("error"))
    return counts


def apply_counts(report: Mapping[str, Any]) -> str:
    """One line: what the apply did."""
    counts = remote_counts(report)
    names = (
        "created",
        "updated",
        "deleted",
        "unchanged",
        "versions_created",
        "builds_failed",
        "errors",
    )
    return ", ".join(f"{counts.get(n, 0)} {n.replace('_', ' ')}" for n in names)


def drift_found(plan: Mapping[str, Any]) -> bool:
    """A scheduled check fails when DataRobot differs from git: any change or drift warning."""
    if plan.get("has_changes"):
        return True
    warnings: list[object] = list(plan.get("warnings") or [])
    for task in plan.get("tasks", []):
        warnings.extend(task.get("warnings") or [])
    return any("drift" in str(w).lower() for w in warnings)


def plan_outputs(plan: Mapping[str, Any], plan_json: str) -> dict[str, str]:
    """Step outputs for a plan: the counts say what apply would do."""
    summary = plan.get("summary", {})
    outputs = {name: str(summary.get(_PLAN_COUNTS.get(name, name), 0)) for name in SUMMARY_KEYS}
    outputs["versions-created"] = "0"
    outputs["builds-failed"] = "0"
    outputs["errors"] = "0"
    outputs["has-changes"] = "true" if plan_has_news(plan) else "false"
    outputs["plan-json"] = plan_json
    outputs["tasks"] = _tasks_json(plan.get("tasks", []))
    return outputs


def apply_outputs(report: Mapping[str, Any], plan_json: str) -> dict[str, str]:
    """Step outputs for an apply: what was done."""
    counts = remote_counts(report)
    outputs = {name: str(counts.get(name.replace("-", "_"), 0)) for name in SUMMARY_KEYS}
    changed = any(counts.get(n) for n in ("created", "updated", "deleted"))
    outputs["has-changes"] = "true" if changed else "false"
    outputs["plan-json"] = plan_json
    outputs["tasks"] = _tasks_json(report.get("tasks", []))
    if report.get("tag"):
        outputs["tag"] = str(report["tag"])
    return outputs


def _tasks_json(tasks: Iterable[Mapping[str, Any]]) -> str:
    return json.dumps(
        {
            str(t.get("key")): {"task_id": t.get("task_id"), "version_id": t.get("version_id")}
            for t in tasks
            if t.get("action") != "delete"
        },
        sort_keys=True,
    )


def finding_annotations(findings: Sequence[Finding]) -> list[Annotation]:
    """`::error file=…,line=…,col=…` for manifest problems, at most MAX_ANNOTATIONS per level."""
    shown: dict[str, int] = {}
    result = []
    for finding in findings:
        shown[finding.severity] = shown.get(finding.severity, 0) + 1
        if shown[finding.severity] > MAX_ANNOTATIONS:
            continue
        result.append(
            Annotation(
                level=finding.severity,
                message=finding.message,
                file=finding.path,
                line=finding.line,
                col=finding.column,
                title=f"ctask-sync: {finding.key}" if finding.key else "ctask-sync",
            )
        )
    return result


def findings_markdown(findings: Sequence[Finding]) -> str:
    """Every manifest finding as a table (annotations show only the first ten)."""
    lines = ["| File | Line | Severity | Problem |", "|---|---|---|---|"]
    for f in findings:
        where = f"{f.line}:{f.column}" if f.line and f.column else str(f.line or "")
        lines.append(f"| {code(f.path)} | {where} | {f.severity} | {inert(f.message)} |")
    return "\n".join(lines)


def build_annotations(report: Mapping[str, Any]) -> list[Annotation]:
    """An error on each failed task: at its requirements.txt for a failed or late build."""
    result = []
    for task in report.get("tasks", []):
        key = str(task.get("key"))
        folder = str(task.get("folder") or "").rstrip("/")
        status = task.get("build_status")
        if status in ("failed", "timeout"):
            what = "failed" if status == "failed" else "did not finish before build-timeout"
            result.append(
                Annotation(
                    level="error",
                    message=f"dependency build of {key} {what}; the log tail is in the job log",
                    file=f"{folder}/requirements.txt" if folder else "requirements.txt",
                    line=1,
                    title=f"ctask-sync: build {status}",
                )
            )
        elif task.get("error"):
            result.append(
                Annotation(
                    level="error",
                    message=str(task["error"]),
                    file=task.get("manifest") or None,
                    title=f"ctask-sync: {key}",
                )
            )
    return result[: MAX_ANNOTATIONS * 2]


def warning_annotations(tasks: Iterable[Mapping[str, Any]]) -> list[Annotation]:
    """A `::warning` at the manifest of each task warning (drift, refusals), at most ten."""
    result: list[Annotation] = []
    for task in tasks:
        notes = [str(w) for w in task.get("warnings") or []]
        if task.get("action") == "refuse" and task.get("reason"):
            notes.insert(0, f"refused: {task['reason']}")
        result.extend(
            Annotation(
                level="warning",
                message=note,
                file=task.get("manifest") or None,
                title=f"ctask-sync: {task.get('key')}",
            )
            for note in notes
        )
    return result[:MAX_ANNOTATIONS]
