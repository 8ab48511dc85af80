"""The last guard before the CLI's text leaves the process: stdout and stderr pass through a
stream that hides every known secret, shows bidi controls as escapes and disarms any line the
GitHub runner would read as a workflow command.

Renderers already escape what they quote (report/escape.py); this catches what they miss (an
engine message, an error text, a log line). Our own ANSI colours and the `\\r` status line pass
unchanged: only a line starting with `::` is touched, and bidi controls are never ours."""

from __future__ import annotations

import contextlib
import io
import re
import sys
import threading
from collections.abc import Iterator
from typing import TextIO, cast

from ctask_sync.redact import redact
from ctask_sync.report.escape import bidi_visible, no_command

# The runner reads a line up to \n, \r or \r\n (.NET's ReadLine): each starts a new line.
_LINE_END = re.compile(r"(\r\n|\r|\n)")


class GuardedStream(io.TextIOBase):
    """A text stream writing to `target` whole lines, made safe; a partial line is written on
    flush (the status line, a prompt), unless it could still become the start of `::`."""

    def __init__(self, target: TextIO) -> None:
        super().__init__()
        self.target = target
        self._pending = ""
        self._at_line_start = True  # nothing but whitespace written on the current line yet
        # the engine logs from worker threads: one line must never be split by another
        self._lock = threading.Lock()

    def write(self, text: str) -> int:
        with self._lock:
            self._pending += text
            cut = max(self._pending.rfind("\n"), self._pending.rfind("\r"))
            if cut >= 0:
                done, self._pending = self._pending[: cut + 1], self._pending[cut + 1 :]
                self._emit(done)
        return len(text)

    def flush(self) -> None:
        with self._lock:
            # "  :" may yet become "  ::x": kept until more text decides
            undecided = self._at_line_start and self._pending.lstrip() in ("", ":")
            if self._pending and not undecided:
                self._emit(self._pending)
                self._pending = ""
            self.target.flush()

    def close_guard(self) -> None:
        """Write whatever is still held back (the end of the run)."""
        with self._lock:
            if self._pending:
                self._emit(self._pending)
                self._pending = ""
        self.target.flush()

    def _emit(self, text: str) -> None:
        pieces = _LINE_END.split(bidi_visible(redact(text)))
        out = []
        # pieces alternate: text, line end, text, ..., text (possibly empty)
        for i, piece in enumerate(pieces):
            if i % 2:
                out.append(piece)
                self._at_line_start = True
                continue
            if self._at_line_start:
                piece = no_command(piece)
                self._at_line_start = not piece.strip()
            out.append(piece)
        self.target.write("".join(out))

    # what callers ask of a stream: whether colour and the in-place status line apply
    def isatty(self) -> bool:
        return self.target.isatty()

    def fileno(self) -> int:
        return self.target.fileno()

    def writable(self) -> bool:
        return True

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return self.target.encoding

    @property
    def errors(self) -> str | None:  # type: ignore[override]
        return self.target.errors


@contextlib.contextmanager
def guarded_output(enabled: bool = True) -> Iterator[None]:
    """sys.stdout and sys.stderr guarded for the block (not for `action`, whose writer does
    this itself and must write `::add-mask::` with the secret)."""
    if not enabled:
        yield
        return
    saved = sys.stdout, sys.stderr
    out, err = GuardedStream(sys.stdout), GuardedStream(sys.stderr)
    sys.stdout, sys.stderr = cast(TextIO, out), cast(TextIO, err)
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved
        for stream in (out, err):
            # the reader went away, or the stream is closed: nothing left to tell
            with contextlib.suppress(BrokenPipeError, ValueError):
                stream.close_guard()
