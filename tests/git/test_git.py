"""ctask_sync/git.py, the one door to git, against real repositories (gitkit)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ctask_sync import git as gitinfo
from tests.testing.gitkit import commit_all, git, init_repo, write_files


def _repo_with_history(path: Path) -> tuple[Path, str, str]:
    repo = init_repo(path)
    write_files(repo, {"t/a.py": "a = 1\n"})
    first = commit_all(repo, "first")
    write_files(repo, {"t/a.py": "a = 2\n", "t/b.py": "b\n"})
    second = commit_all(repo, "second")
    return repo, first, second


def test_a_folder_outside_git_is_its_own_root(tmp_path: Path) -> None:
    info = gitinfo.read(tmp_path)
    assert info == gitinfo.GitInfo(tmp_path.resolve(), None, None, None, False)
    assert gitinfo.git_toplevel(tmp_path) is None
    assert gitinfo.repo_root(tmp_path) == tmp_path.resolve()
    assert gitinfo.origin_path(tmp_path) is None
    assert not gitinfo.has_commit(tmp_path, "0" * 40)


def test_an_unborn_branch_has_a_ref_and_no_commit(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "r")
    info = gitinfo.read(repo / ".")
    assert (info.repo_root, info.commit, info.ref) == (repo.resolve(), None, "refs/heads/main")


def test_head_commit_ref_time_parents_and_dirt(tmp_path: Path) -> None:
    repo, first, second = _repo_with_history(tmp_path / "r")
    info = gitinfo.read(repo / "t")
    assert (info.repo_root, info.commit, info.ref) == (repo.resolve(), second, "refs/heads/main")
    assert info.commit_time == int(git(repo, "log", "-1", "--format=%ct"))
    assert (info.parents, info.dirty) == ((first,), False)
    (repo / "t" / "a.py").write_text("a = 3\n")
    assert gitinfo.read(repo).dirty
    git(repo, "checkout", "-q", "--", ".")
    git(repo, "checkout", "-q", "--detach", first)
    assert gitinfo.read(repo).ref is None


def test_ancestry_and_changed_paths(tmp_path: Path) -> None:
    repo, first, second = _repo_with_history(tmp_path / "r")
    assert gitinfo.is_ancestor(repo, first, second)
    assert not gitinfo.is_ancestor(repo, second, first)
    assert not gitinfo.is_ancestor(repo, "f" * 40, second)
    assert gitinfo.changed_paths(repo, first, repo / "t") == {"a.py", "b.py"}
    assert gitinfo.changed_paths(repo, second, repo / "t") == set()
    assert gitinfo.changed_paths(repo, "f" * 40, repo / "t") is None


def test_a_shallow_clone_still_names_the_parent_and_can_fetch_it(tmp_path: Path) -> None:
    origin, first, second = _repo_with_history(tmp_path / "origin")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--depth", "1", origin.as_uri(), str(clone))
    info = gitinfo.read(clone)
    assert (info.commit, info.parents) == (second, (first,))
    assert not gitinfo.has_commit(clone, first)
    assert gitinfo.is_shallow(clone) and not gitinfo.is_shallow(origin)
    assert gitinfo.fetch_commits(clone, (first,), depth=1)
    assert gitinfo.has_commit(clone, first)
    assert not gitinfo.fetch_commits(clone, ("f" * 40,), depth=1)


def test_uncommitted_files(tmp_path: Path) -> None:
    repo, _, _ = _repo_with_history(tmp_path / "r")
    assert gitinfo.uncommitted_files(repo / "t") == {}
    write_files(repo, {"t/a.py": "a = 9\n", "t/new.py": "", "other.py": ""})
    assert gitinfo.uncommitted_files(repo / "t") == {
        str(repo / "t/a.py"): "modified",
        str(repo / "t/new.py"): "untracked",
    }
    assert gitinfo.uncommitted_files(tmp_path) is None


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("git@github.com:acme/tasks.git", "acme/tasks"),
        ("https://github.com/acme/tasks/", "acme/tasks"),
        ("ssh://git@example.com:2222/group/sub/tasks.git", "group/sub/tasks"),
    ],
)
def test_origin_path(tmp_path: Path, url: str, path: str) -> None:
    repo = init_repo(tmp_path / "r")
    git(repo, "remote", "add", "origin", url)
    assert gitinfo.origin_path(repo) == path


@pytest.mark.parametrize("in_git", [True, False])
def test_ignored_paths_inside_and_outside_git(tmp_path: Path, in_git: bool) -> None:
    root = init_repo(tmp_path / "r") if in_git else tmp_path / "r"
    write_files(root, {".gitignore": "*.log\nbuild/\n", "a.log": "", "build/x": "", "k.py": ""})
    assert gitinfo.ignored_paths(root, in_git=in_git) == {str(root / "a.log"), str(root / "build")}
