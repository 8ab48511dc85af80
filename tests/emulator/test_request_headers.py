"""Request headers: the emulator's reader builds what http.client's parse_headers builds, and a
served emulator answers odd header blocks as werkzeug's stock handler does."""

from __future__ import annotations

import email.message
import http.client
import io
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from ctask_sync.emulator.request_headers import EmulatorRequestHandler, parse_headers, plain_message

PLAIN = b"Host: 127.0.0.1:8080\r\nUser-Agent: python-requests/2.32\r\nAccept: */*\r\n"
MIXED = b"Content-Type: multipart/mixed; boundary=x\r\n"
BLOCKS = [
    b"\r\n",
    b"\n",
    b"",
    PLAIN + b"\r\n",
    PLAIN + b"Authorization: Token  abc \t\r\nContent-Length: 12\r\n\r\n",
    PLAIN + b"X-Empty:\r\nX-Blank:   \r\nX-Dup: 1\r\nx-dup: 2\r\n\r\n",
    PLAIN + b"Content-Type: application/json\r\n\r\n",
    PLAIN + b"Content-Type: multipart/form-data; boundary=abc\r\n\r\n",
    PLAIN + b"Content-Type: Multipart/form-data\r\n\r\n",
    PLAIN + b'Content-Type: multipart/form-data; boundary="a b;c"\r\n\r\n',
    PLAIN + b'Content-Type: multipart/form-data; boundary=""\r\n\r\n',
    PLAIN + b"Content-Type: multipart/form-data; boundary*=utf-8''a%20b\r\n\r\n",
    PLAIN
    + b"Content-Type: multipart/mixed; boundary=x\r\nContent-Transfer-Encoding: base64\r\n\r\n",
    PLAIN
    + b"Content-Type: multipart/mixed; boundary=x\r\nContent-Transfer-Encoding: BINARY\r\n\r\n",
    PLAIN + b"Content-Type: multipart\r\n\r\n",
    PLAIN + b"Content-Type: multipart/form-data/x; boundary=b\r\n\r\n",
    PLAIN + b"Content-Type: multipart/mixed; boundary=x\r\nContent-Type: text/plain\r\n\r\n",
    PLAIN + b"Content-Type: message/rfc822\r\n\r\n",
    PLAIN + b"Content-Type: message/delivery-status\r\n\r\n",
    PLAIN + b"Content-Type: text/plain\r\nContent-Type: multipart/mixed\r\n\r\n",
    PLAIN + b"X-Folded: one\r\n two\r\n\ttwo and a half\r\n\r\n",
    b" leading: continuation\r\n" + PLAIN + b"\r\n",
    PLAIN + b"no colon here\r\nX-After: 1\r\n\r\n",
    PLAIN + b": empty name\r\n\r\n",
    PLAIN + b"Bad Name: space\r\n\r\n",
    PLAIN + b"X-CR: a\rb\r\n\r\n",
    PLAIN + b"X-VT: a\x0bb\r\n\r\n",
    PLAIN + b"X-NEL: a\x85b\r\n\r\n",
    PLAIN + b"X-Latin: caf\xe9\r\n\r\n",
    PLAIN + b"X-Del: a\x7fb\r\n\r\n",
    PLAIN + b"X-LF-only: 1\n\n",
    PLAIN + b"X-Mixed: 1\n\r\n",
    b"From nobody Thu Dec  3 05:00:00 2026\r\n" + PLAIN + b"\r\n",
    b"From: someone\r\n" + PLAIN + b"\r\n",
    PLAIN + b"X-Colon: a:b::c\r\n\r\n",
    PLAIN,  # no blank line: the connection ended
    PLAIN + b"\r\nbody: not a header\r\n",
]


def _shape(message: Any) -> object:
    """Everything a Message holds, nested messages included, defects by type."""
    if not isinstance(message, email.message.Message):
        return message
    state = dict(vars(message))
    state["defects"] = [type(d).__name__ for d in message.defects]
    payload = state.pop("_payload")
    state["_payload"] = [_shape(p) for p in payload] if isinstance(payload, list) else payload
    return state


@pytest.mark.parametrize("block", BLOCKS)
def test_messages_are_http_clients(block: bytes) -> None:
    stock_fp = io.BytesIO(block + b"after")
    stock = http.client.parse_headers(stock_fp)
    fp = io.BytesIO(block + b"after")
    ours = parse_headers(fp)
    assert type(ours) is type(stock)
    assert _shape(ours) == _shape(stock)
    assert fp.read() == stock_fp.read()  # the body is left where the stdlib leaves it


def test_plain_blocks_skip_email_parser() -> None:
    lines = io.BytesIO(PLAIN + b"\r\n").readlines()
    assert plain_message(lines, http.client.HTTPMessage) is not None
    lines = io.BytesIO(PLAIN + b"X-Folded: a\r\n b\r\n\r\n").readlines()
    assert plain_message(lines, http.client.HTTPMessage) is None


@pytest.mark.parametrize(
    "block",
    [PLAIN + b"X-Long: " + b"a" * 70000 + b"\r\n\r\n", PLAIN * 40 + b"\r\n"],
    ids=["line too long", "too many headers"],
)
def test_limits_raise_as_http_client(block: bytes) -> None:
    with pytest.raises(http.client.HTTPException) as stock:
        http.client.parse_headers(io.BytesIO(block))
    with pytest.raises(http.client.HTTPException) as ours:
        parse_headers(io.BytesIO(block))
    assert type(ours.value) is type(stock.value)
    assert str(ours.value) == str(stock.value)


def _echo(environ: dict[str, Any], start_response: Any) -> Any:
    """Answers with every header the WSGI environ got, so a wrong parse shows in the body."""
    request = Request(environ)
    text = "\n".join(
        f"{k}={v}" for k, v in sorted(environ.items()) if k.isupper() and k != "REMOTE_PORT"
    )
    body = f"{text}\nbody={request.get_data()!r}"
    return Response(body)(environ, start_response)


@pytest.fixture
def servers() -> Iterator[tuple[int, int]]:
    running = []
    for handler in (WSGIRequestHandler, EmulatorRequestHandler):
        server = make_server("127.0.0.1", 0, _echo, threaded=True, request_handler=handler)
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
        thread.start()
        running.append((server, thread))
    yield running[0][0].port, running[1][0].port
    for server, thread in running:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


def _exchange(port: int, raw: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(raw)
        sock.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    lines = answer.split(b"\r\n")
    # Date and the ports differ between the two servers; nothing else may.
    kept = [ln for ln in lines if not ln.startswith((b"Date:", b"Server:"))]
    return b"\r\n".join(kept).replace(str(port).encode(), b"PORT")


REQUESTS = [
    b"GET /api/v2/ HTTP/1.1\r\n" + PLAIN + b"\r\n",
    b"POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n\r\nhello",
    b"POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n"
    b"Content-Type: multipart/form-data; boundary=b\r\n\r\nabc",
    b"GET /x HTTP/1.1\r\nHost: h\r\nX-Folded: a\r\n b\r\n\r\n",
    b"GET /x HTTP/1.1\r\nHost: h\r\nX-Under_score: 1\r\nX-Dup: 1\r\nX-Dup: 2\r\n\r\n",
    b"GET /x HTTP/1.1\r\nHost: h\r\nno colon\r\nX-Lost: 1\r\n\r\n",
    b"GET /x HTTP/1.1\r\nHost: h\r\nX-Latin: caf\xe9\r\n\r\n",
    b"GET /x HTTP/1.1\r\nHost: h\r\nX-Long: " + b"a" * 70000 + b"\r\n\r\n",
    b"GET /x HTTP/1.1\r\n" + b"X-Many: 1\r\n" * 120 + b"\r\n",
    b"GET /x HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nok",
    b"GET /x HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
    b"POST /x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
    b"GET /x HTTP/2.0\r\nHost: h\r\n\r\n",
    b"GET /x HTTP/1.x\r\n\r\n",
    b"BAD\r\n\r\n",
    b"GET //double/slash HTTP/1.1\r\nHost: h\r\n\r\n",
]


@pytest.mark.parametrize("raw", REQUESTS)
def test_served_answers_are_werkzeugs(servers: tuple[int, int], raw: bytes) -> None:
    stock, ours = servers
    expected = _exchange(stock, raw)
    assert expected  # an HTTP/0.9-style error page has no status line, as the stdlib sends it
    assert _exchange(ours, raw) == expected
