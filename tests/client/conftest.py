"""Fixtures for client tests: a client on the emulator, and the emulator's admin API."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from ctask_sync.datarobot.client import DataRobotClient
from ctask_sync.datarobot.retry import RetryPolicy


@dataclass
class Admin:
    """The emulator's admin API (request log and fault rules), over HTTP like any other user."""

    url: str

    def add_fault(self, **rule: Any) -> None:
        response = requests.post(f"{self.url}/faults", json=rule, timeout=10)
        response.raise_for_status()

    def log(
        self, method: str | None = None, path_suffix: str | None = None
    ) -> list[dict[str, Any]]:
        """Logged API requests, optionally only those with this method and path ending."""
        response = requests.get(f"{self.url}/requests", timeout=10)
        response.raise_for_status()
        entries: list[dict[str, Any]] = response.json()["requests"]
        return [
            entry
            for entry in entries
            if (method is None or entry["method"] == method)
            and (path_suffix is None or entry["path"].endswith(path_suffix))
        ]

    def clear_log(self) -> None:
        requests.delete(f"{self.url}/requests", timeout=10).raise_for_status()

    def set_in_use(self, task_id: str) -> None:
        response = requests.post(
            f"{self.url}/customTasks/{task_id}/inUse", json={"in_use": True}, timeout=10
        )
        response.raise_for_status()


@pytest.fixture
def admin(emulator: Any) -> Admin:
    return Admin(emulator.admin_url)


@pytest.fixture
def client(emulator: Any) -> Iterator[DataRobotClient]:
    """A client with the environment's (sentinel) token and quick retries."""
    with DataRobotClient(
        emulator.endpoint,
        os.environ["DATAROBOT_API_TOKEN"],
        timeout=20,
        retry=RetryPolicy(attempts=4, backoff=0.05, max_total=20),
    ) as made:
        yield made


# What a stand-in server answers a GET with: the JSON body, from the request.
Pager = Callable[[Request], dict[str, object]]


@pytest.fixture
def serve() -> Iterator[Callable[[Pager], str]]:
    """Start a loopback server answering every GET with the page a function gives."""
    servers = []

    def start(pager: Pager) -> str:
        @Request.application
        def app(request: Request) -> Response:
            return Response(json.dumps(pager(request)), content_type="application/json")

        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.port}/api/v2"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()
