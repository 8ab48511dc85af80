"""What tests and benchmarks that use the emulator share: the sentinel token and a client for
the admin API."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import requests

# The token every test process sees in DATAROBOT_API_TOKEN: grep any output for it to prove it
# never leaks.
SENTINEL_TOKEN = "sentinel-TOKEN-7f3a9c"

WRITE_METHODS = frozenset({"POST", "PATCH", "PUT", "DELETE"})


@dataclass
class AdminClient:
    """The emulator's /_emulator admin API over HTTP (request log, faults, marks, settings)."""

    url: str  # RunningEmulator.admin_url
    timeout: float = 10.0

    def log(self) -> list[dict[str, Any]]:
        """Every API request served so far, in order of completion."""
        response = requests.get(f"{self.url}/requests", timeout=self.timeout)
        response.raise_for_status()
        return list(response.json()["requests"])

    def writes(self) -> list[dict[str, Any]]:
        return [r for r in self.log() if r["method"] in WRITE_METHODS]

    def clear(self) -> None:
        requests.delete(f"{self.url}/requests", timeout=self.timeout).raise_for_status()

    def reset(self) -> None:
        requests.post(f"{self.url}/reset", timeout=self.timeout).raise_for_status()

    def fault(self, **rule: Any) -> str:
        """Add a fault rule (see docs/emulator.md); returns its id."""
        response = requests.post(f"{self.url}/faults", json=rule, timeout=self.timeout)
        response.raise_for_status()
        return str(response.json()["id"])

    def settings(self, **changes: Any) -> None:
        response = requests.patch(f"{self.url}/settings", json=changes, timeout=self.timeout)
        response.raise_for_status()

    def in_use(self, task_id: str, in_use: bool = True) -> None:
        requests.post(
            f"{self.url}/customTasks/{task_id}/inUse", json={"in_use": in_use}, timeout=self.timeout
        ).raise_for_status()
