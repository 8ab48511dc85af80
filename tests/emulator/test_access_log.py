"""The foreground emulator's access line is the line werkzeug's own handler prints."""

from __future__ import annotations

import logging
import os
import re
import sys
from collections.abc import Iterator

import pytest
from werkzeug.serving import WSGIRequestHandler

from ctask_sync.emulator.access_log import AccessLogRequestHandler, styled

ANSI = re.compile(r"\x1b\[[0-9]+m")
WHEN = "03/Dec/2026 05:37:07"

REQUEST_LINES = [
    ("GET", "/api/v2/customTasks/", "HTTP/1.1"),
    ("PATCH", "/api/v2/customTasks/6b11/versions/6b12/", "HTTP/1.1"),
    ("POST", "/api/v2/customTasks/6b11/versions/", "HTTP/1.0"),
    ("GET", "/api/v2/customTasks/?offset=0&limit=100", "HTTP/1.1"),
    ("GET", "/api/v2/a%20b/%2F/%C3%A9/", "HTTP/1.1"),
    ("GET", "/api/v2/%01%7f%c2%85/", "HTTP/1.1"),
    ("GET", "/api/v2/back\\slash/", "HTTP/1.1"),
    ("GET", "//double/slash", "HTTP/1.1"),
    ("GET", "/tab\there/é", "HTTP/1.1"),
    ("GET", "http://example.com/api/v2/", "HTTP/1.1"),
    ("G\x01T", "/api/v2/", "HTTP/1.1"),
    ("GET", "/api/v2/", "HTTP/9.9x"),
    ("GET", "/api/v2/#frag", "HTTP/1.1"),
    ("GET", "/api/v2/?", "HTTP/1.1"),
]
CODES: list[int | str] = [100, 200, 201, 204, 301, 304, 400, 401, 404, 413, 422, 500, 503, "-"]


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest.fixture
def werkzeug_lines() -> Iterator[_Records]:
    logger = logging.getLogger("werkzeug")
    records = _Records()
    level = logger.level
    logger.addHandler(records)
    logger.setLevel(logging.INFO)
    yield records
    logger.removeHandler(records)
    logger.setLevel(level)


def _handler(
    cls: type[WSGIRequestHandler], line: tuple[str, str, str] | None
) -> WSGIRequestHandler:
    """A handler as http.server leaves it after parse_request, without a socket."""
    handler = cls.__new__(cls)
    handler.client_address = ("127.0.0.1", 50123)
    handler.log_date_time_string = lambda: WHEN  # type: ignore[method-assign]
    if line is None:  # a bad request line: http.server sets no path
        handler.requestline = "BAD\x02 line"
        handler.command = None  # type: ignore[assignment]
        handler.request_version = "HTTP/0.9"
    else:
        handler.command, handler.path, handler.request_version = line
        handler.requestline = " ".join(line)
    return handler


@pytest.mark.parametrize("line", [*REQUEST_LINES, None])
def test_line_is_werkzeugs_without_colour_when_stderr_is_not_a_tty(
    line: tuple[str, str, str] | None,
    werkzeug_lines: _Records,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for code in CODES:
        _handler(WSGIRequestHandler, line).log_request(code)
        _handler(AccessLogRequestHandler, line).log_request(code)
    ours = capsys.readouterr().err.splitlines()
    theirs = [ANSI.sub("", text) for text in werkzeug_lines.lines]
    assert len(theirs) == len(CODES)
    assert ours == theirs


def test_colours_on_a_terminal_are_werkzeugs(
    werkzeug_lines: _Records, monkeypatch: pytest.MonkeyPatch
) -> None:
    leader, follower = os.openpty()
    terminal = os.fdopen(follower, "w")
    monkeypatch.setattr(sys, "stderr", terminal)
    try:
        for code in CODES:
            _handler(WSGIRequestHandler, REQUEST_LINES[1]).log_request(code)
            _handler(AccessLogRequestHandler, REQUEST_LINES[1]).log_request(code)
        terminal.flush()
        written = b""
        while written.count(b"\n") < len(CODES):
            written += os.read(leader, 65536)
    finally:
        terminal.close()
        os.close(leader)
    ours = written.decode().replace("\r\n", "\n").splitlines()
    assert ours == werkzeug_lines.lines
    assert any("\x1b[" in text for text in ours)  # the terminal really got colours


def test_styled_matches_werkzeug_for_each_status() -> None:
    assert styled("GET / HTTP/1.1", "200") == "GET / HTTP/1.1"
    assert styled("GET / HTTP/1.1", "404") == "\x1b[33mGET / HTTP/1.1\x1b[0m"
    assert styled("GET / HTTP/1.1", "422") == "\x1b[31m\x1b[1mGET / HTTP/1.1\x1b[0m"
    assert styled("GET / HTTP/1.1", "201") == "\x1b[35m\x1b[1mGET / HTTP/1.1\x1b[0m"
