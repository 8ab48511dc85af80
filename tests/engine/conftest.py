"""Helpers for end-to-end engine tests: real git repositories, the CLI in-process, and the
emulator's request log read over its admin HTTP API."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from ctask_sync.cli import main

SKLEARN_ENV = "5e8c889607389fe0f466c72d"
WRITE_METHODS = {"POST", "PATCH", "PUT", "DELETE"}


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", *args], cwd=repo, check=True, capture_output=True, text=True, timeout=60
    )
    return done.stdout.strip()


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
    for rel, content in (
        files
        or {"custom.py": "def fit(X, y, output_dir, **kw):\n    pass\n", "helper.py": "X = 1\n"}
    ).items():
        target = path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, "utf-8")
    return path


def commit_all(repo: Path, message: str = "change") -> str:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--allow-empty", "-m", message)
    return git(repo, "rev-parse", "HEAD")


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


@dataclass
class Admin:
    """The emulator's admin API: request log, faults, in-use marks."""

    url: str

    def log(self) -> list[dict[str, Any]]:
        return list(requests.get(f"{self.url}/requests", timeout=10).json()["requests"])

    def writes(self) -> list[dict[str, Any]]:
        return [r for r in self.log() if r["method"] in WRITE_METHODS]

    def clear(self) -> None:
        requests.delete(f"{self.url}/requests", timeout=10).raise_for_status()

    def fault(self, **rule: Any) -> None:
        requests.post(f"{self.url}/faults", json=rule, timeout=10).raise_for_status()

    def in_use(self, task_id: str) -> None:
        requests.post(
            f"{self.url}/customTasks/{task_id}/inUse", json={"in_use": True}, timeout=10
        ).raise_for_status()


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
