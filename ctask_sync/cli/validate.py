"""`ctask-sync validate [PATH] [--json]`: check every manifest offline. Exit 0 valid, 1 not."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from ctask_sync.errors import CtaskSyncError
from ctask_sync.manifest.files import human_size
from ctask_sync.manifest.manifest import Discovery, TaskSpec, discover, display_path


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def task_summary(task: TaskSpec) -> dict[str, Any]:
    """One task as `validate --json` lists it."""
    return {
        "key": task.key,
        "name": task.name,
        "folder": display_path(task.folder),
        "manifest": display_path(task.manifest_path),
        "target_type": task.target_type,
        "language": task.language,
        "files": len(task.files),
        "bytes": sum(f.size for f in task.files),
    }


def _invalid_count(discovery: Discovery) -> int:
    valid = {t.manifest_path for t in discovery.tasks}
    return sum(1 for m in discovery.manifest_paths if m not in valid)


def closing_line(discovery: Discovery) -> str:
    """'3 tasks valid, 0 errors, 1 warning' (with 'N invalid' when some are)."""
    parts = [f"{_plural(len(discovery.tasks), 'task')} valid"]
    invalid = _invalid_count(discovery)
    if invalid:
        parts.append(f"{invalid} invalid")
    parts.append(_plural(len(discovery.errors), "error"))
    parts.append(_plural(len(discovery.warnings), "warning"))
    return ", ".join(parts)


def render_text(discovery: Discovery) -> str:
    """Each finding, then one line per valid task, then the closing count."""
    lines = [f.format() for f in discovery.findings]
    if lines:
        lines.append("")
    key_width = max((len(t.key) for t in discovery.tasks), default=0)
    folder_width = max((len(display_path(t.folder)) for t in discovery.tasks), default=0)
    for task in discovery.tasks:
        size = human_size(sum(f.size for f in task.files))
        lines.append(
            f"✓ {task.key:<{key_width}}  {display_path(task.folder):<{folder_width}}  "
            f"{_plural(len(task.files), 'file')}, {size}"
        )
    lines.append(closing_line(discovery))
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """Validate every ctask.yaml under args.path; print findings and a summary."""
    discovery = discover(Path(args.path))
    if not discovery.manifest_paths and not discovery.findings:
        raise CtaskSyncError(
            f"no ctask.yaml found under {display_path(args.path)}",
            hint="each task folder needs a ctask.yaml manifest (see docs/manifest.md)",
        )
    if args.json:
        document = {
            "tasks": [task_summary(t) for t in discovery.tasks],
            "findings": [f.to_dict() for f in discovery.findings],
            "summary": {
                "valid": len(discovery.tasks),
                "invalid": _invalid_count(discovery),
                "errors": len(discovery.errors),
                "warnings": len(discovery.warnings),
            },
        }
        print(json.dumps(document, indent=2, ensure_ascii=False))
    else:
        print(render_text(discovery))
    return 1 if discovery.errors else 0
