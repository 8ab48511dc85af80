"""Root fixtures for every test: an isolated environment and the DataRobot emulator.

Unit tests (UNIT_TESTS below, or marked `unit`) cannot open sockets: a connect raises, so a pure
test that starts talking to a server fails at once instead of quietly becoming an integration test.
Every test runs with DATAROBOT_API_TOKEN set to a sentinel (so any leak is greppable), git
isolated the way pre-commit isolates it (no system config, a private HOME with a known
identity, no inherited GIT_* variables), and no endpoint, namespace or GitHub variables from the
machine running the tests."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from ctask_sync.emulator import EmulatorSettings, RunningEmulator, start_emulator
from ctask_sync.emulator.testing import SENTINEL_TOKEN

# Test files that are pure (plan, globs, manifest parsing, schema, shard, route, settings, reports,
# git on local folders): every test in them is marked `unit` and runs without sockets.
UNIT_TESTS = (
    "action/test_markdown_render.py",
    "action/test_report.py",
    "action/test_route.py",
    "action/test_shard.py",
    "action/test_workflow_commands.py",
    "cli/test_guard.py",
    "cli/test_settings.py",
    "cli/test_unit_guard.py",
    "client/test_build_log.py",
    "client/test_shown_url.py",
    "client/test_upload_body.py",
    "engine/test_plan.py",
    "engine/test_remote.py",
    "engine/test_review_units.py",
    "git/test_git.py",
    "manifest/test_bad_manifests.py",
    "manifest/test_bad_trees.py",
    "manifest/test_discover.py",
    "manifest/test_globs.py",
    "manifest/test_schema.py",
)
# Test files whose every test is `slow` (minutes, not seconds): the default run leaves them out
# (pyproject addopts -m "not slow"); .ci/run runs them in their own step with `pytest -m slow`.
SLOW_TESTS = (
    "reliability/test_interrupted.py",  # an apply killed at every request, then re-run
    "reliability/test_embedded_kill.py",  # the embedded emulator killed mid-write
)
_TESTS = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test of a UNIT_TESTS file `unit` (`pytest -m unit` runs just those) and of a
    SLOW_TESTS file `slow`. Markers added here still count for `-m` selection."""
    unit = {_TESTS / name for name in UNIT_TESTS}
    slow = {_TESTS / name for name in SLOW_TESTS}
    for item in items:
        if item.path in unit:
            item.add_marker(pytest.mark.unit)
        if item.path in slow:
            item.add_marker(pytest.mark.slow)


class SocketBlockedError(RuntimeError):
    """A unit test tried to open a network connection."""


@pytest.fixture(autouse=True)
def _no_sockets_in_unit_tests(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    if request.node.get_closest_marker("unit") is None:
        return

    def refuse(self: socket.socket, address: object) -> None:
        raise SocketBlockedError(
            f"unit test {request.node.nodeid} tried to connect to {address!r}: "
            "move it to an integration suite or drop the network use"
        )

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)


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
