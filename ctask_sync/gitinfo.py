"""What git knows: the commit, the ref, ancestry and diffs.

Git is an optimisation and a safety check here, never a requirement: a folder outside git still
syncs (every diff then comes from the sync record or a download)."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class GitInfo:
    repo_root: Path
    commit: str | None  # HEAD's sha, None outside git or before the first commit
    ref: str | None  # e.g. refs/heads/main; None when detached
    commit_time: int | None  # committer time of HEAD (unix seconds)
    dirty: bool  # uncommitted changes: the record then says so
    parents: tuple[str, ...] = ()  # HEAD's parents, read from the raw object (shallow-safe)


def _git(cwd: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", *args],
            cwd=cwd,
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def repo_root(path: Path) -> Path:
    """The git top-level of path, or path itself outside git."""
    top = _git(path, "rev-parse", "--show-toplevel")
    return Path(top).resolve() if top else path.resolve()


def read(path: Path) -> GitInfo:
    """Describe the repository that holds path."""
    root = repo_root(path)
    commit = _git(root, "rev-parse", "--verify", "-q", "HEAD^{commit}")
    ref = _git(root, "symbolic-ref", "-q", "HEAD")
    when = _git(root, "log", "-1", "--format=%ct", "HEAD") if commit else None
    status = _git(root, "status", "--porcelain", "--untracked-files=no") if commit else None
    raw = _git(root, "cat-file", "-p", commit) if commit else None
    # the raw object names parents even in a shallow clone, where `git log` pretends there are none
    parents = tuple(
        line.split()[1] for line in (raw or "").splitlines() if line.startswith("parent ")
    )
    return GitInfo(
        parents=parents,
        repo_root=root,
        commit=commit or None,
        ref=ref or None,
        commit_time=int(when) if when and when.isdigit() else None,
        dirty=bool(status),
    )


def has_commit(root: Path, sha: str) -> bool:
    """True when sha is a commit object in the local repository (not so in shallow clones)."""
    return _git(root, "cat-file", "-e", f"{sha}^{{commit}}") is not None


def is_ancestor(root: Path, older: str, newer: str) -> bool:
    """True when older is an ancestor of (or equal to) newer."""
    return _git(root, "merge-base", "--is-ancestor", older, newer) is not None


def changed_paths(root: Path, since: str, folder: Path) -> set[str] | None:
    """Paths under folder (relative to it, POSIX) that differ between commit `since` and the
    working tree; None when git cannot tell (unknown commit, not a repo)."""
    if not has_commit(root, since):
        return None
    rel = folder.resolve().relative_to(root).as_posix() if folder.resolve() != root else "."
    out = _git(
        root,
        "-c",
        "core.quotepath=off",
        "diff",
        "--no-renames",
        "--name-only",
        "-z",
        since,
        "--",
        rel,
    )
    if out is None:
        return None
    prefix = "" if rel == "." else rel + "/"
    paths: set[str] = set()
    for name in out.split("\0"):
        if name and name.startswith(prefix):
            paths.add(name[len(prefix) :])
    return paths


def origin_path(root: Path) -> str | None:
    """The path of the origin remote, e.g. acme/tasks for git@github.com:acme/tasks.git."""
    url = _git(root, "remote", "get-url", "origin")
    if not url:
        return None
    path = url.rstrip("/")
    if path.endswith(".git"):
        path = path[: -len(".git")]
    if "://" in path:
        path = path.split("://", 1)[1].split("/", 1)[-1]
    elif ":" in path:
        path = path.split(":", 1)[1]
    path = path.strip("/")
    return path or None
