"""Issue 7, item 4: a late run (an apply of an older commit after a newer one has synced) is
refused with exit 1 and zero writes: in the same repository on the same branch, in a full clone
checked out at the older commit, and in a shallow CI-style clone that has never seen the newer
commit (there only commit times can tell)."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import Lab
from .support import cli, commit_all, git, remote_args, write_task

OLD_TIME = "2026-01-01T10:00:00+00:00"
NEW_TIME = "2026-01-01T10:05:00+00:00"


def commit_at(repo: Path, when: str, message: str, monkeypatch: pytest.MonkeyPatch) -> str:
    with monkeypatch.context() as env:
        env.setenv("GIT_COMMITTER_DATE", when)
        env.setenv("GIT_AUTHOR_DATE", when)
        return commit_all(repo, message)


@pytest.fixture
def history(repo: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, str]:
    """Commit A (older) and B (newer, changes alpha) on main."""
    write_task(repo, "alpha", files={"custom.py": "A = 1\n"})
    write_task(repo, "beta", files={"custom.py": "B = 1\n"})
    old = commit_at(repo, OLD_TIME, "A", monkeypatch)
    write_task(repo, "alpha", files={"custom.py": "A = 2\n"})
    new = commit_at(repo, NEW_TIME, "B", monkeypatch)
    return old, new


def refused(lab: Lab, checkout: Path, new: str, old: str) -> None:
    lab.admin.clear()
    run = cli("apply", str(checkout), *remote_args(lab.endpoint))
    assert run.code == 1, run.text
    assert run.err == (
        "error: apply refused; nothing was written:\n"
        f"  alpha: DataRobot holds a version synced from commit {new[:12]}, which is newer than "
        f"this run's commit {old[:12]}; refusing to overwrite it with older files (a late CI "
        "run?). Sync from the newer commit instead\n"
    )
    assert lab.admin.writes() == []


def test_late_run_on_the_same_branch_in_the_same_repository(
    fresh_lab: Lab, repo: Path, history: tuple[str, str]
) -> None:
    old, new = history
    assert git(repo, "branch", "--contains", old) == "* main"
    assert cli("apply", str(repo), *remote_args(fresh_lab.endpoint)).code == 0
    git(repo, "checkout", "-q", old)
    refused(fresh_lab, repo, new, old)


def test_late_run_from_a_full_clone_of_the_branch(
    fresh_lab: Lab, repo: Path, history: tuple[str, str], tmp_path: Path
) -> None:
    old, new = history
    assert cli("apply", str(repo), *remote_args(fresh_lab.endpoint)).code == 0
    clone = tmp_path / "ci"
    git(tmp_path, "clone", "-q", repo.as_uri(), str(clone))
    git(clone, "checkout", "-q", old)
    refused(fresh_lab, clone, new, old)


def test_late_run_from_a_shallow_clone_that_never_saw_the_newer_commit(
    fresh_lab: Lab, repo: Path, history: tuple[str, str], tmp_path: Path
) -> None:
    old, new = history
    # CI checked out A with depth 1 while A was the branch tip; then B was pushed and synced.
    git(repo, "branch", "-q", "ci-snapshot", old)
    clone = tmp_path / "ci"
    git(
        tmp_path,
        "clone",
        "-q",
        "--depth",
        "1",
        "--branch",
        "ci-snapshot",
        repo.as_uri(),
        str(clone),
    )
    assert git(clone, "rev-parse", "HEAD") == old
    assert git(clone, "rev-parse", "--is-shallow-repository") == "true"
    assert cli("apply", str(repo), *remote_args(fresh_lab.endpoint)).code == 0
    refused(fresh_lab, clone, new, old)


def test_the_newer_commit_itself_and_a_later_one_still_apply(
    fresh_lab: Lab, repo: Path, history: tuple[str, str]
) -> None:
    """The refusal is about age, not about any record: the same and a newer commit go on."""
    assert cli("apply", str(repo), *remote_args(fresh_lab.endpoint)).code == 0
    assert cli("apply", str(repo), *remote_args(fresh_lab.endpoint)).code == 0
    write_task(repo, "alpha", files={"custom.py": "A = 3\n"})
    commit_all(repo, "C")
    run = cli("apply", str(repo), *remote_args(fresh_lab.endpoint))
    assert run.code == 0, run.text
    assert "1 updated" in run.out


def test_late_run_with_allow_delete_does_not_delete_a_newer_commits_task(
    fresh_lab: Lab, repo: Path
) -> None:
    write_task(repo, "alpha", files={"custom.py": "A = 1\n"})
    old = commit_all(repo, "A")
    write_task(repo, "gamma", files={"custom.py": "G = 1\n"})
    commit_all(repo, "B adds gamma")
    args = ["apply", str(repo), "--allow-delete", *remote_args(fresh_lab.endpoint)]
    assert cli(*args).code == 0
    git(repo, "checkout", "-q", old)
    fresh_lab.admin.clear()
    run = cli(*args)
    assert fresh_lab.admin.writes() == []
    assert run.code == 1
    assert "newer than this run's commit" in run.err


def test_late_run_from_a_shallow_clone_when_both_commits_share_a_second(
    fresh_lab: Lab, repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_task(repo, "alpha", files={"custom.py": "A = 1\n"})
    old = commit_at(repo, OLD_TIME, "A", monkeypatch)
    write_task(repo, "alpha", files={"custom.py": "A = 2\n"})
    new = commit_at(repo, OLD_TIME, "B, the same second", monkeypatch)
    git(repo, "branch", "-q", "ci-snapshot", old)
    clone = tmp_path / "ci"
    git(
        tmp_path,
        "clone",
        "-q",
        "--depth",
        "1",
        "--branch",
        "ci-snapshot",
        repo.as_uri(),
        str(clone),
    )
    assert cli("apply", str(repo), *remote_args(fresh_lab.endpoint)).code == 0
    refused(fresh_lab, clone, new, old)
