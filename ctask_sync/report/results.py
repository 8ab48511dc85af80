"""Render what apply did: terminal text, JSON-ready dicts, Markdown, and what an interrupted
wait leaves behind."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ctask_sync.datarobot.endpoint import site_url
from ctask_sync.engine.results import RunningBuild, TaskResult
from ctask_sync.report import consumers
from ctask_sync.report.colour import paint
from ctask_sync.report.escape import many_lines, one_line
from ctask_sync.report.markdown import code, fence, inert
from ctask_sync.report.paths import relative
from ctask_sync.report.plans import SYMBOLS


def result_dict(r: TaskResult, root: Path, endpoint: str) -> dict[str, Any]:
    url = None
    if r.task_id and endpoint.startswith("http"):
        url = f"{site_url(endpoint)}/model-registry/custom-tasks/{r.task_id}"
    return {
        "key": r.key,
        "action": r.action,
        "name": r.name,
        "task_id": r.task_id,
        "version_id": r.version_id,
        "version_label": r.version_label,
        "manifest": relative(r.manifest, root),
        "folder": relative(r.folder, root),
        "files_uploaded": r.files_uploaded,
        "bytes_uploaded": r.bytes_uploaded,
        "files_deleted": r.files_deleted,
        "build_status": r.build_status,
        "build_log_tail": r.build_log_tail,
        "error": r.error,
        "warnings": list(r.warnings),
        "url": url,
        "share_changes": [consumers.change_dict(c) for c in r.share_changes],
        "blueprints_updated": [consumers.update_dict(u) for u in r.blueprints_updated],
    }


def results_text(results: list[TaskResult], colour: bool = False) -> str:
    """A line per task, its error and a failed build's log lines under it; remote text shows
    its control and bidi characters as escapes."""
    keys = [one_line(r.key) for r in results]
    width = max(map(len, keys), default=10)
    lines = []
    for r, shown_key in zip(results, keys, strict=True):
        version = f"v{r.version_label}" if r.version_label else "-"
        status = "error" if r.error else ("kept" if r.action == "keep" else r.action)
        build = f"  build {r.build_status}" if r.build_status else ""
        symbol = SYMBOLS.get(r.action, "?")
        # an error or a failed build is the news, whatever was planned: bold red
        failed = r.error or r.build_status in ("failed", "timeout")
        shown = paint("!" if failed else symbol, symbol, colour)
        key = shown_key.ljust(width)
        lines.append(f"  {shown} {key}  {status:<9} {one_line(version)}{build}")
        lines.extend(f"      {one_line(c.describe())}" for c in r.share_changes)
        lines.extend(f"      {one_line(consumers.update_text(u))}" for u in r.blueprints_updated)
        if r.error:  # many lines: its hint comes on a line of its own
            lines.append(f"      {many_lines(r.error)}")
        if r.build_log_tail and r.build_status == "failed":
            lines.append("      build log (tail):")
            lines.extend(f"        {line}" for line in many_lines(r.build_log_tail).splitlines())
    return "\n".join(lines)


def results_markdown(results: list[TaskResult], namespace: str, ok: bool) -> str:
    lines = [
        f"### ctask-sync apply for {code(namespace)}: {'done' if ok else 'FAILED'}",
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
        action: str = "kept (not deleted)" if r.action == "keep" else r.action
        if r.error:
            action = f"error: {inert(r.error)}"
        lines.append(
            f"| {code(r.key)} | {action} | {files} | {inert(r.version_label or '')} | "
            f"{r.build_status or ''} | {code(r.task_id or '')} |"
        )
    failed = [r for r in results if r.build_status == "failed" and r.build_log_tail]
    for r in failed:
        lines += ["", f"<details><summary>Build log of {inert(r.key)} (tail)</summary>", ""]
        lines += [fence(r.build_log_tail or ""), "", "</details>"]
    return "\n".join(lines) + "\n"


def interrupted_text(results: list[TaskResult], running: list[RunningBuild]) -> str:
    """What an apply interrupted during the build wait has done and left running."""
    lines = ["", "Interrupted while waiting for dependency builds. Done before that:"]
    lines.append(results_text(results))
    if running:
        lines.append("Still running in DataRobot (they go on without this run):")
        keys = [one_line(b.key) for b in running]
        width = max(map(len, keys))
        lines.extend(
            f"  {key.ljust(width)}  version {one_line(b.version_label)}  build {one_line(b.status)}"
            for b, key in zip(running, keys, strict=True)
        )
        lines.append("The next `ctask-sync apply` resumes waiting for them.")
    return "\n".join(lines)
