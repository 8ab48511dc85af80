"""Helpers for end-to-end engine tests: real git repositories, the CLI in-process, and the
emulator's request log read over its admin HTTP API."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ctask_sync.cli.main import main
from ctask_sync.emulator.testing import AdminClient
from tests.testing.clirun import Run

# re-exported for this suite's modules
from tests.testing.gitkit import commit_all as commit_all
from tests.testing.gitkit import git as git
from tests.testing.gitkit import write_files as write_files
from tests.testing.tasks import FIT
from tests.testing.tasks import SKLEARN_ENV as SKLEARN_ENV
from tests.testing.tasks import write_task as write_task

# the suite's usual task: an estimator and one helper module
TWO_FILES = {"custom.py": FIT, "helper.py": "X = 1\n"}

Admin = AdminClient  # the emulator's admin API, as this suite calls it


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    path = tmp_path / "repo"
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    return path


@pytest.fixture
def admin(emulator: Any) -> Admin:
    return Admin(emulator.admin_url)


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], emulator: Any) -> Callable[..., Run]:
    """Run ctask-sync in-process against the test emulator with namespace acme/tasks."""

    def run(*args: str, endpoint: bool = True, namespace: str | None = "acme/tasks") -> Run:
        argv = list(args)
        if endpoint:
            argv += ["--endpoint", emulator.endpoint]
        if namespace:
            argv += ["--namespace", namespace]
        code = main(argv)
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run
