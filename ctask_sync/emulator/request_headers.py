"""Request headers read without the email package, for the header blocks that HTTP clients send.

http.server hands every request's header block to email.parser (~50-110 us a request, a large
share of the emulator's CPU in the benchmark). A block where every line is a plain
`Name: value` (visible ASCII, CRLF endings, no folding) and whose Content-Type is not message/*
parses here into the same HTTPMessage, built with the same `set_raw` calls and, for multipart,
the same defects; any other block, and everything else in parse_request, stays the stdlib's."""

from __future__ import annotations

import email.message
import email.parser
import http.client
import re
import types
import typing as t
from email import errors
from http.server import BaseHTTPRequestHandler

from werkzeug.serving import WSGIRequestHandler

# A header line email.parser reads as one header: a name of the characters its headerRE allows
# (printable ASCII but ':'), then a value with no character str.splitlines would break at.
_PLAIN_HEADER = re.compile(rb"([!-9;-~]+):[ \t]*([\t -~]*)\r\n")

_read_headers: t.Callable[[t.Any], list[bytes]] | None = getattr(http.client, "_read_headers", None)


def plain_message(
    lines: list[bytes], message_class: type[http.client.HTTPMessage]
) -> http.client.HTTPMessage | None:
    """The message email.parser would build from these header lines (the blank line last);
    None when a line is not plain, so the caller asks email.parser."""
    if not lines or lines[-1] != b"\r\n":
        return None
    message = message_class()
    for line in lines[:-1]:
        plain = _PLAIN_HEADER.fullmatch(line)
        if plain is None:
            return None
        # compat32's header_source_parse: the value after leading blanks, up to the line break
        message.set_raw(plain[1].decode("ascii"), plain[2].decode("ascii"))
    maintype = message.get_content_maintype()
    if maintype == "message":  # email.parser builds nested messages even from no body
        return None
    if maintype == "multipart":
        _no_multipart_body(message)
    else:
        message.set_payload("")
    return message


def _no_multipart_body(message: email.message.Message) -> None:
    """What email.parser's FeedParser makes of a multipart header block with no body after it
    (the defects it notes, its payload and epilogue), without compiling a regex for the
    boundary as it does."""
    policy = message.policy
    if message.get_boundary() is None:
        policy.handle_defect(message, errors.NoBoundaryInMultipartDefect())
        message.set_payload("")
    else:
        encoding = str(message.get("content-transfer-encoding", "8bit")).lower()
        if encoding not in ("7bit", "8bit", "binary"):
            policy.handle_defect(message, errors.InvalidMultipartContentTransferEncodingDefect())
        policy.handle_defect(message, errors.StartBoundaryNotFoundDefect())
        message.set_payload("")
        message.epilogue = ""
    # FeedParser.close: a multipart message whose payload is not a list of parts
    policy.handle_defect(message, errors.MultipartInvariantViolationDefect())


def parse_headers(
    fp: t.Any, _class: type[http.client.HTTPMessage] = http.client.HTTPMessage
) -> http.client.HTTPMessage:
    """http.client.parse_headers: the same limits, errors and message."""
    assert _read_headers is not None
    lines = _read_headers(fp)  # raises LineTooLong and HTTPException as the stdlib does
    message = plain_message(lines, _class)
    if message is not None:
        return message
    text = b"".join(lines).decode("iso-8859-1")
    parsed: http.client.HTTPMessage = email.parser.Parser(_class=_class).parsestr(text)
    return parsed


class _HttpClient:
    """http.client, but for parse_headers."""

    parse_headers = staticmethod(parse_headers)

    def __getattr__(self, name: str) -> t.Any:
        return getattr(http.client, name)


class _Http:
    """The `http` package as http.server's parse_request sees it: its client is _HttpClient."""

    client = _HttpClient()

    def __getattr__(self, name: str) -> t.Any:
        return getattr(http, name)


def _parse_request() -> t.Callable[..., bool]:
    """The stdlib's own parse_request, reading `http.client.parse_headers` as ours."""
    stdlib = t.cast(types.FunctionType, BaseHTTPRequestHandler.parse_request)
    if _read_headers is None:  # a Python whose http.client is laid out differently
        return stdlib
    names = {**stdlib.__globals__, "http": _Http()}
    return types.FunctionType(stdlib.__code__, names, stdlib.__name__, stdlib.__defaults__)


class EmulatorRequestHandler(WSGIRequestHandler):
    """werkzeug's request handler with plain header blocks parsed without email.parser."""

    parse_request = _parse_request()
