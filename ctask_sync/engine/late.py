"""Late runs: is the commit recorded in DataRobot newer than this run's? Decided by git
ancestry only, never by commit dates (clocks skew; rebases keep dates).

A shallow clone (actions/checkout's default) may not hold the recorded commit: it is fetched
from origin, with a bounded history, and the question asked again. When git still cannot tell,
the run proceeds with a warning naming both commits rather than refusing a normal push."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

import msgspec

from ctask_sync import git as gitinfo
from ctask_sync.engine.syncrecord import SyncRecord
from ctask_sync.git import GitInfo

# Commits fetched per sha when the clone lacks the recorded one: enough for the pushes of a
# busy day between two syncs, small enough to stay quick on a large repository.
FETCH_DEPTH = 50

Order = Literal["newer", "not newer", "unknown"]


class Verdict(msgspec.Struct, frozen=True):
    """What the recorded commit means for this run: a refusal, a warning, or neither."""

    refusal: str | None = None
    warning: str | None = None


def _order(record: SyncRecord, recorded: str, git: GitInfo) -> Order:
    """Whether recorded is newer than (descends from) this run's commit, without fetching."""
    ours = git.commit
    assert ours is not None
    if ours in record.parents:
        return "newer"  # the recorded commit is a child of ours (raw objects, shallow-safe)
    if recorded in git.parents:
        return "not newer"  # ours is a child of the recorded commit
    if not gitinfo.has_commit(git.repo_root, recorded):
        return "unknown"
    if gitinfo.is_ancestor(git.repo_root, ours, recorded):
        return "newer"
    if gitinfo.is_ancestor(git.repo_root, recorded, ours):
        return "not newer"
    # neither descends from the other: diverged (a force push), unless history is cut short
    return "unknown" if gitinfo.is_shallow(git.repo_root) else "not newer"


def order(record: SyncRecord, git: GitInfo) -> Order:
    """_order, fetching the recorded commit (and this one's history) once when it is unknown."""
    recorded = record.commit
    assert recorded is not None and git.commit is not None
    found = _order(record, recorded, git)
    if found != "unknown":
        return found
    if not gitinfo.fetch_commits(git.repo_root, (recorded, git.commit), depth=FETCH_DEPTH):
        return "unknown"
    return _order(record, recorded, git)


def verdicts(
    records: Iterable[SyncRecord | None], git: GitInfo, *, allow_rollback: bool
) -> dict[str, Verdict]:
    """recorded commit -> Verdict, for every recorded commit other than this run's (each
    commit decided once, however many tasks it synced)."""
    found: dict[str, Verdict] = {}
    ours = git.commit
    if ours is None:
        return found
    for record in records:
        if record is None or not record.commit or record.commit in (ours, *found):
            continue
        recorded = record.commit
        seen = order(record, git)
        if seen == "newer" and allow_rollback:
            found[recorded] = Verdict(
                warning=f"rollback: DataRobot holds versions synced from commit {recorded[:12]}, "
                f"which is newer than this run's commit {ours[:12]}; overwriting them "
                "(--allow-rollback)"
            )
        elif seen == "newer":
            found[recorded] = Verdict(
                refusal=f"DataRobot holds a version synced from commit {recorded[:12]}, which is "
                f"newer than this run's commit {ours[:12]}; refusing to overwrite it with older "
                "files (a late CI run?). Sync from the newer commit instead, or pass "
                "--allow-rollback to roll back on purpose"
            )
        elif seen == "unknown":
            found[recorded] = Verdict(
                warning=f"cannot tell whether commit {recorded[:12]}, synced to DataRobot, is "
                f"newer than this run's commit {ours[:12]}: git could not fetch or relate it "
                "(a shallow clone without access to origin, or rewritten history); proceeding. "
                "Fetch full history (actions/checkout: fetch-depth: 0) to keep the late-run check"
            )
        else:
            found[recorded] = Verdict()
    return found
