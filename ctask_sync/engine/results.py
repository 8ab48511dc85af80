"""What applying a plan did, task by task: plain typed values for the reports."""

from __future__ import annotations

import msgspec

from ctask_sync.engine.consumers import BlueprintUpdate
from ctask_sync.engine.sharing import ShareChange
from ctask_sync.engine.steps import Action


class TaskResult(msgspec.Struct):
    key: str
    action: Action
    name: str
    task_id: str | None = None
    version_id: str | None = None
    version_label: str | None = None
    manifest: str | None = None
    folder: str | None = None
    files_uploaded: int = 0
    bytes_uploaded: int = 0
    files_deleted: int = 0
    version_created: bool = False
    deleted: bool = False
    # success | failed | submitted | processing | timeout (deadline) | None (no build)
    build_status: str | None = None
    build_log_tail: str | None = None
    error: str | None = None
    warnings: tuple[str, ...] = ()
    share_changes: tuple[ShareChange, ...] = ()  # sent to the access list
    blueprints_updated: tuple[BlueprintUpdate, ...] = ()  # pins moved to the new version


class RunningBuild(msgspec.Struct, frozen=True):
    """A dependency build still running in DataRobot when this run stopped waiting."""

    key: str
    version_label: str
    status: str
