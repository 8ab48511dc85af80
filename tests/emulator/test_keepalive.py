"""The emulator keeps HTTP/1.1 connections open when the next request can be found on them, and
closes them otherwise: raw sockets on loopback, the server's own count of accepted connections."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from ctask_sync.datarobot.client import DataRobotClient
from ctask_sync.datarobot.concurrency import Concurrency
from ctask_sync.emulator import RunningEmulator
from ctask_sync.emulator.keepalive import DRAIN_LIMIT, KeepAliveRequestHandler
from ctask_sync.emulator.server import make_emulator_server
from ctask_sync.emulator.settings import EmulatorSettings
from ctask_sync.emulator.testing import SENTINEL_TOKEN

AUTH = f"Authorization: Token {SENTINEL_TOKEN}\r\n"


def _connect(emu: RunningEmulator) -> socket.socket:
    sock = socket.create_connection((emu.host, emu.port), timeout=10)
    return sock


def _request(
    method: str, path: str, body: bytes = b"", headers: str = AUTH, version: str = "1.1"
) -> bytes:
    head = f"{method} /api/v2/{path} HTTP/{version}\r\nHost: x\r\n{headers}"
    if body:
        head += f"Content-Length: {len(body)}\r\n"
    return (head + "\r\n").encode() + body


class _Reader:
    """Reads responses off one socket, by their Content-Length."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buffer = b""

    def _fill(self) -> bool:
        data = self.sock.recv(65536)
        self.buffer += data
        return bool(data)

    def response(self) -> tuple[int, dict[str, str], bytes]:
        while b"\r\n\r\n" not in self.buffer:
            assert self._fill(), f"connection closed before a response: {self.buffer!r}"
        head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
        status_line, *lines = head.decode("latin-1").split("\r\n")
        headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}
        length = int(headers.get("content-length", "0"))
        while len(self.buffer) < length:
            assert self._fill(), "connection closed inside a body"
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        return int(status_line.split()[1]), headers, body

    def closed(self) -> bool:
        """True when the server has closed the connection (no further bytes)."""
        self.sock.settimeout(5)
        try:
            return not self.buffer and not self._fill()
        except ConnectionResetError:
            return True


def test_one_connection_serves_many_requests(emulator: RunningEmulator) -> None:
    before = emulator.connections
    with _connect(emulator) as sock:
        reader = _Reader(sock)
        for _ in range(5):
            sock.sendall(_request("GET", "customTasks/"))
            status, headers, body = reader.response()
            assert status == 200 and b'"data"' in body
            assert "connection" not in headers
    assert emulator.connections - before == 1


def test_a_body_the_app_did_not_read_is_drained_exactly(emulator: RunningEmulator) -> None:
    """A GET's body is left unread by the app, and a refused POST's is read and dropped: either
    way exactly that body goes, so the requests sent right behind it in the same packet are
    answered."""
    with _connect(emulator) as sock:
        reader = _Reader(sock)
        body = b'{"name": "x"}' * 1000
        pipelined = (
            _request("GET", "customTasks/", body)  # a GET's body: the app never reads it
            + _request("POST", "customTasks/", body, headers="")  # 401: no token
            + _request("POST", "no/such/path/", body)  # 404
            + _request("GET", "customTasks/")
        )
        sock.sendall(pipelined)
        assert reader.response()[0] == 200
        assert reader.response()[0] == 401
        assert reader.response()[0] == 404
        status, headers, _ = reader.response()
        assert status == 200 and "connection" not in headers


def test_a_large_unread_body_closes_the_connection_after_its_answer(
    emulator: RunningEmulator,
) -> None:
    """A GET's body is never read by the app; over DRAIN_LIMIT it is not drained either."""
    with _connect(emulator) as sock:
        reader = _Reader(sock)
        body = b"x" * (DRAIN_LIMIT + 10)
        sock.sendall(_request("GET", "customTasks/", body)[: -len(body)])
        sender = threading.Thread(target=_send_quietly, args=(sock, body), daemon=True)
        sender.start()
        status, headers, _ = reader.response()
        assert status == 200 and headers["connection"] == "close"
        sender.join(timeout=10)
        # As werkzeug, the server reads what still comes until the client is done sending.
        sock.shutdown(socket.SHUT_WR)
        assert reader.closed()


def test_an_over_limit_upload_is_still_answered_413(
    emulator_factory: Callable[..., RunningEmulator],
) -> None:
    emu = emulator_factory(max_upload_bytes=1000)
    with _connect(emu) as sock:
        body = b"x" * 5000
        sock.sendall(_request("POST", "customTasks/abc/versions/", body))
        status, _, payload = _Reader(sock).response()
        assert status == 413 and b"too large" in payload


def _send_quietly(sock: socket.socket, data: bytes) -> None:
    with contextlib.suppress(OSError):  # the server may close before it has read everything
        sock.sendall(data)


@pytest.mark.parametrize(
    "request_bytes",
    [
        _request("GET", "customTasks/", version="1.0"),
        _request("GET", "customTasks/", headers=AUTH + "Connection: close\r\n"),
        # a chunked body: its end is only known once read
        b"POST /api/v2/customTasks/ HTTP/1.1\r\nHost: x\r\n"
        + AUTH.encode()
        + b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
        + b"2\r\n{}\r\n0\r\n\r\n",
    ],
    ids=["http-1.0", "connection-close", "chunked-body"],
)
def test_requests_that_cannot_keep_the_connection_close_it(
    emulator: RunningEmulator, request_bytes: bytes
) -> None:
    with _connect(emulator) as sock:
        reader = _Reader(sock)
        sock.sendall(request_bytes)
        status, headers, _ = reader.response()
        assert status in (200, 422)
        assert headers.get("connection") == "close"
        assert reader.closed()


def test_a_dropped_connection_fault_still_drops_it(emulator: RunningEmulator, admin: Any) -> None:
    admin.fault(method="GET", path=r"customTasks/$", drop=True)
    with _connect(emulator) as sock:
        reader = _Reader(sock)
        sock.sendall(_request("GET", "customTasks/"))
        assert reader.closed()
    with _connect(emulator) as sock:  # the next connection is served as usual
        sock.sendall(_request("GET", "customTasks/"))
        assert _Reader(sock).response()[0] == 200


def test_an_idle_connection_is_closed_quietly(
    emulator: RunningEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(KeepAliveRequestHandler, "idle_timeout", 0.3)
    with _connect(emulator) as sock:
        reader = _Reader(sock)
        sock.sendall(_request("GET", "customTasks/"))
        assert reader.response()[0] == 200
        started = time.monotonic()
        assert reader.closed()
        assert time.monotonic() - started < 4


def test_stop_returns_promptly_with_an_idle_client_connected(
    emulator_factory: Callable[..., RunningEmulator],
) -> None:
    emu = emulator_factory()
    with _connect(emu) as sock:
        sock.sendall(_request("GET", "customTasks/"))
        assert _Reader(sock).response()[0] == 200
        started = time.monotonic()
        emu.stop()
        assert time.monotonic() - started < 3


def test_ctask_sync_s_client_reuses_its_connections(emulator: RunningEmulator) -> None:
    """Forty task creations, eight at a time: a handful of connections, not forty."""
    before = emulator.connections
    with DataRobotClient(
        emulator.endpoint, SENTINEL_TOKEN, concurrency=Concurrency(start=8, cap=8)
    ) as client:
        threads = [
            threading.Thread(
                target=lambda n=n: [
                    client.create_custom_task(
                        name=f"t{n}-{i}", target_type="Transform", language="python", description=""
                    )
                    for i in range(5)
                ]
            )
            for n in range(8)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert len(client.list_custom_tasks()) == 40
    assert emulator.connections - before <= 9


def test_kept_connections_send_without_nagle_s_delay() -> None:
    """A response is written as headers, then body: with Nagle's algorithm on, a kept-alive
    connection would hold the body until the client ACKs the headers (up to 40 ms a request).
    The server's own socket says whether it is off."""
    server, app = make_emulator_server(EmulatorSettings(), "127.0.0.1", 0)
    seen: list[int] = []

    def recording(environ: dict[str, Any], start_response: Any) -> Any:
        sock = environ["werkzeug.socket"]
        seen.append(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
        return app(environ, start_response)

    server.app = recording
    with RunningEmulator(server, app) as emu, _connect(emu) as sock:
        sock.sendall(_request("GET", "customTasks/"))
        assert _Reader(sock).response()[0] == 200
    assert seen and all(seen)
