"""Answer bodies are read whole inside the request (sending.read_body), in large blocks: a
body the server cuts short is a lost connection that a read retries, as when requests read it."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterator

import pytest
import requests

from ctask_sync.datarobot import sending
from ctask_sync.datarobot.client import DataRobotClient
from ctask_sync.datarobot.retry import RetryPolicy
from ctask_sync.errors import ApiError

# An environment list of ~3 MB (several BODY_BLOCKs), as a 1,000-task page is.
ENVIRONMENTS = [
    {"id": f"env{n}", "name": "x" * 3000, "requiredMetadataKeys": []} for n in range(1000)
]
BODY = json.dumps({"data": ENVIRONMENTS, "next": None}).encode()


class CuttingServer:
    """A loopback HTTP server whose first `cuts` answers stop halfway through the body (the
    Content-Length promises all of it), then answers whole."""

    def __init__(self, cuts: int) -> None:
        self.cuts = cuts
        self.answered = 0
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return  # closed
            with conn:
                request = b""
                while b"\r\n\r\n" not in request:
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    request += chunk
                head = (
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(BODY)}\r\nConnection: close\r\n\r\n"
                ).encode()
                cut = self.answered < self.cuts
                self.answered += 1
                conn.sendall(head + (BODY[: len(BODY) // 2] if cut else BODY))

    def close(self) -> None:
        self._listener.close()


@pytest.fixture
def cutting() -> Iterator[Callable[[int], CuttingServer]]:
    servers: list[CuttingServer] = []

    def start(cuts: int) -> CuttingServer:
        server = CuttingServer(cuts)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


def test_a_large_body_is_read_whole(cutting: Callable[[int], CuttingServer]) -> None:
    server = cutting(0)
    endpoint = f"http://127.0.0.1:{server.port}/api/v2"
    with DataRobotClient(endpoint, "token-1234") as client:
        environments = client.list_execution_environments()
    assert [e.id for e in environments] == [e["id"] for e in ENVIRONMENTS]
    assert len(BODY) > 2 * sending.BODY_BLOCK  # the body took several blocks


def test_a_body_cut_short_is_retried_for_a_read(cutting: Callable[[int], CuttingServer]) -> None:
    server = cutting(1)
    endpoint = f"http://127.0.0.1:{server.port}/api/v2"
    policy = RetryPolicy(attempts=3, backoff=0.01, max_backoff=0.02)
    with DataRobotClient(endpoint, "token-1234", retry=policy) as client:
        environments = client.list_execution_environments()
    assert len(environments) == 1000
    assert server.answered == 2  # the cut answer, then the whole one


def test_a_body_always_cut_short_ends_in_a_clear_error(
    cutting: Callable[[int], CuttingServer],
) -> None:
    server = cutting(100)
    endpoint = f"http://127.0.0.1:{server.port}/api/v2"
    policy = RetryPolicy(attempts=3, backoff=0.01, max_backoff=0.02)
    with (
        DataRobotClient(endpoint, "token-1234", retry=policy) as client,
        pytest.raises(ApiError) as caught,
    ):
        client.list_execution_environments()
    assert "connection lost after the request was sent" in str(caught.value)
    assert server.answered == 3  # every attempt


def test_read_body_keeps_what_content_gives(cutting: Callable[[int], CuttingServer]) -> None:
    server = cutting(0)
    with requests.Session() as session:
        url = f"http://127.0.0.1:{server.port}/"
        streamed = session.get(url, stream=True)
        sending.read_body(streamed)
        assert streamed.content == BODY == session.get(url).content
        assert streamed.text == BODY.decode()
