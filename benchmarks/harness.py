"""The benchmark's plumbing: an emulator in its own process, measured tool runs, traffic counts.

The emulator runs as a separate `ctask-sync emulator` process so its CPU and memory never count
against the tool being measured, and both tools face the same server code. Traffic is counted
from the emulator's request log (the server's view), not from what a tool says it sent.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parent


def project_env(base: dict[str, str] | None = None) -> dict[str, str]:
    """An environment whose `python -m ctask_sync` is this checkout's, installed or not."""
    env = dict(os.environ if base is None else base)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(PROJECT), env.get("PYTHONPATH")) if p)
    return env


WRITE_METHODS = frozenset({"POST", "PATCH", "PUT", "DELETE"})


class BenchError(Exception):
    """A benchmark step failed (a tool exited non-zero, the emulator did not start, ...)."""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _vm_hwm_bytes(pid: int) -> int | None:
    """Peak resident set of a live process (Linux /proc), None when unavailable."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


class EmulatorProcess:
    """`ctask-sync emulator` in a child process on a free loopback port."""

    def __init__(
        self,
        *,
        latency_ms: float,
        build_seconds: float,
        state_dir: Path | None = None,
        log_path: Path,
    ) -> None:
        self.port = _free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}/api/v2"
        self.admin_url = f"http://127.0.0.1:{self.port}/_emulator"
        argv = [
            sys.executable, "-m", "ctask_sync", "emulator",
            "--host", "127.0.0.1", "--port", str(self.port),
            "--latency-ms", str(latency_ms), "--build-seconds", str(build_seconds),
        ]  # fmt: skip
        if state_dir is not None:
            argv += ["--state", str(state_dir)]
        # The emulator's own output, for a post-mortem when a run fails; closed in stop().
        self.log_path = log_path
        self._log = log_path.open("wb")
        self.process = subprocess.Popen(
            argv, stdout=self._log, stderr=subprocess.STDOUT, env=project_env()
        )
        self._session = requests.Session()
        self._wait_ready()

    def _wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchError(f"the emulator exited with {self.process.returncode} at start")
            try:
                if self._session.get(f"{self.admin_url}/settings", timeout=2).ok:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.1)
        self.stop()
        raise BenchError(f"the emulator did not answer on port {self.port} within {timeout} s")

    def request_log(self) -> list[dict[str, Any]]:
        """Every /api/v2 request the emulator served since the last clear, in order."""
        response = self._session.get(f"{self.admin_url}/requests", timeout=30)
        response.raise_for_status()
        entries: list[dict[str, Any]] = response.json()["requests"]
        return entries

    def clear_log(self) -> None:
        """Forget the requests served so far."""
        self._session.delete(f"{self.admin_url}/requests", timeout=30).raise_for_status()

    def settings(self) -> dict[str, Any]:
        """The emulator's current settings (GET /_emulator/settings)."""
        response = self._session.get(f"{self.admin_url}/settings", timeout=30)
        response.raise_for_status()
        data: dict[str, Any] = response.json()
        return data

    def change_settings(self, **changes: Any) -> None:
        """Change live settings (latency_ms, build_seconds, ...)."""
        response = self._session.patch(f"{self.admin_url}/settings", json=changes, timeout=30)
        response.raise_for_status()

    def api_get(self, path: str, token: str) -> Any:
        """GET an API path (relative to the endpoint); shows up in the request log."""
        response = self._session.get(
            f"{self.endpoint}/{path}", headers={"Authorization": f"Token {token}"}, timeout=30
        )
        response.raise_for_status()
        return response.json()

    def peak_rss_bytes(self) -> int | None:
        """The emulator process's own peak resident set so far."""
        return _vm_hwm_bytes(self.process.pid)

    def stop(self) -> None:
        """Terminate the emulator and wait for it."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._session.close()
        self._log.close()

    def __enter__(self) -> EmulatorProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


@dataclass
class Traffic:
    """What the server saw: request counts and request-body bytes."""

    reads: int = 0
    writes: int = 0
    bytes_up: int = 0  # every request body the server received (multipart and JSON)
    by_route: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return self.reads + self.writes

    @classmethod
    def from_log(cls, entries: list[dict[str, Any]]) -> Traffic:
        """Count reads, writes and uploaded bytes from emulator request-log entries."""
        traffic = cls()
        for entry in entries:
            method = str(entry["method"]).upper()
            if method in WRITE_METHODS:
                traffic.writes += 1
            else:
                traffic.reads += 1
            traffic.bytes_up += int(entry.get("request_bytes") or 0)
            route = f"{method} {_route(str(entry['path']))}"
            traffic.by_route[route] = traffic.by_route.get(route, 0) + 1
        return traffic


def _route(path: str) -> str:
    """/api/v2/customTasks/abc123/versions/ -> customTasks/{id}/versions/ (ids folded)."""
    parts = path.removeprefix("/api/v2/").split("/")
    folded = ["{id}" if len(p) >= 16 and p.isalnum() and not p.isalpha() else p for p in parts]
    return "/".join(folded)


@dataclass
class ToolRun:
    """One measured run of a tool subprocess."""

    returncode: int
    wall_seconds: float
    peak_rss_bytes: int
    stdout: str
    stderr: str
    started_at: float = 0.0  # epoch seconds, to line up with the server's timestamps
    ended_at: float = 0.0


def run_measured(argv: list[str], *, env: dict[str, str], cwd: Path, timeout: float) -> ToolRun:
    """Run argv under the RSS launcher; wall time and peak RSS are the command's own."""
    with tempfile.TemporaryDirectory() as tmp:
        result_file = Path(tmp) / "result.json"
        started_at = time.time()
        # Its own process group, so a timeout ends the launcher and the tool it started.
        process = subprocess.Popen(
            [sys.executable, str(HERE / "rss_launcher.py"), str(result_file), *argv],
            env=env,
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        try:
            stdout, stderr = process.communicate(timeout=timeout)
            ended_at = time.time()
        except subprocess.TimeoutExpired as exc:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            raise BenchError(f"{' '.join(argv[:5])} ... took longer than {timeout:.0f} s") from exc
        result = json.loads(result_file.read_text())
    return ToolRun(
        returncode=int(result["returncode"]),
        wall_seconds=float(result["wall_seconds"]),
        peak_rss_bytes=int(result["peak_rss_bytes"]),
        stdout=stdout,
        stderr=stderr,
        started_at=started_at,
        ended_at=ended_at,
    )
