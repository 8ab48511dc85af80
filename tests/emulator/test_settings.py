"""EmulatorSettings: validation, and the admin view that never shows the token."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import requests

from ctask_sync.emulator import EmulatorSettings, RunningEmulator
from ctask_sync.emulator.testing import SENTINEL_TOKEN


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("build_seconds", -1.0, "build_seconds must be >= 0, got -1.0"),
        ("latency_ms", -5.0, "latency_ms must be >= 0, got -5.0"),
        ("max_upload_bytes", 0, "max_upload_bytes must be >= 1, got 0"),
        ("default_page_limit", 0, "default_page_limit must be >= 1, got 0"),
        ("token", "  ", "token must be non-empty when set"),
        ("fail_builds_matching", "[", "fail_builds_matching is not a valid regex"),
    ],
)
def test_invalid_settings_are_rejected(field: str, value: object, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("[", r"\[")):
        EmulatorSettings(**{field: value})  # type: ignore[arg-type]


def test_settings_view_never_shows_the_token(
    emulator_factory: Callable[..., RunningEmulator], tmp_path: Path
) -> None:
    emu = emulator_factory(token=SENTINEL_TOKEN, state_dir=tmp_path / "s")
    response = requests.get(f"{emu.admin_url}/settings", timeout=10)
    assert response.json() == {
        "token": "<set>",
        "build_seconds": 0.3,
        "fail_builds_matching": "^does-not-exist",
        "latency_ms": 0.0,
        "max_upload_bytes": None,
        "reuse_builds": False,
        "state_dir": str(tmp_path / "s"),
        "default_page_limit": 100,
        "username": "emulator-user@example.com",
        "users": ["ana@example.com", "ben@example.com"],
    }
    assert SENTINEL_TOKEN not in response.text
    assert not any(SENTINEL_TOKEN in p.read_text() for p in (tmp_path / "s").rglob("*.json"))
