"""The emulator's knobs: what DataRobot does not publish, or what tests need to control."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

# Settings a running emulator may change through PATCH /_emulator/settings. The others shape the
# server at start (auth, storage, paging) and stay fixed for its lifetime.
LIVE_SETTINGS = (
    "latency_ms",
    "build_seconds",
    "fail_builds_matching",
    "max_upload_bytes",
    "reuse_builds",
)


@dataclass
class EmulatorSettings:
    """How the emulator behaves. Defaults are the closest to DataRobot's observed behaviour."""

    token: str | None = None  # None: any non-empty token is accepted
    build_seconds: float = 1.0  # duration of a dependency build
    fail_builds_matching: str = "^does-not-exist"  # regex on requirement names -> failed build
    latency_ms: float = 0.0  # added to every /api/v2 request
    max_upload_bytes: int | None = None  # larger version uploads get 413 (no published limit)
    reuse_builds: bool = False  # repeated (environment, requirements) builds finish at once
    state_dir: Path | None = None  # persist metadata (JSON) and file blobs here
    default_page_limit: int = 100  # customTasks page size when the client sends no limit
    # The user directory (docs/datarobot-api.md §7): the token's owner, who creates everything,
    # and the other users that tasks can be shared with. More can be added through the admin API.
    username: str = "emulator-user@example.com"
    users: tuple[str, ...] = ("ana@example.com", "ben@example.com")

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Raise ValueError naming the first invalid field."""
        if self.token is not None and not self.token.strip():
            raise ValueError("token must be non-empty when set")
        if self.build_seconds < 0:
            raise ValueError(f"build_seconds must be >= 0, got {self.build_seconds}")
        if self.latency_ms < 0:
            raise ValueError(f"latency_ms must be >= 0, got {self.latency_ms}")
        if self.max_upload_bytes is not None and self.max_upload_bytes < 1:
            raise ValueError(f"max_upload_bytes must be >= 1, got {self.max_upload_bytes}")
        if self.default_page_limit < 1:
            raise ValueError(f"default_page_limit must be >= 1, got {self.default_page_limit}")
        if not self.username.strip() or any(not u.strip() for u in self.users):
            raise ValueError("usernames must be non-empty")
        try:
            re.compile(self.fail_builds_matching)
        except re.error as exc:
            raise ValueError(f"fail_builds_matching is not a valid regex: {exc}") from exc

    def live_view(self) -> dict[str, Any]:
        """The JSON shape served by GET /_emulator/settings (every field, paths as strings)."""
        data = asdict(self)
        data["state_dir"] = str(self.state_dir) if self.state_dir is not None else None
        # The token is a secret even in a test server: report only whether one is set.
        data["token"] = "<set>" if self.token is not None else None
        return data

    def with_changes(self, changes: dict[str, Any]) -> EmulatorSettings:
        """A copy with live settings changed; ValueError for unknown, fixed or mistyped fields."""
        known = {f.name for f in fields(self)}
        for name, value in changes.items():
            if name not in known:
                raise ValueError(f"unknown setting {name!r}")
            if name not in LIVE_SETTINGS:
                raise ValueError(f"setting {name!r} cannot change while the emulator runs")
            _check_type(name, value)
        return replace(self, **changes)


def _check_type(name: str, value: object) -> None:
    if name in ("latency_ms", "build_seconds"):
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    elif name == "fail_builds_matching":
        ok = isinstance(value, str)
    elif name == "max_upload_bytes":
        ok = value is None or (isinstance(value, int) and not isinstance(value, bool))
    else:  # reuse_builds
        ok = isinstance(value, bool)
    if not ok:
        raise ValueError(f"setting {name!r} has the wrong type: {value!r}")
