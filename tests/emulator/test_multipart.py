"""The emulator's multipart parser finds, accepts and rejects exactly what werkzeug's does."""

from __future__ import annotations

import io
import random
import re
from typing import Any

import pytest
import requests
from werkzeug.sansio.multipart import MultipartDecoder
from werkzeug.wrappers import Request

from ctask_sync.emulator.multipart import (
    BoundarySearch,
    EmulatorMultipartDecoder,
    EmulatorMultiPartParser,
)
from ctask_sync.emulator.uploads import parse_version_form
from ctask_sync.emulator.web import ApiFailure, EmulatorRequest

BOUNDARIES = [b"abc", b"----WebKitFormBoundary7MA4YWxk", b"-", b"a-b", b"x" * 70, b"9f3c1d"]


def _regexes(boundary: bytes) -> tuple[re.Pattern[bytes], re.Pattern[bytes]]:
    """werkzeug's own two patterns for this boundary, from its decoder."""
    stock = MultipartDecoder(boundary)
    return stock.preamble_re, stock.boundary_re


def _found(match: Any) -> tuple[int, int, bytes] | None:
    return None if match is None else (match.start(), match.end(), bytes(match.group(1)))


@pytest.mark.parametrize("boundary", BOUNDARIES)
def test_boundary_search_matches_werkzeugs_regexes(boundary: bytes) -> None:
    preamble_re, boundary_re = _regexes(boundary)
    ours_preamble = BoundarySearch(boundary, line_break_optional=True)
    ours_boundary = BoundarySearch(boundary, line_break_optional=False)
    pieces = [b"\r", b"\n", b"\r\n", b"--", b"-", b" ", b"\t", b"\x0b", b"a", b"x", boundary]
    pieces += [boundary[: len(boundary) // 2], boundary[1:], b"--" + boundary] * 3
    pieces += [b"\r\n--" + boundary, b"\n--" + boundary + b"--"]
    rng = random.Random(17)
    preamble_hits = boundary_hits = 0
    for _ in range(6000):
        data = bytearray(b"".join(rng.choice(pieces) for _ in range(rng.randrange(0, 14))))
        pos = rng.choice([0, rng.randrange(0, len(data) + 1)])
        expected = _found(preamble_re.search(data, pos))
        assert _found(ours_preamble.search(data, pos)) == expected, (data, pos)
        expected_boundary = _found(boundary_re.search(data))
        assert _found(ours_boundary.search(data)) == expected_boundary, data
        assert _found(ours_boundary.search(bytes(data))) == expected_boundary, data
        preamble_hits += expected is not None
        boundary_hits += expected_boundary is not None
    # the generated buffers really hold boundaries, found and not
    assert 1000 < preamble_hits < 5000
    assert 1000 < boundary_hits < 5000


def test_decoder_state_is_werkzeugs_but_for_the_two_searches() -> None:
    boundary = b"----WebKitFormBoundary7MA4YWxk"
    stock = vars(MultipartDecoder(boundary, 1000, max_parts=5))
    ours = vars(EmulatorMultipartDecoder(boundary, 1000, max_parts=5))
    assert isinstance(ours.pop("preamble_re"), BoundarySearch)
    assert isinstance(ours.pop("boundary_re"), BoundarySearch)
    del stock["preamble_re"], stock["boundary_re"]
    assert ours == stock


def test_the_parser_uses_the_emulators_decoder() -> None:
    assert EmulatorMultiPartParser.parse.__globals__["MultipartDecoder"] is EmulatorMultipartDecoder
    assert EmulatorRequest.form_data_parser_class.__name__ == "EmulatorFormDataParser"


class _StockRequest(Request):
    """werkzeug's own parser with the emulator's part limit."""

    max_form_parts = EmulatorRequest.max_form_parts


def _environ(body: bytes, content_type: str) -> dict[str, Any]:
    return {
        "REQUEST_METHOD": "POST",
        "CONTENT_TYPE": content_type,
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        "PATH_INFO": "/api/v2/customTasks/x/versions/",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "wsgi.url_scheme": "http",
    }


def _outcome(cls: type[Request], body: bytes, content_type: str) -> object:
    request = cls(_environ(body, content_type))
    try:
        form = list(request.form.items(multi=True))
        files = [(n, f.filename, f.read()) for n, f in request.files.items(multi=True)]
    except Exception as exc:  # the same failure counts as the same outcome
        return ("raised", type(exc).__name__, str(exc))
    request = cls(_environ(body, content_type))
    try:
        version = parse_version_form(request, from_previous=True)
        parsed: object = [(u.path, u.filename, u.stream.read()) for u in version.files]
    except ApiFailure as failure:
        parsed = (failure.status, failure.message, failure.errors)
    return form, files, parsed


def _bodies() -> list[tuple[bytes, str]]:
    boundary = "9f3c1d2e"
    crlf = f"multipart/form-data; boundary={boundary}"
    big = (b"x\r\n--9f3c1d\r\n--9f3c1d2" * 4000) + b"\r"  # boundary lookalikes across chunks
    fields = [
        ("isMajorUpdate", (None, "true")),
        ("baseEnvironmentId", (None, "5e8c889607389fe0f466c72d")),
        ("filesToDelete", (None, "6b11")),
        ("file", ("custom.py", b"print('hi')\r\n--not-a-boundary\r\n")),
        ("filePath", (None, "custom.py")),
        ("file", ("big.bin", big)),
        ("filePath", (None, "data/big.bin")),
    ]
    prepared = requests.Request("POST", "http://x/", files=fields).prepare()
    real = (t_bytes(prepared.body), str(prepared.headers["Content-Type"]))
    part = (
        f"--{boundary}\r\nContent-Disposition: form-data; name=isMajorUpdate\r\n\r\ntrue\r\n"
        f'--{boundary}\r\nContent-Disposition: form-data; name="baseEnvironmentId"\r\n\r\nenv\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.py"\r\n'
        "Content-Type: text/plain\r\n\r\nbody\r\n"
        f'--{boundary}\r\nContent-Disposition: form-data; name="filePath"\r\n\r\na.py\r\n'
        f"--{boundary}--\r\n"
    )
    bodies = [
        real,
        (part.encode(), crlf),
        (b"preamble\r\n" + part.encode() + b"epilogue", crlf),
        (part.replace("\r\n", "\n").encode(), crlf),
        (part.replace("\r\n", "\r").encode(), crlf),
        (part.replace(f"--{boundary}\r\n", f"--{boundary}  \t\r\n").encode(), crlf),
        (part.replace(f"--{boundary}--\r\n", f"--{boundary}--").encode(), crlf),
        (part.replace(f"--{boundary}--\r\n", "").encode(), crlf),
        (part.replace("Content-Disposition: form-data; name=isMajorUpdate\r\n", "").encode(), crlf),
        (part.replace("\r\n--", "--", 1).encode(), crlf),
        (part[: len(part) // 2].encode(), crlf),
        (part.encode(), "multipart/form-data; boundary=other"),
        (part.encode(), "multipart/form-data"),
        (f"--{boundary}--\r\n".encode(), crlf),
        (b"", crlf),
        (part.replace(boundary, "9f3c1d2").encode(), crlf),
        (part.replace("\r\n\r\n", "\r\n \r\n", 1).encode(), crlf),
    ]
    return bodies


def t_bytes(body: object) -> bytes:
    assert isinstance(body, bytes)
    return body


@pytest.mark.parametrize("index", range(len(_bodies())))
def test_forms_parse_and_fail_as_with_werkzeugs_parser(index: int) -> None:
    body, content_type = _bodies()[index]
    ours = _outcome(EmulatorRequest, body, content_type)
    assert ours == _outcome(_StockRequest, body, content_type)


def test_the_fast_parser_is_used_while_it_parses_as_werkzeugs_does(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Against a werkzeug whose decoder no longer reads the two patterns this module swaps in
    (a later release), the emulator falls back to werkzeug's own parser."""
    from ctask_sync.emulator import multipart

    assert multipart.form_data_parser_class() is multipart.EmulatorFormDataParser
    assert EmulatorRequest.form_data_parser_class is multipart.EmulatorFormDataParser
    # a decoder that ignores the swapped-in searches and keeps the placeholder's patterns
    monkeypatch.setattr(
        EmulatorMultipartDecoder,
        "__init__",
        lambda self, boundary, *a, **k: MultipartDecoder.__init__(
            self, multipart._PLACEHOLDER_BOUNDARY, *a, **k
        ),
    )
    assert multipart.form_data_parser_class() is multipart.FormDataParser
