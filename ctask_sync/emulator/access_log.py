"""The foreground emulator's per-request access line, written without werkzeug's logging path.

werkzeug's `log_request` goes through `logging` and a colorama stream wrapper for every
request; in a benchmark that is a measurable share of the emulator's CPU. This handler prints
the same line werkzeug prints, formatted here and written to stderr in one call."""

from __future__ import annotations

import re
import sys
import threading

from werkzeug.urls import uri_to_iri

from ctask_sync.emulator.keepalive import KeepAliveRequestHandler

# werkzeug 3.1's escaping of control characters and backslashes in the access line.
_CONTROL_CHARS = str.maketrans(
    {c: rf"\x{c:02x}" for c in [*range(0x20), *range(0x7F, 0xA0)]} | {ord("\\"): r"\\"}
)
_ANSI_CODES = {"bold": 1, "red": 31, "green": 32, "yellow": 33, "magenta": 35, "cyan": 36}

# A request line whose path is made only of these characters is its own IRI and holds no
# control characters, so werkzeug's uri_to_iri and escaping would leave it unchanged; any other
# line goes through werkzeug's own functions.
_PLAIN_LINE = re.compile(r"[A-Z]+ /(?!/)[A-Za-z0-9/_.~-]* HTTP/[0-9]\.[0-9]")

_stderr_lock = threading.Lock()


def _ansi_style(value: str, *styles: str) -> str:
    for style in styles:
        value = f"\x1b[{_ANSI_CODES[style]}m{value}"
    return f"{value}\x1b[0m"


def styled(msg: str, code: str) -> str:
    """werkzeug's colour for a status code (the same branches as its log_request)."""
    if code.startswith("1"):
        return _ansi_style(msg, "bold")
    if code == "200":
        return msg
    if code == "304":
        return _ansi_style(msg, "cyan")
    if code.startswith("3"):
        return _ansi_style(msg, "green")
    if code == "404":
        return _ansi_style(msg, "yellow")
    if code.startswith("4"):
        return _ansi_style(msg, "bold", "red")
    return _ansi_style(msg, "bold", "magenta")


class AccessLogRequestHandler(KeepAliveRequestHandler):
    """werkzeug's handler with its access line written straight to stderr.

    The text is werkzeug's: `127.0.0.1 - - [03/Dec/2026 05:37:07] "GET /api/v2/ HTTP/1.1" 200 -`.
    Colour codes are added only when stderr is a terminal (werkzeug adds them to files too)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Print werkzeug's access line for this request."""
        try:
            msg = f"{self.command} {self.path} {self.request_version}"
            if not _PLAIN_LINE.fullmatch(msg):
                msg = f"{self.command} {uri_to_iri(self.path)} {self.request_version}"
                msg = msg.translate(_CONTROL_CHARS)
        except AttributeError:  # no path when the request line was bad, as in werkzeug
            msg = self.requestline.translate(_CONTROL_CHARS)
        code = str(code)
        stream = sys.stderr
        if stream is None:
            return
        if stream.isatty():
            msg = styled(msg, code)
        when = self.log_date_time_string()
        line = f'{self.address_string()} - - [{when}] "{msg}" {code} {size}\n'
        with _stderr_lock:
            stream.write(line)
            stream.flush()
