"""Render plans and results: terminal text (terraform-like), JSON-ready dicts, Markdown."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ctask_sync.engine.apply import TaskResult
from ctask_sync.engine.plan import Plan, TaskPlan

SYMBOLS = {"create": "+", "update": "~", "delete": "-", "unchanged": "=", "refuse": "!"}
_MAX_FILES_SHOWN = 8


def _rel(path: Path | str | None, root: Path) -> str | None:
    if path is None:
        return None
    try:
        return Path(path).resolve().relative_to(root).as_posix()
    except ValueError:
        return str(path)


def _files(label: str, paths: tuple[str, ...]) -> str:
    shown = ", ".join(paths[:_MAX_FILES_SHOWN])
    more = f" and {len(paths) - _MAX_FILES_SHOWN} more" if len(paths) > _MAX_FILES_SHOWN else ""
    return f"{label} {shown}{more}"


def describe(task: TaskPlan) -> str:
    """One line saying what happens to the task."""
    parts: list[str] = []
    if task.action == "create":
        n = len(task.spec.files) if task.spec else 0
        parts.append(f"create task with {n} file{'s' if n != 1 else ''}")
    elif task.action == "delete":
        parts.append(task.reason or "delete")
        if not task.delete:
            parts.append("kept: pass --allow-delete to delete it")
    elif task.action == "refuse":
        parts.append(f"refused: {task.reason}")
    elif task.action == "unchanged":
        parts.append("in sync")
    else:
        d = task.diff
        if d.added:
            parts.append(_files("add", d.added))
        if d.changed:
            parts.append(_files("change", d.changed))
        if d.removed:
            parts.append(_files("remove", d.removed))
        if task.metadata:
            parts.append("set " + ", ".join(sorted(task.metadata)))
        if task.version is not None:
            kind = "major" if task.version.major else "minor"
            parts.append(f"new {kind} version ({task.version.reason})")
        elif task.write_record:
            parts.append("write sync record")
        if task.check_build:
            parts.append("start dependency build")
    if task.version is not None and task.spec is not None and needs_build(task):
        parts.append("dependency build")
    return "; ".join(parts)


def needs_build(task: TaskPlan) -> bool:
    """Whether the new version will get a dependency build (as far as the plan can tell: the
    final word is the dependencies DataRobot parses from requirements.txt)."""
    spec = task.spec
    if task.check_build:
        return True
    if task.version is None or spec is None or spec.dependency_build == "never":
        return False
    return any(f.path == "requirements.txt" and f.size > 0 for f in spec.files)


def plan_dict(plan: Plan, root: Path, endpoint: str) -> dict[str, Any]:
    ctx = plan.context
    tasks = []
    for t in plan.tasks:
        tasks.append(
            {
                "key": t.key,
                "action": t.action,
                "name": t.name,
                "task_id": t.task_id,
                "manifest": _rel(t.spec.manifest_path, root) if t.spec else None,
                "folder": _rel(t.spec.folder, root) if t.spec else None,
                "files_added": list(t.diff.added)
                if t.action != "create"
                else list(t.version.upload if t.version else ()),
                "files_changed": list(t.diff.changed),
                "files_removed": list(t.diff.removed),
                "metadata_changes": sorted(t.metadata) + (["record"] if t.write_record else []),
                "new_version": (
                    {"major": t.version.major, "reason": t.version.reason} if t.version else None
                ),
                "dependency_build": needs_build(t),
                "delete": t.delete,
                "diff_source": t.diff.source,
                "warnings": list(t.warnings),
                "reason": t.reason,
            }
        )
    return {
        "version": 1,
        "namespace": ctx.namespace,
        "endpoint": endpoint,
        "commit": ctx.commit,
        "ref": ctx.ref,
        "tag": ctx.tag,
        "tasks": tasks,
        "summary": {
            "create": plan.count("create"),
            "update": plan.count("update"),
            "delete": sum(1 for t in plan.tasks if t.action == "delete" and t.delete),
            "unchanged": plan.count("unchanged"),
            "refuse": plan.count("refuse"),
        },
        "has_changes": plan.has_changes,
        "warnings": list(plan.warnings) + [f"{t.key}: {w}" for t in plan.tasks for w in t.warnings],
    }


def summary_line(plan: Plan) -> str:
    deletes = sum(1 for t in plan.tasks if t.action == "delete" and t.delete)
    line = (
        f"Plan: {plan.count('create')} to create, {plan.count('update')} to update, "
        f"{deletes} to delete, {plan.count('unchanged')} unchanged."
    )
    if plan.refused:
        line += f" {len(plan.refused)} refused."
    return line


def plan_text(plan: Plan) -> str:
    width = max((len(t.key) for t in plan.tasks), default=10)
    lines = []
    for t in plan.tasks:
        lines.append(f"  {SYMBOLS[t.action]} {t.key.ljust(width)}  {describe(t)}")
        lines.extend(f"      warning: {w}" for w in t.warnings if "--allow-delete" not in w)
    lines.extend(f"  warning: {w}" for w in plan.warnings)
    lines.append("")
    lines.append(summary_line(plan) if plan.tasks else "No tasks found.")
    return "\n".join(lines)


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def plan_markdown(plan: Plan) -> str:
    lines = [
        f"### ctask-sync plan for `{plan.context.namespace}`",
        "",
        "| | task | what changes |",
        "|---|---|---|",
    ]
    for t in plan.tasks:
        lines.append(f"| `{SYMBOLS[t.action]}` | `{_md_cell(t.key)}` | {_md_cell(describe(t))} |")
    lines += ["", f"**{summary_line(plan)}**"]
    warnings = [f"`{t.key}`: {w}" for t in plan.tasks for w in t.warnings]
    if warnings:
        lines += ["", "<details><summary>Warnings</summary>", ""]
        lines += [f"- {_md_cell(w)}" for w in warnings]
        lines += ["", "</details>"]
    return "\n".join(lines) + "\n"


def result_dict(r: TaskResult, root: Path, endpoint: str) -> dict[str, Any]:
    url = None
    if r.task_id and endpoint.startswith("http"):
        base = endpoint.rstrip("/")
        base = base[: -len("/api/v2")] if base.endswith("/api/v2") else base
        url = f"{base}/model-registry/custom-tasks/{r.task_id}"
    return {
        "key": r.key,
        "action": r.action,
        "name": r.name,
        "task_id": r.task_id,
        "version_id": r.version_id,
        "version_label": r.version_label,
        "manifest": _rel(r.manifest, root),
        "folder": _rel(r.folder, root),
        "files_uploaded": r.files_uploaded,
        "bytes_uploaded": r.bytes_uploaded,
        "files_deleted": r.files_deleted,
        "build_status": r.build_status,
        "build_log_tail": r.build_log_tail,
        "error": r.error,
        "warnings": list(r.warnings),
        "url": url,
    }


def results_text(results: list[TaskResult]) -> str:
    width = max((len(r.key) for r in results), default=10)
    lines = []
    for r in results:
        version = f"v{r.version_label}" if r.version_label else "-"
        status = "error" if r.error else r.action
        build = f"  build {r.build_status}" if r.build_status else ""
        lines.append(
            f"  {SYMBOLS.get(r.action, '?')} {r.key.ljust(width)}  {status:<9} {version}{build}"
        )
        if r.error:
            lines.append(f"      {r.error}")
        if r.build_log_tail and r.build_status == "failed":
            lines.append("      build log (tail):")
            lines.extend(f"        {line}" for line in r.build_log_tail.splitlines())
    return "\n".join(lines)


def results_markdown(results: list[TaskResult], namespace: str, ok: bool) -> str:
    lines = [
        f"### ctask-sync apply for `{namespace}`: {'done' if ok else 'FAILED'}",
        "",
        "| task | action | files | version | build | task id |",
        "|---|---|---|---|---|---|",
    ]
    for r in results:
        files = (
            f"+{r.files_uploaded} −{r.files_deleted}"
            if (r.files_uploaded or r.files_deleted)
            else ""
        )
        action = f"error: {_md_cell(r.error)}" if r.error else r.action
        lines.append(
            f"| `{_md_cell(r.key)}` | {action} | {files} | {r.version_label or ''} | "
            f"{r.build_status or ''} | `{r.task_id or ''}` |"
        )
    failed = [r for r in results if r.build_status == "failed" and r.build_log_tail]
    for r in failed:
        lines += ["", f"<details><summary>Build log of {r.key} (tail)</summary>", "", "```"]
        lines += [r.build_log_tail or "", "```", "", "</details>"]
    return "\n".join(lines) + "\n"


def display_path(path: Path) -> str:
    """path relative to the working directory when under it."""
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)


@dataclass
class PlanReport:
    plan: Plan
    root: Path
    endpoint: str

    @property
    def has_changes(self) -> bool:
        return self.plan.has_changes

    def to_dict(self) -> dict[str, Any]:
        return plan_dict(self.plan, self.root, self.endpoint)

    def text(self) -> str:
        return plan_text(self.plan)

    def markdown(self) -> str:
        return plan_markdown(self.plan)


@dataclass
class ApplyReport:
    plan: Plan
    results: list[TaskResult]
    root: Path
    endpoint: str
    requests: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not any(r.error or r.build_status in ("failed", "timeout") for r in self.results)

    def summary(self) -> dict[str, int]:
        def count(action: str) -> int:
            return sum(1 for r in self.results if r.action == action and not r.error)

        return {
            "created": count("create"),
            "updated": count("update"),
            "deleted": sum(
                1
                for t, r in zip(self.plan.tasks, self.results, strict=True)
                if t.delete and not r.error
            ),
            "unchanged": count("unchanged"),
            "versions_created": sum(
                1
                for t, r in zip(self.plan.tasks, self.results, strict=True)
                if t.version and r.version_id
            ),
            "builds_failed": sum(
                1 for r in self.results if r.build_status in ("failed", "timeout")
            ),
            "errors": sum(1 for r in self.results if r.error),
        }

    def to_dict(self) -> dict[str, Any]:
        ctx = self.plan.context
        return {
            "version": 1,
            "namespace": ctx.namespace,
            "endpoint": self.endpoint,
            "commit": ctx.commit,
            "ref": ctx.ref,
            "tag": ctx.tag,
            "ok": self.ok,
            "tasks": [result_dict(r, self.root, self.endpoint) for r in self.results],
            "summary": self.summary(),
            "requests": self.requests,
        }

    def text(self) -> str:
        s = self.summary()
        closing = (
            f"Apply {'complete' if self.ok else 'FAILED'}: {s['created']} created, "
            f"{s['updated']} updated, {s['deleted']} deleted, {s['unchanged']} unchanged, "
            f"{s['versions_created']} versions, {s['builds_failed']} failed builds, "
            f"{s['errors']} errors."
        )
        return results_text(self.results) + "\n\n" + closing

    def markdown(self) -> str:
        return results_markdown(self.results, self.plan.context.namespace, self.ok)
