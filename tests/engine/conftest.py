"""Helpers for end-to-end engine tests: real git repositories, the CLI in-process, and the
emulator's request log read over its admin HTTP API."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

# re-exported for this suite's modules
from gitkit import commit_all as commit_all
from gitkit import git as git
from gitkit import write_files

from ctask_sync.cli.main import main
from ctask_sync.emulator.testing import AdminClient as Admin

SKLEARN_ENV = "5e8c889607389fe0f466c72d"


def write_task(
    repo: Path,
    folder: str,
    *,
    key: str | None = None,
    name: str | None = None,
    files: dict[str, str | bytes] | None = None,
    extra: str = "",
    env: str = SKLEARN_ENV,
) -> Path:
    """A task folder with a manifest and files (default: custom.py and a helper)."""
    path = repo / folder
    path.mkdir(parents=True, exist_ok=True)
    lines = [
        f"key: {key or folder}",
        f"name: {name or 'Task ' + folder}",
        "target_type: binary",
        "language: python",
        f"description: The {folder} task.",
        "environment:",
        f"  id: {env}",
    ]
    (path / "ctask.yaml").write_text("\n".join(lines) + "\n" + extra, "utf-8")
    write_files(
        path,
        files
        or {"custom.py": "def fit(X, y, output_dir, **kw):\n    pass\n", "helper.py": "X = 1\n"},
    )
    return path


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    path = tmp_path / "repo"
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    return path


@dataclass
class Run:
    code: int
    out: str
    err: str


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
