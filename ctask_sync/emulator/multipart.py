"""werkzeug's multipart form parser without two regex compilations per request.

werkzeug's MultipartDecoder compiles two regexes around each request's boundary; every upload
has a new boundary, so `re`'s cache never hits, and compiling them was ~40% of parsing a version
upload. Here the same two searches are a bytes.find for `--<boundary>` plus checks around it
with fixed, precompiled patterns: the same matches (tests compare them with werkzeug's regexes on
generated buffers), so the parser accepts and rejects exactly what werkzeug's does.

This leans on werkzeug's internals (the decoder's two pattern attributes, the parse function's
globals). `form_data_parser_class()` checks once that they still work as here, on a body with
every kind of part a version upload has; against a werkzeug that differs it gives werkzeug's
own parser, slower but never wrong."""

from __future__ import annotations

import io
import re
import types
import typing as t

from werkzeug import formparser
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.formparser import FormDataParser, MultiPartParser
from werkzeug.sansio.multipart import MultipartDecoder

ParseResult = tuple[t.IO[bytes], MultiDict[str, str], MultiDict[str, FileStorage]]

# The tail of werkzeug's boundary patterns: `--` and optional whitespace and line break for the
# last boundary, or whitespace and a line break for the others.
_TAIL = re.compile(rb"(--[^\S\n\r]*(?:\r\n|\n|\r)?|[^\S\n\r]*(?:\r\n|\n|\r))")
_CR, _LF = 13, 10


class BoundaryMatch:
    """The parts of an `re.Match` that MultipartDecoder reads: start(), end(), group(1)."""

    __slots__ = ("_end", "_start", "_tail")

    def __init__(self, start: int, end: int, tail: bytes) -> None:
        self._start, self._end, self._tail = start, end, tail

    def start(self) -> int:
        return self._start

    def end(self) -> int:
        return self._end

    def group(self, index: int) -> bytes:
        if index != 1:
            raise IndexError("only group 1 (the boundary's tail) is kept")
        return self._tail


class BoundarySearch:
    """`re.compile(rb"LB--<boundary>(tail)").search`, LB optional for the preamble's boundary.

    LB is werkzeug's line break, `\\r\\n|\\n|\\r`. The leftmost match is the first occurrence of
    `--<boundary>` whose tail matches and that has the line break before it when one is needed;
    it starts at that line break (`\\r\\n` preferred, as the regex alternation tries it first)."""

    def __init__(self, boundary: bytes, *, line_break_optional: bool) -> None:
        self._needle = b"--" + boundary
        self._optional = line_break_optional

    def search(self, data: bytes | bytearray, pos: int = 0) -> BoundaryMatch | None:
        """The leftmost match at or after pos, or None."""
        needle = self._needle
        found = data.find(needle, pos)
        while found != -1:
            tail = _TAIL.match(data, found + len(needle))
            if tail is not None:
                if found - 2 >= pos and data[found - 2] == _CR and data[found - 1] == _LF:
                    return BoundaryMatch(found - 2, tail.end(), tail.group(1))
                if found - 1 >= pos and data[found - 1] in (_CR, _LF):
                    return BoundaryMatch(found - 1, tail.end(), tail.group(1))
                if self._optional:
                    return BoundaryMatch(found, tail.end(), tail.group(1))
            found = data.find(needle, found + 1)
        return None


# werkzeug's decoder built for this constant boundary compiles its regexes once (re's cache).
_PLACEHOLDER_BOUNDARY = b"ctask-sync-emulator"


class EmulatorMultipartDecoder(MultipartDecoder):
    """werkzeug's decoder with BoundarySearch in place of its two per-boundary regexes."""

    def __init__(
        self,
        boundary: bytes,
        max_form_memory_size: int | None = None,
        *,
        max_parts: int | None = None,
    ) -> None:
        super().__init__(_PLACEHOLDER_BOUNDARY, max_form_memory_size, max_parts=max_parts)
        self.boundary = boundary
        self.preamble_re = BoundarySearch(boundary, line_break_optional=True)  # type: ignore[assignment]
        self.boundary_re = BoundarySearch(boundary, line_break_optional=False)  # type: ignore[assignment]


def _with_decoder(function: t.Callable[..., t.Any]) -> t.Callable[..., t.Any]:
    """werkzeug's own function, its global MultipartDecoder read as EmulatorMultipartDecoder
    (a copy of the function; werkzeug's module is left as it is)."""
    names = {**formparser.__dict__, "MultipartDecoder": EmulatorMultipartDecoder}
    code = t.cast(types.FunctionType, function)
    copy = types.FunctionType(code.__code__, names, code.__name__, code.__defaults__)
    copy.__kwdefaults__ = code.__kwdefaults__
    return copy


class EmulatorMultiPartParser(MultiPartParser):
    """werkzeug's MultiPartParser.parse, with EmulatorMultipartDecoder."""

    parse = _with_decoder(MultiPartParser.parse)


class EmulatorFormDataParser(FormDataParser):
    """werkzeug's FormDataParser, its multipart bodies read by EmulatorMultiPartParser."""

    def _parse_multipart(
        self,
        stream: t.IO[bytes],
        mimetype: str,
        content_length: int | None,
        options: dict[str, str],
    ) -> ParseResult:
        parser = EmulatorMultiPartParser(
            stream_factory=self.stream_factory,
            max_form_memory_size=self.max_form_memory_size,
            max_form_parts=self.max_form_parts,
            cls=self.cls,
        )
        boundary = options.get("boundary", "").encode("ascii")
        if not boundary:
            raise ValueError("Missing boundary")
        form, files = parser.parse(stream, boundary, content_length)
        return stream, form, files


# A version upload's shapes: form fields, a file part with a filename, a repeated name, an empty
# file, a part whose content holds the boundary's text without its line break.
_PROBE_BOUNDARY = "probe7c1e"
_PROBE_BODY = (
    b"--probe7c1e\r\n"
    b'Content-Disposition: form-data; name="isMajorUpdate"\r\n\r\nFalse\r\n'
    b"--probe7c1e\r\n"
    b'Content-Disposition: form-data; name="file"; filename="custom.py"\r\n\r\n'
    b"x = '--probe7c1e'\r\n\r\n"
    b"--probe7c1e\r\n"
    b'Content-Disposition: form-data; name="filePath"\r\n\r\nsub/custom.py\r\n'
    b"--probe7c1e\r\n"
    b'Content-Disposition: form-data; name="file"; filename="empty"\r\n\r\n\r\n'
    b"--probe7c1e\r\n"
    b'Content-Disposition: form-data; name="filePath"\r\n\r\nempty\r\n'
    b"--probe7c1e--\r\n"
)


def _probe(parser_class: type[FormDataParser]) -> object:
    """What parser_class makes of the probe body: its fields and files, by name and content."""

    _stream, form, files = parser_class().parse(
        io.BytesIO(_PROBE_BODY),
        "multipart/form-data",
        len(_PROBE_BODY),
        {"boundary": _PROBE_BOUNDARY},
    )
    return (
        list(form.items(multi=True)),
        [(name, f.filename, f.read()) for name, f in files.items(multi=True)],
    )


def form_data_parser_class() -> type[FormDataParser]:
    """EmulatorFormDataParser while it parses as werkzeug's own does, else werkzeug's."""
    try:
        if _probe(EmulatorFormDataParser) == _probe(FormDataParser):
            return EmulatorFormDataParser
    except Exception:  # any failure of the fast path means: use werkzeug's
        pass
    return FormDataParser
