"""The access list of a custom task (customTasks/{id}/accessControl/) as snake_case values."""

from __future__ import annotations

from typing import Any

import msgspec

# The official client's SHARING_ROLE. Which of them DataRobot accepts for custom tasks is
# UNCONFIRMED (docs/datarobot-api.md §7).
SHARING_ROLES = ("OWNER", "READ_WRITE", "USER", "EDITOR", "READ_ONLY", "CONSUMER")


class AccessEntry(msgspec.Struct, frozen=True):
    username: str
    role: str
    can_share: bool
    user_id: str | None = None


class AccessChange(msgspec.Struct, frozen=True):
    """One element of a share request; role None removes the user's access."""

    username: str
    role: str | None
    can_share: bool | None = None

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"username": self.username, "role": self.role}
        if self.role is not None and self.can_share is not None:
            body["canShare"] = self.can_share
        return body


def parse_access_entry(raw: Any) -> AccessEntry:
    if not isinstance(raw, dict) or not isinstance(raw.get("username"), str):
        raise ValueError("expected an access entry with a username")
    if not isinstance(raw.get("role"), str):
        raise ValueError(f"access entry of {raw['username']} has no role")
    return AccessEntry(
        username=raw["username"],
        role=raw["role"],
        # DataRobot's rule: an absent canShare means true (the client's docstring)
        can_share=raw.get("canShare", True) is not False,
        user_id=None if raw.get("userId") is None else str(raw["userId"]),
    )
