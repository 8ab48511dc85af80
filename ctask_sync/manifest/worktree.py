"""Which files an apply from this working copy would upload that no commit holds."""

from __future__ import annotations

from collections.abc import Iterable

import msgspec

from ctask_sync.manifest.spec import Finding, TaskSpec, display_path

# A warning naming hundreds of files helps nobody; the first few show what is going on.
MAX_NAMED_FILES = 10


class UncommittedFile(msgspec.Struct, frozen=True):
    key: str  # the task's key
    path: str  # relative to the task folder
    state: str  # untracked | modified


def uncommitted_uploads(
    states: dict[str, str] | None, tasks: Iterable[TaskSpec]
) -> list[UncommittedFile]:
    """The selected files of `tasks` that are untracked or differ from HEAD (staged or not),
    from `states` (git.uncommitted_files); empty outside git."""
    if not states:
        return []
    return [
        UncommittedFile(task.key, f.path, states[f.source])
        for task in tasks
        for f in task.files
        if f.source in states
    ]


def uncommitted_warnings(states: dict[str, str] | None, tasks: Iterable[TaskSpec]) -> list[Finding]:
    """One warning per task whose upload would include files that no commit holds."""
    specs = list(tasks)
    by_key: dict[str, list[UncommittedFile]] = {}
    for found in uncommitted_uploads(states, specs):
        by_key.setdefault(found.key, []).append(found)
    warnings = []
    for spec in specs:
        files = by_key.get(spec.key)
        if not files:
            continue
        named = ", ".join(f"{f.path} ({f.state})" for f in files[:MAX_NAMED_FILES])
        if len(files) > MAX_NAMED_FILES:
            named += f" and {len(files) - MAX_NAMED_FILES} more"
        warnings.append(
            Finding(
                display_path(spec.manifest_path),
                None,
                None,
                "warning",
                f"uploads files that are not committed: {named}; commit them so that git "
                "shows what DataRobot runs",
                spec.key,
            )
        )
    return warnings
