"""The engine's front door: one call each for plan, apply, status and cleanup.

INTERFACE STUB (the engine work fills it in). cli.py and github.py call only these.

PlanReport.to_dict() shape (also what `plan --json FILE` writes):
{
  "version": 1, "namespace": str, "endpoint": str, "commit": str|null, "ref": str|null,
  "tasks": [{
      "key": str, "action": "create"|"update"|"unchanged"|"delete"|"refuse",
      "name": str, "task_id": str|null, "manifest": str|null (path relative to repo root),
      "folder": str|null (relative to repo root),
      "files_added": [str], "files_changed": [str], "files_removed": [str],
      "metadata_changes": [str]  (field names: name, description, language, ...),
      "new_version": {"major": bool, "reason": str}|null,
      "dependency_build": bool, "warnings": [str], "reason": str|null (why refused/deleted)
  }],
  "summary": {"create": int, "update": int, "delete": int, "unchanged": int, "refuse": int},
  "has_changes": bool, "warnings": [str]
}

ApplyReport.to_dict() shape (what `apply --json FILE` writes):
{
  "version": 1, "namespace": str, "endpoint": str, "commit": str|null, "ref": str|null,
  "tag": str|null, "ok": bool,
  "tasks": [{
      "key": str, "action": str (as in the plan), "name": str, "task_id": str|null,
      "version_id": str|null, "version_label": str|null, "manifest": str|null, "folder": str|null,
      "files_uploaded": int, "bytes_uploaded": int, "files_deleted": int,
      "build_status": "success"|"failed"|"submitted"|"processing"|"timeout"|"skipped"|null,
      "build_log_tail": str|null, "error": str|null, "url": str|null
  }],
  "summary": {"created": int, "updated": int, "deleted": int, "unchanged": int,
              "versions_created": int, "builds_failed": int, "errors": int},
  "requests": {"reads": int, "writes": int, "bytes_uploaded": int}
}
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

Log = Callable[[str], None]


@dataclass
class SyncOptions:
    path: Path
    endpoint: str | None = None  # None: the embedded emulator, state in <repo>/.ctask-sync/
    token: str | None = None  # from DATAROBOT_API_TOKEN, never argv
    namespace: str | None = None
    allow_delete: bool = False
    wait: bool = True
    build_timeout: float = 1800.0
    concurrency: int = 8
    major: bool = False  # every new version major (release tags)
    tag: str | None = None  # recorded on every synced version
    shard: tuple[int, int] | None = None  # (i, n), 1-based
    ca_bundle: str | None = None
    commit: str | None = None  # overrides git detection (the action passes GITHUB_SHA)
    ref: str | None = None  # overrides git detection (the action passes GITHUB_REF)


class PlanReport:
    has_changes: bool

    def to_dict(self) -> dict[str, Any]: ...
    def text(self) -> str: ...
    def markdown(self) -> str: ...


class ApplyReport:
    ok: bool

    def to_dict(self) -> dict[str, Any]: ...
    def text(self) -> str: ...
    def markdown(self) -> str: ...


def plan(options: SyncOptions, log: Log = print) -> PlanReport:
    """Validate, read remote state, compute the plan. Raises ManifestError with findings."""
    raise NotImplementedError


def apply(options: SyncOptions, log: Log = print) -> ApplyReport:
    """Plan and apply; waits on dependency builds unless options.wait is False."""
    raise NotImplementedError


def cleanup(options: SyncOptions, log: Log = print, *, yes: bool = True) -> list[str]:
    """Delete every task options.namespace owns; returns the deleted keys."""
    raise NotImplementedError
