"""Root fixtures for every test: an isolated environment and the DataRobot emulator.

Every test runs with DATAROBOT_API_TOKEN set to a sentinel (so any leak is greppable), git
isolated the way pre-commit isolates it (no system config, a private HOME with a known
identity, no inherited GIT_* variables), and no endpoint, namespace or GitHub variables from the
machine running the tests."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from ctask_sync.emulator import EmulatorSettings, RunningEmulator, start_emulator
from ctask_sync.emulator.testing import SENTINEL_TOKEN

# Variable prefixes that would let the developer's or CI's setup leak into a test.
_REMOVED_PREFIXES = ("GIT_", "GITHUB_", "CTASK_SYNC_", "INPUT_", "RUNNER_")
_REMOVED_NAMES = ("DATAROBOT_ENDPOINT", "DATAROBOT_API_TOKEN", "XDG_CONFIG_HOME")

GITCONFIG = """\
[user]
\tname = ctask-sync tests
\temail = tests@ctask-sync.invalid
[init]
\tdefaultBranch = main
[commit]
\tgpgsign = false
[tag]
\tgpgsign = false
"""


@pytest.fixture(autouse=True)
def isolated_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """Sentinel token, isolated git, no endpoint/namespace/GitHub variables. Returns HOME."""
    for name in list(os.environ):
        if name.startswith(_REMOVED_PREFIXES) or name in _REMOVED_NAMES:
            monkeypatch.delenv(name)
    home = tmp_path_factory.mktemp("home")
    (home / ".gitconfig").write_text(GITCONFIG, encoding="utf-8")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_TERMINAL_PROMPT", "0")
    monkeypatch.setenv("DATAROBOT_API_TOKEN", SENTINEL_TOKEN)
    return home


# Builds this short keep tests fast while still passing through submitted and processing.
FAST_BUILD_SECONDS = 0.3


@pytest.fixture
def emulator_factory() -> Iterator[Callable[..., RunningEmulator]]:
    """Start emulators with `factory(**settings_overrides)`; all are stopped at teardown."""
    started: list[RunningEmulator] = []

    def factory(**overrides: Any) -> RunningEmulator:
        values: dict[str, Any] = {"build_seconds": FAST_BUILD_SECONDS}
        values.update(overrides)
        emu = start_emulator(EmulatorSettings(**values), host="127.0.0.1", port=0)
        started.append(emu)
        return emu

    yield factory
    for emu in started:
        emu.stop()


@pytest.fixture
def emulator(emulator_factory: Callable[..., RunningEmulator]) -> RunningEmulator:
    """A fresh in-memory emulator accepting any token, with fast dependency builds."""
    return emulator_factory()
