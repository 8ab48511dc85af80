"""Fixtures for manifest, file selection and `validate` tests: real git repositories in tmp
folders with an isolated git environment, and the CLI run in-process."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from ctask_sync.cli.main import main
from tests.testing.clirun import Run
from tests.testing.gitkit import git as git
from tests.testing.tasks import SKLEARN_ENV as SKLEARN_ENV
from tests.testing.tasks import write_task as write_task

VALID = f"""\
name: Fraud estimator
target_type: binary
language: python
environment:
  id: {SKLEARN_ENV}
"""


@pytest.fixture(autouse=True)
def isolated_git(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No user or system git config, no inherited GIT_* variables (pre-commit's recipe)."""
    for name in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_CEILING_DIRECTORIES"):
        monkeypatch.delenv(name, raising=False)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_AUTHOR_NAME", "Test Author")
    monkeypatch.setenv("GIT_AUTHOR_EMAIL", "author@example.invalid")
    monkeypatch.setenv("GIT_COMMITTER_NAME", "Test Author")
    monkeypatch.setenv("GIT_COMMITTER_EMAIL", "author@example.invalid")


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An initialised git repository (with one commit), also the current directory."""
    path = tmp_path / "repo"
    path.mkdir()
    git(path, "init", "--quiet", "--initial-branch=main", "--template=")
    (path / "README.md").write_text("tasks\n", "utf-8")
    git(path, "add", "README.md")
    git(path, "commit", "--quiet", "-m", "init")
    monkeypatch.chdir(path)
    return path


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., Run]:
    """Run `ctask-sync ARGS...` in-process and capture its exit code and output."""

    def run(*args: str) -> Run:
        capsys.readouterr()
        code = main(list(args))
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run
