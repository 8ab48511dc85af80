"""Fixtures for the emulator's contract tests: the official client pointed at the emulator, a
plain requests session for raw HTTP checks, the admin API, and task folders on disk."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import datarobot as dr
import pytest
import requests
from datarobot.client import set_client

from ctask_sync.emulator import RunningEmulator
from ctask_sync.emulator.testing import SENTINEL_TOKEN

TIMEOUT = 10


class Admin:
    """The /_emulator admin API over plain HTTP."""

    def __init__(self, emu: RunningEmulator) -> None:
        self.url = emu.admin_url

    def log(self) -> list[dict[str, Any]]:
        response = requests.get(f"{self.url}/requests", timeout=TIMEOUT)
        response.raise_for_status()
        entries: list[dict[str, Any]] = response.json()["requests"]
        return entries

    def clear_requests(self) -> None:
        requests.delete(f"{self.url}/requests", timeout=TIMEOUT).raise_for_status()

    def fault(self, **rule: Any) -> str:
        response = requests.post(f"{self.url}/faults", json=rule, timeout=TIMEOUT)
        assert response.status_code == 201, response.text
        rule_id: str = response.json()["id"]
        return rule_id

    def post(self, path: str, body: Any = None) -> requests.Response:
        return requests.post(f"{self.url}{path}", json=body, timeout=TIMEOUT)


class Api:
    """Raw DataRobot API calls with the sentinel token."""

    def __init__(self, emu: RunningEmulator) -> None:
        self.endpoint = emu.endpoint
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Token {SENTINEL_TOKEN}"

    def __call__(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        url = path if path.startswith("http") else f"{self.endpoint}/{path}"
        return self.session.request(method, url, timeout=TIMEOUT, **kwargs)


@pytest.fixture
def dr_client(emulator: RunningEmulator) -> Iterator[RunningEmulator]:
    """The official client, configured for the emulator (it GETs version/ first)."""
    dr.Client(endpoint=emulator.endpoint, token=SENTINEL_TOKEN)
    yield emulator
    set_client(None)  # type: ignore[arg-type]


@pytest.fixture
def admin(emulator: RunningEmulator) -> Admin:
    return Admin(emulator)


@pytest.fixture
def api(emulator: RunningEmulator) -> Api:
    return Api(emulator)


@pytest.fixture
def make_folder(tmp_path: Path) -> Callable[..., Path]:
    """`make_folder({"custom.py": "...", "sub/x.py": b"..."}, name="task")` -> folder path."""

    def make(files: dict[str, str | bytes], name: str = "task") -> Path:
        root = tmp_path / name
        root.mkdir()
        for rel, content in files.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            data = content.encode() if isinstance(content, str) else content
            path.write_bytes(data)
        return root

    return make
