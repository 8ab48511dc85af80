"""`share:` reconciled with a task's access list. Pure: the access list is read beforehand.

ctask-sync adds and changes the listed entries and removes only entries that an earlier sync
wrote (their usernames are kept in the sync record, `shared`); it never removes or demotes an
OWNER or the task's creator (the token's user, for every task ctask-sync created)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

import msgspec

from ctask_sync.engine.model import Grant
from ctask_sync.manifest.spec import ShareEntry


class ShareChange(msgspec.Struct, frozen=True):
    username: str
    action: Literal["add", "change", "remove"]
    role: str | None  # None when removed
    can_share: bool | None
    old_role: str | None = None

    def describe(self) -> str:
        grant = f"{self.role}{'' if self.can_share else ', cannot share'}"
        if self.action == "add":
            return f"share with {self.username} as {grant}"
        if self.action == "change":
            return f"change {self.username}: {self.old_role} -> {grant}"
        return f"remove {self.username} ({self.old_role}, added by an earlier sync)"


class SharePlan(msgspec.Struct, frozen=True):
    changes: tuple[ShareChange, ...]
    recorded: tuple[str, ...]  # the usernames ctask-sync manages after the changes, sorted
    warnings: tuple[str, ...] = ()


def _norm(username: str) -> str:
    return username.strip().lower()


def plan_share(
    wanted: Iterable[ShareEntry],
    current: Iterable[Grant],
    recorded: Iterable[str],
    *,
    creator: str | None,
) -> SharePlan:
    """The changes that make the access list hold `wanted`, and what to record."""
    access = {_norm(e.username): e for e in current}
    protected = {n for n, e in access.items() if e.role == "OWNER"}
    if creator:
        protected.add(_norm(creator))
    managed = {_norm(u) for u in recorded}
    changes: list[ShareChange] = []
    warnings: list[str] = []
    kept: set[str] = set()
    for entry in wanted:
        name = _norm(entry.username)
        kept.add(name)
        have = access.get(name)
        if have is not None and have.role == entry.role and have.can_share == entry.can_share:
            continue
        if name in protected and have is not None and entry.role != "OWNER":
            warnings.append(
                f"share: {entry.username} is {have.role} of the task (owner or creator); "
                f"ctask-sync never demotes them, so {entry.role} was not set"
            )
            kept.discard(name)
            continue
        action: Literal["add", "change"] = "add" if have is None else "change"
        changes.append(
            ShareChange(
                entry.username, action, entry.role, entry.can_share, have.role if have else None
            )
        )
        managed.add(name)
    for name in sorted(managed - kept):
        have = access.get(name)
        if have is None or name in protected:
            continue  # already gone, or never ours to remove
        changes.append(ShareChange(have.username, "remove", None, None, have.role))
    return SharePlan(
        changes=tuple(changes),
        recorded=tuple(sorted(managed & kept)),
        warnings=tuple(warnings),
    )
