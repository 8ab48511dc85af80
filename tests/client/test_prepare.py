"""Transport prepares each request as `Session.request` would: same method, URL, headers, body,
hooks and send settings, without requests' per-request merging (transport.py)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from ctask_sync.datarobot import sending
from ctask_sync.datarobot.retry import RetryPolicy
from ctask_sync.datarobot.transport import Transport
from ctask_sync.datarobot.upload import UploadFile, VersionForm


def _transport(endpoint: str = "https://dr.example/api/v2", **options: Any) -> Transport:
    return Transport(
        endpoint,
        "token-1234",
        ca_bundle=options.pop("ca_bundle", None),
        timeout=30,
        retry_policy=RetryPolicy(attempts=1),
    )


def _as_requests_would(
    transport: Transport,
    method: str,
    url: str,
    *,
    params: dict[str, Any] | None = None,
    json_body: dict[str, Any] | None = None,
    data: Any = None,
    headers: dict[str, str] | None = None,
    stream: bool = False,
) -> tuple[requests.PreparedRequest, dict[str, Any]]:
    """What requests' Session.request (2.3x) does before `send`, step for step."""
    session = transport.session
    request = requests.Request(
        method=method.upper(),
        url=url,
        headers=headers,
        files=None,
        data=data or {},
        json=json_body,
        params=params or {},
        auth=None,
        cookies=None,
        hooks=None,
    )
    prepared = session.prepare_request(request)
    settings = session.merge_environment_settings(prepared.url, {}, stream, None, None)
    return prepared, dict(settings)


def _same(mine: requests.PreparedRequest, theirs: requests.PreparedRequest) -> None:
    assert mine.method == theirs.method
    assert mine.url == theirs.url
    assert list(mine.headers.items()) == list(theirs.headers.items())  # order too
    assert mine.body == theirs.body or mine.body is theirs.body
    assert mine.hooks == theirs.hooks


def _form(tmp_path: Path) -> VersionForm:
    (tmp_path / "custom.py").write_text("def fit(): pass\n")
    return VersionForm(
        [("isMajorUpdate", "True")], [UploadFile("custom.py", tmp_path / "custom.py")]
    )


@pytest.mark.parametrize("stream", [False, True])
def test_requests_prepare_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stream: bool
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("NO_PROXY", "elsewhere.example")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/from-env.pem")
    transport = _transport()
    # a load balancer's cookie, and a hook someone registered: both reach every request
    transport.session.cookies.set("lb", "node-2", domain="dr.example", path="/")
    transport.session.hooks["response"].append(lambda response, **_: response)
    form = _form(tmp_path)
    cases: list[dict[str, Any]] = [
        {"method": "GET", "path": "customTasks/", "params": {"offset": 0, "limit": 100}},
        {"method": "GET", "path": "customTasks/", "params": {"searchFor": "é x", "skip": None}},
        {"method": "GET", "path": "https://dr.example/api/v2/customTasks/?offset=100&limit=100"},
        {"method": "POST", "path": "customTasks/", "json_body": {"name": "t", "n": [1, "ü"]}},
        {"method": "PATCH", "path": "customTasks/t1/versions/v1/", "json_body": {"a": None}},
        {"method": "DELETE", "path": "customTasks/t1/"},
        {
            "method": "POST",
            "path": "customTasks/t1/versions/",
            "data": form.encoder,
            "headers": {"Content-Type": form.content_type},
        },
    ]
    for case in cases:
        url = transport.url(case["path"])
        args = (case.get("params"), case.get("json_body"), case.get("data"), case.get("headers"))
        mine = sending.prepare(transport.session, case["method"], url, *args)
        theirs, settings = _as_requests_would(
            transport,
            case["method"],
            url,
            params=case.get("params"),
            json_body=case.get("json_body"),
            data=case.get("data"),
            headers=case.get("headers"),
            stream=stream,
        )
        _same(mine, theirs)
        assert mine.headers["Cookie"] == "lb=node-2"
        assert sending.send_settings(transport.session, stream) == settings
    proxies = {"https": "http://proxy.example:3128", "no": "elsewhere.example"}
    assert sending.send_settings(transport.session, stream)["proxies"] == proxies
    assert sending.send_settings(transport.session, stream)["verify"] == "/etc/ssl/from-env.pem"
    transport.close()


def test_a_session_header_set_to_none_is_not_sent(tmp_path: Path) -> None:
    transport = _transport()
    transport.session.headers["Accept-Encoding"] = None  # type: ignore[assignment]
    url = transport.url("customTasks/")
    mine = sending.prepare(transport.session, "GET", url, None, None, None, None)
    theirs, _ = _as_requests_would(transport, "GET", url)
    _same(mine, theirs)
    assert "Accept-Encoding" not in mine.headers
    transport.close()


@pytest.fixture
def cookie_server() -> Iterator[tuple[str, list[str | None]]]:
    """Sets a cookie on its first answer and records the Cookie header of every request."""
    seen: list[str | None] = []

    @Request.application
    def app(request: Request) -> Response:
        seen.append(request.headers.get("Cookie"))
        response = Response('{"data": [], "next": null}', content_type="application/json")
        if len(seen) == 1:
            response.set_cookie("lb", "node-2", path="/")
        return response

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    yield f"http://127.0.0.1:{server.port}/api/v2", seen
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()


def test_a_cookie_the_server_sets_comes_back_on_the_next_requests(
    cookie_server: tuple[str, list[str | None]],
) -> None:
    endpoint, seen = cookie_server
    transport = _transport(endpoint)
    for method in ("GET", "POST", "GET"):
        transport.request(method, "customTasks/", json_body={} if method == "POST" else None)
    assert seen == [None, "lb=node-2", "lb=node-2"]
    transport.close()
