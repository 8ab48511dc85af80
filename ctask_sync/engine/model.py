"""The engine's own values for what DataRobot holds and how files differ.

Plain snake_case values, filled from the client's models in remote.py, so that detection, the
plan and the reports depend on the engine and never on datarobot/ (DESIGN.md's data path). What
mirrors a listed task is a frozen msgspec Struct: a plan of 10,000 tasks builds ~70,000 of them,
and a Struct is built ~10x faster than a frozen dataclass."""

from __future__ import annotations

from typing import Literal

import msgspec

# What the latest version's dependency build is, as far as this run knows:
# success/failed are final; running covers DataRobot's submitted and processing; missing means
# no build was ever started for the version.
BuildStatus = Literal["success", "failed", "running", "missing"]
FINAL_BUILD_STATUSES: tuple[BuildStatus, ...] = ("success", "failed")


def build_status(datarobot_status: str | None) -> BuildStatus:
    """DataRobot's buildStatus (submitted | processing | success | failed, or no build at all)
    in the engine's words."""
    if datarobot_status is None:
        return "missing"
    if datarobot_status in ("success", "failed"):
        return "success" if datarobot_status == "success" else "failed"
    return "running"


class FileDiff(msgspec.Struct, frozen=True):
    """How the local files differ from the latest remote version's items."""

    added: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    source: str = "record"  # record | git | download | new: how it was found out
    # (old path, new path) of a removed and an added file with the same content. Both stay in
    # removed and added (DataRobot has no rename: the item is deleted and the file uploaded);
    # this only lets the plan say what happened.
    renamed: tuple[tuple[str, str], ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.added or self.changed or self.removed)


# gc=False: these values hold strings, tuples and a dict of strings, never a cycle.
class RemoteItem(msgspec.Struct, frozen=True, gc=False):
    """One file of a version."""

    id: str
    file_path: str


class RemoteVersion(msgspec.Struct, frozen=True, gc=False):
    """A custom task version, as the plan needs to know it."""

    id: str
    label: str
    is_frozen: bool
    description: str
    base_environment_id: str | None
    maximum_memory: int | None
    outbound_network_policy: str | None
    required_metadata: dict[str, str]
    dependencies: tuple[str, ...]  # package names DataRobot parsed from requirements.txt
    items: tuple[RemoteItem, ...]


class RemoteCustomTask(msgspec.Struct, frozen=True, gc=False):
    """A custom task, as the plan needs to know it."""

    id: str
    name: str
    target_type: str  # DataRobot spelling: Binary, Regression, Multiclass, Anomaly, Transform
    language: str
    description: str
    created: str
    latest_version: RemoteVersion | None
    created_by: str | None = None  # the creator's username (an OWNER that `share:` never drops)


class Grant(msgspec.Struct, frozen=True):
    """One entry of a task's access list."""

    username: str
    role: str
    can_share: bool


class Detected(msgspec.Struct, frozen=True):
    """What detection (git, downloads, build reads) found, per task key; the plan's I/O-free
    input beside the manifests and the remote state."""

    diffs: dict[str, FileDiff] = msgspec.field(default_factory=dict)
    refusals: dict[str, str] = msgspec.field(
        default_factory=dict
    )  # key -> why nothing may be written
    warnings: tuple[str, ...] = ()  # about the whole run (e.g. ancestry unknown)
    builds: dict[str, BuildStatus] = msgspec.field(default_factory=dict)  # latest version's build
    access: dict[str, tuple[Grant, ...]] = msgspec.field(
        default_factory=dict
    )  # tasks with `share:`
