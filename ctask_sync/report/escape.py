"""Text from manifests, git and DataRobot made visible and inert for a terminal or a CI log.

A file name, task name or error message may hold control characters (a newline that starts a
line the GitHub runner reads as a `::workflow-command::`, an ANSI escape, a `\\r` that overwrites
the line) or bidi controls (U+202E that shows `txt.py` as `yp.txt`). These helpers show each such
character as the escape Python's repr() would write (`\\n`, `\\x1b`, `\\u202e`)."""

from __future__ import annotations

import re

# The bidi embedding, override and isolate controls and the implicit marks (Trojan Source).
BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_CONTROLS = "\x00-\x1f\x7f-\x9f"
_LINE_BREAKS = "\u2028\u2029"  # break a line on many terminals and in .NET's line readers
_ONE_LINE = re.compile(f"[{_CONTROLS}{_LINE_BREAKS}{BIDI}]")
# In many lines, the newline and the tab keep their meaning; every other control is shown.
_MANY_LINES = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_LINE_BREAKS}{BIDI}]")
_BIDI_ONLY = re.compile(f"[{BIDI}]")
# `::` at a line's start (after whitespace, which the runner trims) is a workflow command.
_COMMAND_START = re.compile(r"^(\s*:)(:)")
# What a zero-width joiner between the two colons leaves: the same text, no command.
ZWJ = "\u200d"


def _escaped(match: re.Match[str]) -> str:
    return repr(match.group(0))[1:-1]


def one_line(value: object) -> str:
    """value as one line: every control, line break and bidi character shown as an escape."""
    return _ONE_LINE.sub(_escaped, str(value))


def many_lines(text: str) -> str:
    """text (a build log) with its lines kept: CRLF read as a newline, every other control and
    bidi character shown as an escape."""
    return _MANY_LINES.sub(_escaped, text.replace("\r\n", "\n"))


def bidi_visible(text: str) -> str:
    """text with only its bidi controls shown as escapes (safe inside JSON strings too: `\\u202e`
    is JSON's own escape for the same character)."""
    return _BIDI_ONLY.sub(_escaped, text)


def no_command(line: str) -> str:
    """line, with a zero-width joiner between the colons when it would start a workflow
    command (the runner trims leading whitespace before it looks for `::`)."""
    return _COMMAND_START.sub(lambda m: m.group(1) + ZWJ + m.group(2), line, count=1)
