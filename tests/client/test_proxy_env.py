"""The proxy variables of the environment are honoured though the transport reads them once
(transport.py): a forward proxy on loopback sees the request; NO_PROXY sends it direct."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from ctask_sync.datarobot.client import DataRobotClient
from ctask_sync.datarobot.retry import RetryPolicy
from ctask_sync.errors import ApiError

ENDPOINT = "http://datarobot.invalid/api/v2"  # .invalid never resolves (RFC 2606)


@pytest.fixture
def proxy() -> Iterator[tuple[str, list[str]]]:
    """A forward proxy that answers every request itself, and the URLs it was asked for."""
    seen: list[str] = []

    @Request.application
    def app(request: Request) -> Response:
        seen.append(request.url)
        body = '{"data": [{"id": "env1", "name": "Env", "requiredMetadataKeys": []}], "next": null}'
        return Response(body, content_type="application/json")

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    yield f"http://127.0.0.1:{server.port}", seen
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()


def _clear(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


def test_http_proxy_of_the_environment_carries_every_request(
    proxy: tuple[str, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, seen = proxy
    _clear(monkeypatch)
    monkeypatch.setenv("HTTP_PROXY", url)
    with DataRobotClient(ENDPOINT, "token-1234") as client:
        for _ in range(3):
            assert [env.id for env in client.list_execution_environments()] == ["env1"]
    assert len(seen) == 3
    assert all(u.startswith("http://datarobot.invalid/api/v2/executionEnvironments/") for u in seen)


def test_no_proxy_sends_the_request_direct(
    proxy: tuple[str, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, seen = proxy
    _clear(monkeypatch)
    monkeypatch.setenv("HTTP_PROXY", url)
    monkeypatch.setenv("NO_PROXY", "datarobot.invalid")
    retry = RetryPolicy(attempts=1, backoff=0.01, max_total=1)
    with DataRobotClient(ENDPOINT, "token-1234", retry=retry) as client, pytest.raises(ApiError):
        client.list_execution_environments()  # direct: the name does not resolve
    assert seen == []
