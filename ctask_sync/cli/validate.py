"""`ctask-sync validate [PATH|FILE...] [--json]`: check manifests offline. Exit 0 valid, 1 not.

Folders are searched for every ctask.yaml; manifest files (what pre-commit passes) are checked
against every other manifest of their repository (keys stay unique) but only they are shown."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ctask_sync.cli.common import write_json
from ctask_sync.errors import CtaskSyncError
from ctask_sync.git import git_toplevel
from ctask_sync.manifest.discovery import discover
from ctask_sync.manifest.files import MANIFEST_NAME, human_size
from ctask_sync.manifest.rootconfig import ROOT_CONFIG_NAME, root_config_findings
from ctask_sync.manifest.spec import Discovery, Finding, TaskSpec, display_path
from ctask_sync.report.escape import one_line


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
    """Each finding, then one line per valid task, then the closing count; paths, keys and
    quoted manifest text show their control and bidi characters as escapes."""
    lines = [one_line(f.format()) for f in discovery.findings]
    if lines:
        lines.append("")
    keys = [one_line(t.key) for t in discovery.tasks]
    folders = [one_line(display_path(t.folder)) for t in discovery.tasks]
    key_width = max(map(len, keys), default=0)
    folder_width = max(map(len, folders), default=0)
    for task, key, folder in zip(discovery.tasks, keys, folders, strict=True):
        size = human_size(sum(f.size for f in task.files))
        lines.append(
            f"✓ {key:<{key_width}}  {folder:<{folder_width}}  "
            f"{_plural(len(task.files), 'file')}, {size}"
        )
    lines.append(closing_line(discovery))
    return "\n".join(lines)


def _split(paths: list[str]) -> tuple[list[Path], list[Path]]:
    """Folders to search, and manifest files to check."""
    folders: list[Path] = []
    manifests: list[Path] = []
    for text in paths:
        path = Path(text)
        if path.is_dir():
            folders.append(path)
        elif path.name == MANIFEST_NAME:
            if not path.exists():
                raise CtaskSyncError(f"{text}: no such file", hint="pass a ctask.yaml or a folder")
            manifests.append(path.resolve())
        elif path.exists():
            raise CtaskSyncError(
                f"{text}: not a folder or a {MANIFEST_NAME} manifest",
                hint="pass the folder that holds the ctask.yaml files, or ctask.yaml files",
            )
        else:
            raise CtaskSyncError(f"{text}: no such folder", hint="pass the folder that holds tasks")
    return folders, manifests


def _merge(into: Discovery, other: Discovery) -> None:
    known = set(into.manifest_paths)
    if any(m in known for m in other.manifest_paths):
        return  # the same manifests reached twice (overlapping paths): shown once
    into.manifest_paths.extend(other.manifest_paths)
    into.tasks.extend(other.tasks)
    into.findings.extend(other.findings)


def _discover_files(manifests: list[Path]) -> list[Discovery]:
    by_root: dict[Path, set[Path]] = {}
    for manifest in manifests:
        root = git_toplevel(manifest.parent) or manifest.parent
        by_root.setdefault(root, set()).add(manifest)
    found = []
    for root, only in sorted(by_root.items()):
        discovery = discover(root, only=frozenset(only), digest=False)
        for skipped in sorted(only - set(discovery.manifest_paths)):
            discovery.findings.append(
                Finding(
                    display_path(skipped),
                    None,
                    None,
                    "warning",
                    "not checked: it is in a folder that ctask-sync skips (ignored by "
                    ".gitignore or the default ignores), so it is not a task",
                )
            )
        found.append(discovery)
    return found


def _enclosing_task(folder: Path) -> Path:
    """folder, or the task folder that holds it (run from a task's lib/, validate checks that
    task, as plan does), looking no higher than the git top level or a sync root."""
    start = folder.resolve()
    top = git_toplevel(start)
    if top is None or start == top or (start / ROOT_CONFIG_NAME).is_file():
        return folder
    for current in start.parents:
        if (current / MANIFEST_NAME).is_file():
            return current
        if current == top or (current / ROOT_CONFIG_NAME).is_file():
            break
    return folder


def discover_paths(paths: list[str]) -> Discovery:
    """One Discovery over every folder and manifest file given (default: the current folder),
    with the problems of every root config that governs them."""
    folders, manifests = _split(paths or ["."])
    found = [discover(_enclosing_task(folder), digest=False) for folder in folders]
    found.extend(_discover_files(manifests))
    merged = found[0]
    for other in found[1:]:
        _merge(merged, other)
    merged.tasks.sort(key=lambda t: t.key)
    starts = [*folders, *(m.parent for m in merged.manifest_paths)]
    merged.findings[:0] = root_config_findings(starts)
    return merged


def run(args: argparse.Namespace) -> int:
    """Validate the manifests under args.paths; print findings and a summary."""
    # `--json` takes an optional `-` (stdout, as for every command); anything else it took
    # is a path (`validate --json tasks/a/ctask.yaml`)
    extra = [args.json] if args.json not in (None, "-") else []
    discovery = discover_paths([*extra, *args.paths])
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
        write_json("-", document)
    elif not discovery.manifest_paths and not discovery.findings:
        # what `plan` says too: an empty repository is valid (its tasks may all be deleted)
        print(f"No tasks found (no {MANIFEST_NAME} under {', '.join(args.paths or ['.'])}).")
        print(closing_line(discovery))
    else:
        print(render_text(discovery))
    return 1 if discovery.errors else 0
