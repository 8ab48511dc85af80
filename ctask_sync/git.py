"""The one door to git (gitpython): the repository, its commit and ref, ancestry, diffs, ignored
paths, the origin remote, and fetching a commit.

Git is an optimisation and a safety check here, never a requirement: a folder outside git still
syncs (every diff then comes from the sync record or a download). Discovery and object reading use
gitpython's own API; listings go through its command wrapper (`repo.git.ls_files`), which runs
git itself: git's ignore rules and pathspecs have no faithful pure-Python twin, and one `git
ls-files` over 10,000 files is faster than walking gitpython's index."""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

import git
import msgspec
from git.exc import (
    GitCommandError,
    GitCommandNotFound,
    InvalidGitRepositoryError,
    NoSuchPathError,
)

from ctask_sync.errors import CtaskSyncError

_TIMEOUT = 120.0  # seconds for one git command: a hung git must not hang the run
_LS_IGNORED = ("-z", "--others", "--ignored", "--exclude-standard", "--directory")


class GitInfo(msgspec.Struct, frozen=True):
    repo_root: Path
    commit: str | None  # HEAD's sha, None outside git or before the first commit
    ref: str | None  # e.g. refs/heads/main; None when detached
    commit_time: int | None  # committer time of HEAD (unix seconds)
    dirty: bool  # uncommitted changes: the record then says so
    parents: tuple[str, ...] = ()  # HEAD's parents, read from the raw object (shallow-safe)


def _open(path: Path) -> git.Repo | None:
    """The work tree's repository holding path, or None outside git (or in a bare one)."""
    try:
        repo = git.Repo(path, search_parent_directories=True)
    except (InvalidGitRepositoryError, NoSuchPathError):
        return None
    if repo.working_tree_dir is None:
        repo.close()
        return None
    return repo


def _root_of(repo: git.Repo) -> Path:
    return Path(str(repo.working_tree_dir)).resolve()


def git_toplevel(folder: Path) -> Path | None:
    """The work-tree root of the git repository holding `folder`, or None outside git."""
    repo = _open(folder)
    if repo is None:
        return None
    with repo:
        return _root_of(repo)


def repo_root(path: Path) -> Path:
    """The git top-level of path, or path itself outside git."""
    return git_toplevel(path) or path.resolve()


def read(path: Path, *, dirty: bool | None = None) -> GitInfo:
    """Describe the repository that holds path. `dirty`, when the caller already knows it
    (from `uncommitted_files`), saves the two `git diff` runs that would find it out."""
    repo = _open(path)
    if repo is None:
        return GitInfo(path.resolve(), commit=None, ref=None, commit_time=None, dirty=False)
    with repo:
        ref = None if repo.head.is_detached else repo.head.reference.path
        try:
            head = repo.head.commit
        except ValueError:  # an unborn branch: no commit yet
            return GitInfo(_root_of(repo), commit=None, ref=ref, commit_time=None, dirty=False)
        return GitInfo(
            repo_root=_root_of(repo),
            commit=head.hexsha,
            ref=ref,
            commit_time=head.committed_date,
            dirty=repo.is_dirty(untracked_files=False) if dirty is None else dirty,
            # gitpython parses the raw object, which names parents even in a shallow clone,
            # where `git log` pretends there are none
            parents=tuple(parent.hexsha for parent in head.parents),
        )


def _succeeds(root: Path, *args: str, timeout: float = _TIMEOUT) -> bool:
    """True when the git command exits 0 in the repository at root."""
    repo = _open(root)
    if repo is None:
        return False
    with repo:
        return _succeeds_in(repo.git, *args, timeout=timeout)


def _succeeds_in(runner: git.Git, *args: str, timeout: float = _TIMEOUT) -> bool:
    try:
        # never a credential prompt: a fetch that needs one fails instead of hanging the run
        runner.execute(
            ["git", *args],
            kill_after_timeout=timeout,
            env={"GIT_TERMINAL_PROMPT": "0"},
            istream=subprocess.DEVNULL,  # nothing to read: a prompt cannot wait on stdin
        )
    except (GitCommandError, GitCommandNotFound):
        return False
    return True


def has_commit(root: Path, sha: str) -> bool:
    """True when sha is a commit object in the local repository (not so in shallow clones)."""
    return _succeeds(root, "cat-file", "-e", f"{sha}^{{commit}}")


def is_ancestor(root: Path, older: str, newer: str) -> bool:
    """True when older is an ancestor of (or equal to) newer."""
    return _succeeds(root, "merge-base", "--is-ancestor", older, newer)


def fetch_commits(root: Path, shas: tuple[str, ...], *, depth: int) -> bool:
    """Fetch these commits and up to depth-1 ancestors of each from origin, never prompting
    for credentials; True when git succeeded. Bounded: depth commits per sha, 60 s in all.

    The engine falls back to digests or a download when it fails, so failure is no error."""
    return _succeeds(
        root, "fetch", "--quiet", "--no-tags", f"--depth={depth}", "origin", *shas, timeout=60.0
    )


def changed_paths(root: Path, since: str, folder: Path) -> set[str] | None:
    """Paths under folder (relative to it, POSIX) that differ between commit `since` and the
    working tree; None when git cannot tell (unknown commit, not a repo)."""
    if not has_commit(root, since):
        return None
    rel = folder.resolve().relative_to(root).as_posix() if folder.resolve() != root else "."
    repo = _open(root)
    if repo is None:
        return None
    with repo:
        try:
            out = repo.git.diff(
                "--no-renames", "--name-only", "-z", since, "--", rel,
                kill_after_timeout=_TIMEOUT,
            )  # fmt: skip
        except (GitCommandError, GitCommandNotFound):
            return None
    prefix = "" if rel == "." else rel + "/"
    return {name[len(prefix) :] for name in out.split("\0") if name and name.startswith(prefix)}


def origin_path(root: Path) -> str | None:
    """The path of the origin remote, e.g. acme/tasks for git@github.com:acme/tasks.git."""
    repo = _open(root)
    if repo is None:
        return None
    with repo:
        try:
            # get-url applies url.<base>.insteadOf, as git itself would when fetching
            url = repo.git.remote("get-url", "origin")
        except (GitCommandError, GitCommandNotFound):
            return None
    path = url.strip().rstrip("/")
    if path.endswith(".git"):
        path = path[: -len(".git")]
    if "://" in path:
        path = path.split("://", 1)[1].split("/", 1)[-1]
    elif ":" in path:
        path = path.split(":", 1)[1]
    path = path.strip("/")
    return path or None


def ignored_paths(root: Path, *, in_git: bool) -> frozenset[str]:
    """Absolute paths (files, and folders without a trailing slash) that git ignores under root.

    Outside a git repository the .gitignore files are still honoured, through a throwaway empty
    repository whose work tree is `root`, so a plain folder behaves like a fresh checkout.
    """
    try:
        if in_git:
            listing = _ls_ignored(git.Git(root))
        else:
            with tempfile.TemporaryDirectory(prefix="ctask-sync-git-") as git_dir:
                if not _succeeds_in(git.Git(root), "init", "--quiet", "--bare", git_dir):
                    return frozenset()
                runner = git.Git(root)
                runner.update_environment(GIT_DIR=git_dir, GIT_WORK_TREE=str(root))
                listing = _ls_ignored(runner)
    except GitCommandNotFound as exc:
        raise CtaskSyncError(
            "git is not installed or not on PATH",
            hint="install git: ctask-sync uses it to read .gitignore rules",
        ) from exc
    except GitCommandError as exc:
        # gitpython wraps stderr as "\n  stderr: '<text>'"; the last line of <text> says why
        message = exc.stderr.strip().removeprefix("stderr: '").removesuffix("'").splitlines()
        raise CtaskSyncError(
            f"git could not list the ignored files under {root}: "
            f"{message[-1].strip() if message else 'exit ' + str(exc.status)}",
            hint="check that the folder is a readable git work tree",
        ) from exc
    return frozenset(
        os.path.join(root, os.fsdecode(raw).rstrip("/")) for raw in listing.split(b"\0") if raw
    )


def _ls_ignored(runner: git.Git) -> bytes:
    # bytes, not text: a file name need not be UTF-8, and os.fsdecode round-trips it
    listing = runner.ls_files(*_LS_IGNORED, stdout_as_string=False, kill_after_timeout=_TIMEOUT)
    return bytes(listing)


def is_shallow(root: Path) -> bool:
    """True in a shallow clone (actions/checkout's default depth 1)."""
    repo = _open(root)
    if repo is None:
        return False
    with repo:
        try:
            return bool(repo.git.rev_parse("--is-shallow-repository") == "true")
        except (GitCommandError, GitCommandNotFound):
            return False


def uncommitted_files(root: Path) -> dict[str, str] | None:
    """Absolute path -> 'untracked' or 'modified' for every file under root whose working-copy
    content is not what HEAD holds (staged or not); None outside git or when git cannot tell.

    An apply from such a working copy uploads files that no commit holds, so nobody can later
    see from git what DataRobot runs."""
    top = git_toplevel(root)
    if top is None:
        return None
    try:
        # run from root so "." is root; the paths porcelain prints are relative to the top level
        listing = git.Git(root).status(
            "--porcelain=v1", "-z", "--untracked-files=all", "--no-renames", "--", ".",
            stdout_as_string=False, kill_after_timeout=_TIMEOUT,
        )  # fmt: skip
    except (GitCommandError, GitCommandNotFound):
        return None
    states: dict[str, str] = {}
    for raw in bytes(listing).split(b"\0"):
        if len(raw) >= 4:
            code, name = raw[:2], os.fsdecode(raw[3:])
            states[os.path.join(top, name)] = "untracked" if code == b"??" else "modified"
    return states
