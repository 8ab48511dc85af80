"""Fixtures for the reliability proofs: a tapped emulator shared by a module (reset between
iterations), a fresh git repository per test, and sleeps patched away where retries would only
make the suite slow."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_mock import MockerFixture

from ctask_sync.emulator import RunningEmulator

from .support import Admin, init_repo, start_tapped_emulator


class Lab:
    """One emulator (builds finish at once so request counts are deterministic) and its tap."""

    def __init__(self) -> None:
        self.emulator: RunningEmulator
        self.emulator, self.tap = start_tapped_emulator(build_seconds=0.0)
        self.admin = Admin(self.emulator.admin_url)

    @property
    def endpoint(self) -> str:
        return self.emulator.endpoint


@pytest.fixture(scope="module")
def lab() -> Iterator[Lab]:
    made = Lab()
    yield made
    made.tap.release()
    made.emulator.stop()


@pytest.fixture
def fresh_lab(lab: Lab) -> Lab:
    """The module's emulator, back to its seed, no faults, no holds."""
    lab.admin.reset()
    lab.tap.restart()
    return lab


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return init_repo(tmp_path / "repo")


@pytest.fixture
def no_sleep(mocker: MockerFixture) -> None:
    """Retry backoff and build polling waits return at once (only the clock is faked)."""
    mocker.patch("ctask_sync.datarobot.retry.sleep")
    mocker.patch("ctask_sync.engine.builds._sleep")
