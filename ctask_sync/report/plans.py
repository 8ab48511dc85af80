"""Render a plan: one line per task (terraform-like), a JSON-ready dict, Markdown."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ctask_sync.engine.steps import (
    AwaitBuild,
    DeleteTask,
    FieldChange,
    Keep,
    Plan,
    Refuse,
    StartBuild,
    TaskPlan,
    WriteRecord,
)
from ctask_sync.manifest.files import binary_size, human_size
from ctask_sync.report import consumers
from ctask_sync.report.colour import paint
from ctask_sync.report.escape import one_line
from ctask_sync.report.markdown import code, inert
from ctask_sync.report.paths import relative
from ctask_sync.words import excerpt, plural

SYMBOLS = {
    "create": "+",
    "update": "~",
    "delete": "-",
    "keep": "#",
    "unchanged": "=",
    "refuse": "!",
}
_MAX_FILES_SHOWN = 8
_MAX_FILE_LINES = 50  # per task, in the detail lines under it


def _files(label: str, paths: tuple[str, ...]) -> str:
    shown = ", ".join(paths[:_MAX_FILES_SHOWN])
    more = f" and {len(paths) - _MAX_FILES_SHOWN} more" if len(paths) > _MAX_FILES_SHOWN else ""
    return f"{label} {shown}{more}"


def _update_parts(task: TaskPlan) -> list[str]:
    parts: list[str] = []
    d = task.diff
    added, removed = _unrenamed(task)
    if added:
        parts.append(_files("add", added))
    if d.changed:
        parts.append(_files("change", d.changed))
    if removed:
        parts.append(_files("remove", removed))
    if d.renamed:
        parts.append(_files("rename", tuple(f"{old} → {new}" for old, new in d.renamed)))
    if task.metadata:
        parts.append("set " + ", ".join(sorted(task.metadata)))
    if task.version is not None:
        kind = "major" if task.version.major else "minor"
        parts.append(f"new {kind} version ({task.version.reason})")
        return parts + consumers.parts(task)
    parts.extend(consumers.parts(task))
    # the record written beside a build only notes the build: the build is the news
    written = [s.reason for s in task.steps if isinstance(s, WriteRecord)]
    if any(reason != "dependency build" for reason in written):
        moved = "task folder moved" in written  # the one reason a user cannot guess
        parts.append("write sync record (task folder moved)" if moved else "write sync record")
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
            blocked = f"; {consumers.blockers_text(step.blockers)}" if step.blockers else ""
            return f"{step.reason}; kept: {step.hint}{blocked}"
        if isinstance(step, DeleteTask):
            blocked = f"; {consumers.blockers_text(step.blockers)}" if step.blockers else ""
            return step.reason + blocked
    if task.action == "create":
        n = len(task.spec.files) if task.spec else 0
        parts.append(f"create task with {plural(n, 'file')}")
    elif task.action == "unchanged":
        parts.append("in sync")
        if task.bookkeeping:
            parts.append("record the dependency build's success")
    else:
        parts.extend(_update_parts(task))
    if task.version is not None and task.spec is not None and needs_build(task):
        parts.append("dependency build")
    return "; ".join(parts)


def _unrenamed(task: TaskPlan) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Added and removed paths that are not one side of a rename."""
    olds = {old for old, _ in task.diff.renamed}
    news = {new for _, new in task.diff.renamed}
    added = tuple(p for p in task.diff.added if p not in news)
    return added, tuple(p for p in task.diff.removed if p not in olds)


def _value(change: FieldChange, old: bool) -> str:
    value = change.old if old else change.new
    label = change.old_label if old else change.new_label
    if value is None or value == "":
        return "(none)" if change.field != "maximum_memory" else "(DataRobot's default)"
    if change.field == "environment":
        return f"{label} ({value})" if label else str(value)
    if change.field == "description" and isinstance(value, str):
        return excerpt(value)
    if change.field == "maximum_memory" and isinstance(value, int):
        return binary_size(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {v}" for k, v in sorted(value.items())) + "}"
    return str(value)


def file_changes(task: TaskPlan) -> list[tuple[str, str, str, int | None]]:
    """(symbol, change, path shown, size) of each file the task's apply adds, changes, removes
    or renames; sizes are the local file's (a removed file's is not known)."""
    sizes = {f.path: f.size for f in task.spec.files} if task.spec else {}
    if task.action == "create":
        return [
            ("+", "added", p, sizes.get(p)) for p in (task.version.upload if task.version else ())
        ]
    added, removed = _unrenamed(task)
    rows = [("+", "added", p, sizes.get(p)) for p in added]
    rows += [("~", "changed", p, sizes.get(p)) for p in task.diff.changed]
    rows += [("-", "removed", p, None) for p in removed]
    rows += [(">", "renamed", f"{old} → {new}", sizes.get(new)) for old, new in task.diff.renamed]
    return rows


def details(task: TaskPlan, colour: bool = False) -> list[str]:
    """The lines under a task's summary: old -> new of each field, each file with its size,
    why a version is major, and the bytes to upload."""
    if task.action in ("refuse", "keep", "delete", "unchanged"):
        return []
    # names, descriptions and paths are escaped before colour is added (its ESC is ours)
    lines = [
        one_line(f"{c.field}: {_value(c, True)} → {_value(c, False)}") for c in task.field_changes
    ]
    rows = file_changes(task)
    for symbol, _change, path, n in rows[:_MAX_FILE_LINES]:
        shown = f"{symbol} {one_line(path)}" + (f" ({human_size(n)})" if n is not None else "")
        lines.append(paint(symbol, shown, colour))
    if len(rows) > _MAX_FILE_LINES:
        lines.append(f"… and {plural(len(rows) - _MAX_FILE_LINES, 'more file')}")
    version = task.version
    if version is not None and version.major:
        lines.append(f"major version: {version.reason}")
    if version is not None and version.upload:
        lines.append(
            f"upload: {plural(len(version.upload), 'file')}, {human_size(task.upload_bytes)}"
        )
    return lines


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
        "field_changes": [
            {"field": c.field, "old": c.old, "new": c.new}
            | (
                {"old_name": c.old_label, "new_name": c.new_label}
                if c.field == "environment"
                else {}
            )
            for c in t.field_changes
        ],
        "files": [
            {"change": change, "path": path, "size": n} for _s, change, path, n in file_changes(t)
        ],
        "renamed": [{"from": old, "to": new} for old, new in t.diff.renamed],
        "upload_bytes": t.upload_bytes,
        **consumers.plan_fields(t),
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
        "upload_bytes": plan.upload_bytes,
        "warnings": list(plan.warnings) + [f"{t.key}: {w}" for t in plan.tasks for w in t.warnings],
    }


def summary_line(plan: Plan) -> str:
    line = (
        f"Plan: {plan.count('create')} to create, {plan.count('update')} to update, "
        f"{plan.count('delete')} to delete, {plan.count('unchanged')} unchanged."
    )
    if plan.count("keep"):
        line += f" {plan.count('keep')} kept (not deleted)."
    if plan.count("refuse"):
        line += f" {plan.count('refuse')} refused."
    return line


def header_line(endpoint: str, namespace: str) -> str:
    """Where a plan applies, as the Markdown plan's first line says (the terminal's first lines
    come from session.endpoint_line and the namespace line, before the plan)."""
    return f"Endpoint: {endpoint} · Namespace: {namespace}"


def upload_line(plan: Plan) -> str | None:
    """The bytes to upload, all tasks together; None when nothing is uploaded."""
    files = sum(len(t.version.upload) for t in plan.tasks if t.version is not None)
    if not files:
        return None
    return f"Upload: {plural(files, 'file')}, {human_size(plan.upload_bytes)} in total."


def plan_text(plan: Plan, *, colour: bool = False) -> str:
    """The plan for a terminal: a line per task, the detail lines under it, the totals. Text
    from manifests, git and DataRobot shows its control and bidi characters as escapes."""
    keys = [one_line(t.key) for t in plan.tasks]
    width = max(map(len, keys), default=10)
    lines = []
    for t, shown_key in zip(plan.tasks, keys, strict=True):
        symbol = SYMBOLS[t.action]
        key = shown_key.ljust(width)
        lines.append(f"  {paint(symbol, symbol, colour)} {key}  {one_line(describe(t))}")
        under = [*details(t, colour), *(one_line(u) for u in consumers.detail_lines(t))]
        if under:  # most tasks are in sync: nothing under them
            lines.extend(f"      {line}" for line in under)
        if t.warnings:
            lines.extend(f"      warning: {one_line(w)}" for w in t.warnings)
    lines.extend(f"  warning: {one_line(w)}" for w in plan.warnings)
    lines.append("")
    lines.append(summary_line(plan) if plan.tasks else "No tasks found.")
    upload = upload_line(plan)
    if upload:
        lines.append(upload)
    return "\n".join(lines)


def _md_detail(line: str) -> str:
    """A detail line as a Markdown list item: a file's symbol in code (a bare `+` or `-` would
    start a nested list), the rest inert."""
    symbol, _, rest = line.partition(" ")
    if symbol in ("+", "~", "-", ">"):
        return f"`{symbol}` {inert(rest)}"
    return inert(line)


def plan_markdown(plan: Plan, endpoint: str | None = None) -> str:
    lines = [f"### ctask-sync plan for {code(plan.context.namespace)}", ""]
    if endpoint:
        lines += [header_line(code(endpoint), code(plan.context.namespace)), ""]
    lines += [
        "| | task | what changes |",
        "|---|---|---|",
    ]
    for t in plan.tasks:
        lines.append(f"| `{SYMBOLS[t.action]}` | {code(t.key)} | {inert(describe(t))} |")
    lines += ["", f"**{summary_line(plan)}**"]
    upload = upload_line(plan)
    if upload:
        lines += ["", upload]
    for t in plan.tasks:
        shown = details(t)
        if shown:
            lines += ["", f"<details><summary>{inert(t.key)}</summary>", ""]
            lines += [f"- {_md_detail(line)}" for line in shown]
            lines += ["", "</details>"]
    warnings = [
        *(inert(w) for w in plan.warnings),
        *(f"{code(t.key)}: {inert(w)}" for t in plan.tasks for w in t.warnings),
    ]
    if warnings:
        lines += ["", "<details><summary>Warnings</summary>", ""]
        lines += [f"- {w}" for w in warnings]
        lines += ["", "</details>"]
    return "\n".join(lines) + "\n"
