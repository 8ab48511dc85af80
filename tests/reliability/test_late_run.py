"""Issue 7, item 4: a late run (an apply of an older commit after a newer one has synced) is
refused with exit 1 and zero writes: in the same repository on the same branch, in a full clone
checked out at the older commit, and in a shallow CI-style clone that has never seen the newer
commit (issue 12: it is fetched from origin and ancestry decides, never commit times)."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import Lab
from .support import (
    NAMESPACE,
    cli,
    commit_all,
    git,
    remote_args,
    tasks_by_owner,
    witness,
    write_task,
    zip_files,
)

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
        "run?). Sync from the newer commit instead, or pass --allow-rollback to roll back on "
        "purpose\n"
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
    clone = shallow_clone(repo, tmp_path, "ci-snapshot")
    assert git(clone, "rev-parse", "HEAD") == old
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
    clone = shallow_clone(repo, tmp_path, "ci-snapshot")
    assert cli("apply", str(repo), *remote_args(fresh_lab.endpoint)).code == 0
    refused(fresh_lab, clone, new, old)


def shallow_clone(repo: Path, tmp_path: Path, branch: str) -> Path:
    clone = tmp_path / f"ci-{branch}"
    git(
        tmp_path,
        "clone",
        "-q",
        "--depth",
        "1",
        "--branch",
        branch,
        repo.as_uri(),
        str(clone),
    )
    assert git(clone, "rev-parse", "--is-shallow-repository") == "true"
    return clone


def test_a_depth_1_clone_of_a_newer_commit_with_an_older_date_plans_and_applies(
    fresh_lab: Lab, repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 12: two commits pushed together, the tip's committer date before the synced one's
    (a skewed clock, a rebase that kept dates). Dates used to refuse it; ancestry plans it."""
    write_task(repo, "alpha", files={"custom.py": "A = 1\n"})
    synced = commit_at(repo, NEW_TIME, "A, synced", monkeypatch)
    assert cli("apply", str(repo), *remote_args(fresh_lab.endpoint)).code == 0
    write_task(repo, "alpha", files={"custom.py": "A = 2\n"})
    commit_at(repo, OLD_TIME, "B", monkeypatch)
    write_task(repo, "alpha", files={"custom.py": "A = 3\n"})
    tip = commit_at(repo, OLD_TIME, "C, dated before A", monkeypatch)
    clone = shallow_clone(repo, tmp_path, "main")
    assert git(clone, "rev-list", "--all") == tip  # the synced commit is not in the clone
    plan = cli("plan", str(clone), *remote_args(fresh_lab.endpoint))
    assert plan.code == 2, plan.text
    assert "~ alpha  change custom.py" in plan.out and "warning" not in plan.out
    applied = cli("apply", str(clone), *remote_args(fresh_lab.endpoint))
    assert applied.code == 0, applied.text
    witness(fresh_lab.endpoint)
    (task,) = tasks_by_owner(NAMESPACE)["alpha"]
    archive = tmp_path / "alpha.zip"
    task.download_latest_version(str(archive))
    assert zip_files(archive) == {"custom.py": b"A = 3\n"}
    assert f'"commit":"{tip}"' in task.latest_version.description
    assert synced != tip


def test_rollback_on_purpose_with_allow_rollback(
    fresh_lab: Lab, repo: Path, history: tuple[str, str]
) -> None:
    old, new = history
    assert cli("apply", str(repo), *remote_args(fresh_lab.endpoint)).code == 0
    git(repo, "checkout", "-q", old)
    run = cli("apply", str(repo), "--allow-rollback", *remote_args(fresh_lab.endpoint))
    assert run.code == 0, run.text
    assert (
        f"  warning: rollback: DataRobot holds versions synced from commit {new[:12]}, which is "
        f"newer than this run's commit {old[:12]}; overwriting them (--allow-rollback)"
    ) in run.out
    assert "1 updated" in run.out


def test_unknown_ancestry_proceeds_with_a_warning_naming_both_commits(
    fresh_lab: Lab, repo: Path, tmp_path: Path
) -> None:
    write_task(repo, "alpha", files={"custom.py": "A = 1\n"})
    synced = commit_all(repo, "A")
    assert cli("apply", str(repo), *remote_args(fresh_lab.endpoint)).code == 0
    write_task(repo, "alpha", files={"custom.py": "A = 2\n"})
    commit_all(repo, "B")
    write_task(repo, "alpha", files={"custom.py": "A = 3\n"})
    tip = commit_all(repo, "C")
    clone = shallow_clone(repo, tmp_path, "main")
    git(clone, "remote", "remove", "origin")  # nothing to fetch the synced commit from
    plan = cli("plan", str(clone), *remote_args(fresh_lab.endpoint))
    assert plan.code == 2, plan.text
    assert (
        f"  warning: cannot tell whether commit {synced[:12]}, synced to DataRobot, is newer "
        f"than this run's commit {tip[:12]}"
    ) in plan.out
    assert "~ alpha  change custom.py" in plan.out
