"""Real git repositories and their working trees for tests: one place for the few git calls
and file writes every suite needs."""

from __future__ import annotations

import subprocess
from pathlib import Path


def git(repo: Path, *args: str) -> str:
    """Run git in repo and return its stdout (stripped); raises on failure."""
    done = subprocess.run(
        ["git", *args], cwd=repo, check=True, capture_output=True, text=True, timeout=60
    )
    return done.stdout.strip()


def init_repo(path: Path) -> Path:
    """A new repository with branch main at path."""
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", "main")
    return path


def commit_all(repo: Path, message: str = "change") -> str:
    """Commit everything in the working tree; returns the new commit's sha."""
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--allow-empty", "-m", message)
    return git(repo, "rev-parse", "HEAD")


def write_files(folder: Path, files: dict[str, str | bytes]) -> None:
    """Write each relative path's content (text as UTF-8, bytes as they are) under folder."""
    for rel, content in files.items():
        target = folder / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, "utf-8")
