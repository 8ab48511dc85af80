"""Fixtures for the action's tests: a git repository, the runner harness and the fake GitHub
REST API on loopback. Helpers live in tests.action.action_support."""

from __future__ import annotations

import fcntl
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.action.action_support import PAT, REPOSITORY, Harness, commit_all, git, write_task
from tests.action.fake_github import FakeGitHub, serve
from tests.action.runner import ActionRunner


@pytest.fixture(scope="session", autouse=True)
def github_npm_packages() -> None:
    """Install GitHub's locked npm packages once if missing, so the README's plain
    `python3 -m pytest` works on a fresh machine (.ci/run installs them up front). A file lock
    keeps pytest-xdist's workers from running two `npm ci` into one folder."""
    node_dir = Path(__file__).resolve().parents[2] / ".ci" / "node"
    installed = node_dir / "node_modules" / "@actions"
    if installed.is_dir() or shutil.which("npm") is None:
        return  # present, or no npm: the evaluator then fails with its own clear message
    with open(node_dir / ".install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not installed.is_dir():
            subprocess.run(
                ["npm", "ci", "--prefix", str(node_dir), "--no-audit", "--no-fund", "--quiet"],
                check=True,
                timeout=300,
            )


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository with two tasks committed on main, its namespace in ctask-sync.yaml
    (what `ctask-sync init` writes: the action no longer guesses it from GITHUB_REPOSITORY)."""
    path = tmp_path / "workspace"
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    (path / "ctask-sync.yaml").write_text(f"namespace: {REPOSITORY}\n", "utf-8")
    write_task(path, "tasks/alpha")
    write_task(path, "tasks/beta", files={"custom.py": "X = 1\n", "requirements.txt": "numpy\n"})
    commit_all(path, "two tasks")
    return path


@pytest.fixture
def github_api() -> Iterator[FakeGitHub]:
    with serve(FakeGitHub(repository=REPOSITORY, users={PAT: "ci-bot"})) as fake:
        yield fake


@pytest.fixture
def harness(repo: Path, tmp_path: Path, emulator: Any, github_api: FakeGitHub) -> Harness:
    runner = ActionRunner(workspace=repo, temp=tmp_path / "runner-temp")
    return Harness(runner, repo, emulator.endpoint, github_api)
