"""`ctask-sync emulator` as a separate process: served to other processes, state on disk."""

from __future__ import annotations

import io
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from ctask_sync.emulator import PYTHON_SKLEARN_ENV_ID
from ctask_sync.emulator.testing import SENTINEL_TOKEN

REPO_ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO_ROOT)
    env["CTASK_SYNC_EMULATOR_TOKEN"] = SENTINEL_TOKEN
    return env


class Served:
    def __init__(self, port: int, state: Path) -> None:
        self.port = port
        self.endpoint = f"http://127.0.0.1:{port}/api/v2"
        self.proc = subprocess.Popen(
            [
                *(sys.executable, "-m", "ctask_sync", "emulator", "--port", str(port)),
                *("--state", str(state), "--build-seconds", "0.1"),
            ],
            env=_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        self.banner = self.proc.stdout.readline()  # printed once the port is bound
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                requests.get(f"http://127.0.0.1:{port}/_emulator/settings", timeout=1)
                return
            except requests.ConnectionError:
                time.sleep(0.05)
        raise AssertionError(f"emulator did not start: {self.proc.stderr}")

    def stop(self) -> tuple[int, str]:
        self.proc.send_signal(signal.SIGTERM)
        _, err = self.proc.communicate(timeout=15)
        return self.proc.returncode, err


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    server = Served(_free_port(), tmp_path / "state")
    yield server
    if server.proc.poll() is None:
        server.proc.kill()
        server.proc.communicate(timeout=15)


def _curl(*args: str) -> tuple[int, str]:
    out = subprocess.run(
        ["curl", "-s", "-o", "-", "-w", "\n%{http_code}", *args],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    ).stdout
    body, _, code = out.rpartition("\n")
    return int(code), body


def test_serves_curl_and_state_survives_a_restart(served: Served, tmp_path: Path) -> None:
    assert served.banner.startswith(
        f"ctask-sync emulator: DataRobot API at {served.endpoint} "
        f"(admin http://127.0.0.1:{served.port}/_emulator; state in {tmp_path / 'state'}"
    )
    assert SENTINEL_TOKEN not in served.banner
    auth = f"Authorization: Token {SENTINEL_TOKEN}"
    status, body = _curl(
        "-X",
        "POST",
        "-H",
        auth,
        "-H",
        "Content-Type: application/json",
        "-d",
        json.dumps({"name": "from curl", "targetType": "Binary"}),
        f"{served.endpoint}/customTasks/",
    )
    assert status == 201
    task_id = json.loads(body)["id"]
    (tmp_path / "custom.py").write_text("print('persisted')\n")
    status, body = _curl(
        "-H",
        auth,
        "-F",
        "isMajorUpdate=True",
        "-F",
        f"baseEnvironmentId={PYTHON_SKLEARN_ENV_ID}",
        "-F",
        f"file=@{tmp_path / 'custom.py'}",
        "-F",
        "filePath=custom.py",
        f"{served.endpoint}/customTasks/{task_id}/versions/",
    )
    assert status == 201
    version_id = json.loads(body)["id"]
    assert _curl("-H", "Authorization: Token wrong", f"{served.endpoint}/customTasks/")[0] == 401

    code, err = served.stop()
    assert code == 0
    assert "ctask-sync emulator: stopped" in err

    restarted = Served(served.port, tmp_path / "state")
    try:
        headers = {"Authorization": f"Bearer {SENTINEL_TOKEN}"}
        task = requests.get(
            f"{restarted.endpoint}/customTasks/{task_id}/", headers=headers, timeout=10
        )
        assert task.json()["name"] == "from curl"
        assert task.json()["latestVersion"]["id"] == version_id
        download = requests.get(
            f"{restarted.endpoint}/customTasks/{task_id}/versions/{version_id}/download/",
            headers=headers,
            timeout=10,
        )
        assert download.status_code == 200
        with zipfile.ZipFile(io.BytesIO(download.content)) as archive:
            assert archive.read("custom.py") == b"print('persisted')\n"
    finally:
        assert restarted.stop()[0] == 0


def test_prints_one_access_line_per_request(served: Served) -> None:
    auth = f"Authorization: Token {SENTINEL_TOKEN}"
    missing = "a" * 24
    assert _curl("-H", auth, f"{served.endpoint}/customTasks/?limit=1")[0] == 200
    assert _curl("-H", auth, f"{served.endpoint}/customTasks/{missing}/")[0] == 404
    assert _curl("-X", "PATCH", f"{served.endpoint}/customTasks/")[0] == 401
    code, err = served.stop()
    assert code == 0
    when = r"\[\d\d/[A-Z][a-z]{2}/\d{4} \d\d:\d\d:\d\d\]"
    lines = [line for line in err.splitlines() if " /api/v2/" in line]
    expected = [
        '"GET /api/v2/customTasks/?limit=1 HTTP/1.1" 200 -',
        f'"GET /api/v2/customTasks/{missing}/ HTTP/1.1" 404 -',
        '"PATCH /api/v2/customTasks/ HTTP/1.1" 401 -',
    ]
    assert len(lines) == len(expected), err
    for line, request in zip(lines, expected, strict=True):  # no colour: stderr is a pipe
        assert re.fullmatch(f"127\\.0\\.0\\.1 - - {when} {re.escape(request)}", line), line


def test_port_in_use_is_a_clear_error(served: Served) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ctask_sync", "emulator", "--port", str(served.port)],
        env=_env(),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 1
    assert result.stderr.endswith(
        f"error: cannot listen on 127.0.0.1:{served.port}\n"
        "  hint: choose another --port (0 picks a free one) or stop what uses it\n"
    )


def test_invalid_option_is_a_clear_error() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "ctask_sync",
            "emulator",
            "--port",
            "0",
            "--fail-builds-matching",
            "(",
        ],
        env=_env(),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 1
    assert result.stderr.startswith(
        "error: invalid emulator option: fail_builds_matching is not a valid regex:"
    )


def _wait_for_port(port: int, proc: subprocess.Popen[str]) -> socket.socket:
    """A connection made as soon as the port accepts one (the banner may not be out yet)."""
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the emulator exited before it listened"
        try:
            return socket.create_connection(("127.0.0.1", port), timeout=1)
        except OSError:
            time.sleep(0.01)
    raise AssertionError("the emulator never listened")


@pytest.mark.parametrize("half_sent_request", [False, True])
def test_sigterm_right_after_the_port_opens_exits_0(half_sent_request: bool) -> None:
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "ctask_sync", "emulator", "--port", str(port)],
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        with _wait_for_port(port, proc) as conn:
            if half_sent_request:  # a request being read when the signal lands
                conn.sendall(b"GET /api/v2/customTasks/ HTTP/1.1\r\nHost: x\r\n")
            proc.send_signal(signal.SIGTERM)
            started = time.monotonic()
            _, err = proc.communicate(timeout=10)
        assert proc.returncode == 0, err
        assert time.monotonic() - started < 5
        assert "Traceback" not in err
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate(timeout=15)
