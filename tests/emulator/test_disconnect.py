"""A client that hangs up mid-body (a killed run) is not an emulator error."""

from __future__ import annotations

import socket
import time

import pytest
import requests

from ctask_sync.emulator import RunningEmulator


def test_a_client_gone_mid_body_leaves_no_trace(
    emulator: RunningEmulator, capfd: pytest.CaptureFixture[str]
) -> None:
    port = int(emulator.endpoint.split(":")[2].split("/")[0])
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(
            b"POST /api/v2/customTasks/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Authorization: Token t\r\nContent-Type: application/json\r\n"
            b'Content-Length: 1000\r\n\r\n{"name": "half'
        )
    deadline = time.monotonic() + 5
    log: list[dict[str, object]] = []
    while time.monotonic() < deadline and not log:
        log = requests.get(f"{emulator.admin_url}/requests", timeout=5).json()["requests"]
        time.sleep(0.05)
    assert [entry["status"] for entry in log] == [400]
    assert "Traceback" not in capfd.readouterr().err
    tasks = requests.get(
        f"{emulator.endpoint}/customTasks/", headers={"Authorization": "Token t"}, timeout=5
    ).json()
    assert tasks["totalCount"] == 0
