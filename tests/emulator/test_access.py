"""Access control of custom tasks through the official client: get_access_list() and share()."""

from __future__ import annotations

from typing import Any

import datarobot as dr
import pytest
import requests
from datarobot.enums import SHARING_ROLE
from datarobot.errors import ClientError

from ctask_sync.emulator import RunningEmulator

OWNER = "emulator-user@example.com"


def _access(task: dr.CustomTask) -> dict[str, tuple[str, bool | None]]:
    return {a.username: (a.role, a.can_share) for a in task.get_access_list()}


def test_the_creator_is_the_owner_and_created_by_is_a_username(dr_client: Any) -> None:
    task = dr.CustomTask.create(name="t", target_type="Binary")
    assert task.created_by == OWNER
    [entry] = task.get_access_list()
    assert (entry.username, entry.role, entry.can_share) == (OWNER, "OWNER", True)
    assert entry.user_id is not None and len(entry.user_id) == 24


def test_share_grants_changes_and_revokes(dr_client: Any) -> None:
    task = dr.CustomTask.create(name="t", target_type="Binary")
    task.share(
        [
            dr.SharingAccess("ana@example.com", SHARING_ROLE.CONSUMER, can_share=False),
            dr.SharingAccess("ben@example.com", SHARING_ROLE.EDITOR),
        ]
    )
    assert _access(task) == {
        OWNER: ("OWNER", True),
        "ana@example.com": ("CONSUMER", False),
        "ben@example.com": ("EDITOR", True),
    }
    # A role of None removes access (the client keeps the null in the body).
    task.share([dr.SharingAccess("ana@example.com", None)])
    assert set(_access(task)) == {OWNER, "ben@example.com"}


def test_unknown_username_is_422_and_changes_nothing(dr_client: Any) -> None:
    task = dr.CustomTask.create(name="t", target_type="Binary")
    with pytest.raises(ClientError) as caught:
        task.share(
            [
                dr.SharingAccess("ana@example.com", SHARING_ROLE.CONSUMER),
                dr.SharingAccess("nobody@example.com", SHARING_ROLE.CONSUMER),
            ]
        )
    assert caught.value.status_code == 422
    assert "nobody@example.com" in caught.value.json["message"]
    assert set(_access(task)) == {OWNER}


def test_the_last_owner_cannot_be_removed(dr_client: Any) -> None:
    task = dr.CustomTask.create(name="t", target_type="Binary")
    with pytest.raises(ClientError) as caught:
        task.share([dr.SharingAccess(OWNER, None)])
    assert caught.value.status_code == 422


def test_admin_adds_users_and_settings_name_them(
    emulator_factory: Any, dr_client: RunningEmulator
) -> None:
    response = requests.post(
        f"{dr_client.admin_url}/users", json={"username": "cy@example.com"}, timeout=10
    )
    assert response.status_code == 201
    task = dr.CustomTask.create(name="t", target_type="Binary")
    task.share([dr.SharingAccess("cy@example.com", SHARING_ROLE.READ_ONLY)])
    assert _access(task)["cy@example.com"] == ("READ_ONLY", True)

    other = emulator_factory(username="me@corp.example", users=("you@corp.example",))
    listed = requests.get(f"{other.admin_url}/users", timeout=10).json()["users"]
    assert [(u["username"], u["isTokenOwner"]) for u in listed] == [
        ("me@corp.example", True),
        ("you@corp.example", False),
    ]
