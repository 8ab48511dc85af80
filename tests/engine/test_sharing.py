"""sharing.py is pure: `share:` entries, an access list and the recorded usernames in; the
changes to send and what to record out."""

from __future__ import annotations

from ctask_sync.engine.model import Grant as AccessEntry
from ctask_sync.engine.sharing import plan_share
from ctask_sync.manifest.spec import ShareEntry

OWNER = AccessEntry("emulator-user@example.com", "OWNER", True)


def test_listed_users_are_added_and_recorded() -> None:
    planned = plan_share(
        [ShareEntry("ana@example.com", "READ_ONLY", False)],
        [OWNER],
        (),
        creator="emulator-user@example.com",
    )
    assert [c.describe() for c in planned.changes] == [
        "share with ana@example.com as READ_ONLY, cannot share"
    ]
    assert planned.recorded == ("ana@example.com",)


def test_a_matching_entry_is_no_change() -> None:
    planned = plan_share(
        [ShareEntry("ana@example.com", "EDITOR")],
        [OWNER, AccessEntry("ana@example.com", "EDITOR", True)],
        ("ana@example.com",),
        creator=None,
    )
    assert planned.changes == ()
    assert planned.recorded == ("ana@example.com",)


def test_a_changed_role_is_a_change() -> None:
    planned = plan_share(
        [ShareEntry("ana@example.com", "EDITOR")],
        [OWNER, AccessEntry("ana@example.com", "READ_ONLY", True)],
        (),
        creator=None,
    )
    assert [c.describe() for c in planned.changes] == [
        "change ana@example.com: READ_ONLY -> EDITOR"
    ]


def test_only_recorded_entries_are_removed() -> None:
    current = [
        OWNER,
        AccessEntry("ana@example.com", "READ_ONLY", True),
        AccessEntry("ben@example.com", "USER", True),  # shared by hand: not ours
    ]
    planned = plan_share([], current, ("Ana@example.com",), creator=None)
    assert [c.describe() for c in planned.changes] == [
        "remove ana@example.com (READ_ONLY, added by an earlier sync)"
    ]
    assert planned.changes[0].role is None
    assert planned.recorded == ()


def test_owner_and_creator_are_never_removed_or_demoted() -> None:
    current = [OWNER, AccessEntry("ana@example.com", "OWNER", True)]
    planned = plan_share(
        [ShareEntry("emulator-user@example.com", "READ_ONLY")],
        current,
        ("ana@example.com", "emulator-user@example.com"),
        creator="emulator-user@example.com",
    )
    assert planned.changes == ()
    assert planned.warnings == (
        "share: emulator-user@example.com is OWNER of the task (owner or creator); ctask-sync "
        "never demotes them, so READ_ONLY was not set",
    )


def test_a_recorded_user_already_gone_is_forgotten() -> None:
    planned = plan_share([], [OWNER], ("ana@example.com",), creator=None)
    assert planned.changes == ()
    assert planned.recorded == ()
