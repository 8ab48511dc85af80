"""Render a plan: one line per task (terraform-like), a JSON-ready dict, Markdown."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ctask_sync.engine.steps import (
    AwaitBuild,
    DeleteTask,
    Keep,
    Plan,
    Refuse,
    StartBuild,
    TaskPlan,
    WriteRecord,
)
from ctask_sync.report.markdown import code, inert
from ctask_sync.report.paths import relative

SYMBOLS = {
    "create": "+",
    "update": "~",
    "delete": "-",
    "keep": "#",
    "unchanged": "=",
    "refuse": "!",
}
_MAX_FILES_SHOWN = 8


def _files(label: str, paths: tuple[str, ...]) -> str:
    shown = ", ".join(paths[:_MAX_FILES_SHOWN])
    more = f" and {len(paths) - _MAX_FILES_SHOWN} more" if len(paths) > _MAX_FILES_SHOWN else ""
    return f"{label} {shown}{more}"


def _update_parts(task: TaskPlan) -> list[str]:
    parts: list[str] = []
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
        return parts
    # the record written beside a build only notes the build: the build is the news
    if any(isinstance(s, WriteRecord) and s.reason != "dependency build" for s in task.steps):
        parts.append("write sync record")
    for step in task.steps:
        if isinstance(step, StartBuild):
            parts.append("retry dependency build" if step.retry else "start dependency build")
        elif isinstance(step, AwaitBuild):
            parts.append("await the running dependency build")
    return parts


def describe(task: TaskPlan) -> str:
    """One line saying what happens to the task."""
    parts: list[str] = []
    for step in task.steps:
        if isinstance(step, Refuse):
            return f"refused: {step.reason}"
        if isinstance(step, Keep):
            return f"{step.reason}; kept: {step.hint}"
        if isinstance(step, DeleteTask):
            return step.reason
    if task.action == "create":
        n = len(task.spec.files) if task.spec else 0
        parts.append(f"create task with {n} file{'s' if n != 1 else ''}")
    elif task.action == "unchanged":
        parts.append("in sync")
        if task.bookkeeping:
            parts.append("record the dependency build's success")
    else:
        parts.extend(_update_parts(task))
    if task.version is not None and task.spec is not None and needs_build(task):
        parts.append("dependency build")
    return "; ".join(parts)


def needs_build(task: TaskPlan) -> bool:
    """Whether a dependency build will be started (for a new version, as far as the plan can
    tell: the final word is the dependencies DataRobot parses from requirements.txt)."""
    spec = task.spec
    if task.start_build is None or spec is None:
        return False
    if task.version is None:
        return True
    return any(f.path == "requirements.txt" and f.size > 0 for f in spec.files)


def _task_dict(t: TaskPlan, root: Path) -> dict[str, Any]:
    return {
        "key": t.key,
        "action": t.action,
        "name": t.name,
        "task_id": t.task_id,
        "manifest": relative(t.spec.manifest_path, root) if t.spec else None,
        "folder": relative(t.spec.folder, root) if t.spec else None,
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
        "build": t.build,
        "delete": any(isinstance(s, DeleteTask) for s in t.steps),
        "diff_source": t.diff.source,
        "warnings": list(t.warnings),
        "reason": t.reason,
    }


def plan_dict(plan: Plan, root: Path, endpoint: str) -> dict[str, Any]:
    ctx = plan.context
    return {
        "version": 1,
        "namespace": ctx.namespace,
        "endpoint": endpoint,
        "commit": ctx.commit,
        "ref": ctx.ref,
        "tag": ctx.tag,
        "tasks": [_task_dict(t, root) for t in plan.tasks],
        "summary": {
            "create": plan.count("create"),
            "update": plan.count("update"),
            "delete": plan.count("delete"),
            "keep": plan.count("keep"),
            "unchanged": plan.count("unchanged"),
            "refuse": plan.count("refuse"),
        },
        "has_changes": plan.has_changes,
        "warnings": list(plan.warnings) + [f"{t.key}: {w}" for t in plan.tasks for w in t.warnings],
    }


def summary_line(plan: Plan) -> str:
    line = (
        f"Plan: {plan.count('create')} to create, {plan.count('update')} to update, "
        f"{plan.count('delete')} to delete, {plan.count('unchanged')} unchanged."
    )
    if plan.count("keep"):
        line += f" {plan.count('keep')} kept (not deleted)."
    if plan.refused:
        line += f" {len(plan.refused)} refused."
    return line


def plan_text(plan: Plan) -> str:
    width = max((len(t.key) for t in plan.tasks), default=10)
    lines = []
    for t in plan.tasks:
        lines.append(f"  {SYMBOLS[t.action]} {t.key.ljust(width)}  {describe(t)}")
        lines.extend(f"      warning: {w}" for w in t.warnings)
    lines.extend(f"  warning: {w}" for w in plan.warnings)
    lines.append("")
    lines.append(summary_line(plan) if plan.tasks else "No tasks found.")
    return "\n".join(lines)


def plan_markdown(plan: Plan) -> str:
    lines = [
        f"### ctask-sync plan for {code(plan.context.namespace)}",
        "",
        "| | task | what changes |",
        "|---|---|---|",
    ]
    for t in plan.tasks:
        lines.append(f"| `{SYMBOLS[t.action]}` | {code(t.key)} | {inert(describe(t))} |")
    lines += ["", f"**{summary_line(plan)}**"]
    warnings = [
        *(inert(w) for w in plan.warnings),
        *(f"{code(t.key)}: {inert(w)}" for t in plan.tasks for w in t.warnings),
    ]
    if warnings:
        lines += ["", "<details><summary>Warnings</summary>", ""]
        lines += [f"- {w}" for w in warnings]
        lines += ["", "</details>"]
    return "\n".join(lines) + "\n"
