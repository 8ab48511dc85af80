"""Feedback on long work, on stderr: retries, a slow first connection, dependency builds.

On a terminal a status line is redrawn in place (`\r`); elsewhere (CI logs) a line is written
at most every `every` seconds, so a log shows progress without a line per poll."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

from ctask_sync.redact import redact

Notify = Callable[[str], None]


def to_stream(stream: TextIO | None = None) -> Notify:
    """A notifier writing one line per message to stream (default: stderr, read when called so
    a test's capture sees it)."""

    def notify(message: str) -> None:
        out = stream or sys.stderr
        out.write(redact(message) + "\n")  # messages name endpoints, which may hold a token
        out.flush()

    return notify


class StatusLine:
    """One status that changes often (the build wait): in place on a terminal, else a line
    every `every` seconds (the first after `every` seconds)."""

    def __init__(
        self,
        stream: TextIO | None = None,
        *,
        every: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._stream = stream
        self._every = every
        self._clock = clock
        self._last: float | None = None
        self._shown = ""
        self._width = 0

    @property
    def stream(self) -> TextIO:
        return self._stream or sys.stderr

    def _tty(self) -> bool:
        isatty = getattr(self.stream, "isatty", None)
        return bool(isatty and isatty())

    def update(self, text: str) -> None:
        """Show text as the current status."""
        if self._tty():
            pad = " " * max(0, self._width - len(text))
            self.stream.write(f"\r{text}{pad}")
            self._width = len(text)
            self.stream.flush()
            self._shown = text
            return
        now = self._clock()
        if self._last is None:
            self._last = now  # the wait's start is already logged: the first line comes later
        elif now - self._last >= self._every:
            self.stream.write(text + "\n")
            self.stream.flush()
            self._last = now
            self._shown = text

    def done(self) -> None:
        """End the in-place line so what follows starts on a fresh line."""
        if self._tty() and self._width:
            self.stream.write("\n")
            self.stream.flush()
            self._width = 0
