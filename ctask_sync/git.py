"""What git knows: the commit, the ref, ancestry, diffs and ignored paths.

Git is an optimisation and a safety check here, never a requirement: a folder outside git still
syncs (every diff then comes from the sync record or a download)."""

from __future__ import annotations

import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ctask_sync.errors import CtaskSyncError


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


_LS_IGNORED = ("ls-files", "-z", "--others", "--ignored", "--exclude-standard", "--directory")


def _git_raw(args: list[str], cwd: Path) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(
            ["git", *args],
            cwd=cwd,
            capture_output=True,
            check=False,
            timeout=120,
        )
    except FileNotFoundError as exc:
        raise CtaskSyncError(
            "git is not installed or not on PATH",
            hint="install git: ctask-sync uses it to read .gitignore rules",
        ) from exc


def git_toplevel(folder: Path) -> Path | None:
    """The work-tree root of the git repository holding `folder`, or None outside git."""
    result = _git_raw(["rev-parse", "--show-toplevel"], folder)
    if result.returncode != 0:
        return None
    return Path(os.fsdecode(result.stdout.strip())).resolve()


def ignored_paths(root: Path, *, in_git: bool) -> frozenset[str]:
    """Absolute paths (files, and folders without a trailing slash) that git ignores under root.

    Outside a git repository the .gitignore files are still honoured, through a throwaway empty
    repository whose work tree is `root`, so a plain folder behaves like a fresh checkout.
    """
    if in_git:
        result = _git_raw(list(_LS_IGNORED), root)
    else:
        with tempfile.TemporaryDirectory(prefix="ctask-sync-git-") as git_dir:
            init = _git_raw(["init", "--quiet", "--bare", git_dir], root)
            if init.returncode != 0:
                return frozenset()
            result = _git_raw(
                [f"--git-dir={git_dir}", f"--work-tree={root}", *_LS_IGNORED],
                root,
            )
    if result.returncode != 0:
        message = os.fsdecode(result.stderr).strip().splitlines()
        raise CtaskSyncError(
            f"git could not list the ignored files under {root}: "
            f"{message[-1] if message else 'exit ' + str(result.returncode)}",
            hint="check that the folder is a readable git work tree",
        )
    paths = set()
    for raw in result.stdout.split(b"\0"):
        if raw:
            paths.add(os.path.join(root, os.fsdecode(raw).rstrip("/")))
    return frozenset(paths)


def is_shallow(root: Path) -> bool:
    """True in a shallow clone (actions/checkout's default depth 1)."""
    return _git(root, "rev-parse", "--is-shallow-repository") == "true"


def fetch_commits(root: Path, shas: tuple[str, ...], *, depth: int) -> bool:
    """Fetch these commits and up to depth-1 ancestors of each from origin, never prompting
    for credentials; True when git succeeded. Bounded: depth commits per sha, 60 s in all."""
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0"}
    try:
        done = subprocess.run(
            ["git", "fetch", "--quiet", "--no-tags", f"--depth={depth}", "origin", *shas],
            cwd=root,
            capture_output=True,
            check=False,
            timeout=60,
            env=env,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def uncommitted_files(root: Path) -> dict[str, str] | None:
    """Absolute path -> 'untracked' or 'modified' for every file under root whose working-copy
    content is not what HEAD holds (staged or not); None outside git or when git cannot tell.

    An apply from such a working copy uploads files that no commit holds, so nobody can later
    see from git what DataRobot runs."""
    top = git_toplevel(root)
    if top is None:
        return None
    result = _git_raw(
        ["status", "--porcelain=v1", "-z", "--untracked-files=all", "--no-renames", "--", "."],
        root,
    )
    if result.returncode != 0:
        return None
    states: dict[str, str] = {}
    for raw in result.stdout.split(b"\0"):
        if len(raw) < 4:
            continue
        code, name = raw[:2], os.fsdecode(raw[3:])
        # the paths porcelain prints are relative to the top level, whatever the cwd
        states[os.path.join(top, name)] = "untracked" if code == b"??" else "modified"
    return states
