"""Markdown that renders text from manifests, git and DataRobot inert.

Every piece of Markdown ctask-sync writes for GitHub (the job summary, the pull-request comment,
the `plan-markdown` output) quotes text it did not write: task names, branch names, DataRobot's
error messages, build logs. Rendered live, that text could ping people (`@org/team`), cross-link
issues (`#1`), load images, hide the rest of the page (`<!--`) or close a code fence. These
helpers are the only way such text enters Markdown here: each redacts known secrets first (so
escaping cannot split a token into a form redaction no longer recognises), then neutralises it,
bidi controls included (U+202E would show `txt.py` as `yp.txt`).
"""

from __future__ import annotations

import html
import re

from ctask_sync.redact import redact
from ctask_sync.report.escape import ZWJ as ZWJ
from ctask_sync.report.escape import many_lines, one_line

# A zero-width joiner (ZWJ) after `@` and `#` breaks GitHub's mention and reference autolinking
# (`@team`, `#1`, `GH-1` stays text) while the text still reads the same.
# Characters with a Markdown meaning inline, escaped with a backslash (`[`/`]` alone disarm
# links and images). `<`, `>` and `&` are handled by HTML escaping first.
_MARKDOWN = re.compile(r"([\\`*_\[\]|~$])")
_BACKTICKS = re.compile(r"`+")
_MENTION = re.compile(r"([@#])")
_FENCE = re.compile(r"^ {0,3}(`{3,})(.*)$")

# GitHub drops a job summary larger than 1 MiB altogether, and rejects comments over 65,536
# characters; callers cap below these.
SUMMARY_LIMIT_BYTES = 1024 * 1024
COMMENT_LIMIT_CHARS = 65536


def inert(value: object) -> str:
    """One line of remote text as plain Markdown text: no HTML, no Markdown, no mentions, and
    control and bidi characters shown as escapes (`\\u202e`)."""
    text = one_line(" ".join(redact(str(value)).split()))
    text = html.escape(text, quote=False)
    text = _MARKDOWN.sub(r"\\\1", text)
    return _MENTION.sub(lambda m: m.group(1) + ZWJ, text)


def code(value: object) -> str:
    """Remote text as inline code, the same in a table cell and outside one; '' for no text.

    Inside a code span nothing renders, so only the span's own delimiter matters: a backtick run
    longer than any in the text. A `|` ends the span and stands between spans as `\\|`: GFM
    splits table cells before it parses code spans, so a bare one would split the cell, while
    `\\|` inside a span shows its backslash outside a table. Control and bidi characters are
    shown as escapes."""
    text = one_line(" ".join(redact(str(value)).split()))
    return "\\|".join(_span(part) for part in text.split("|"))


def _span(text: str) -> str:
    if not text:
        return ""
    ticks = "`" * (_longest_backticks(text) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def fence(value: object, info: str = "text") -> str:
    """Remote text (many lines) as a fenced code block that the text itself cannot close, its
    control and bidi characters (but newlines and tabs) shown as escapes."""
    text = many_lines(redact(str(value)).rstrip())
    ticks = "`" * max(3, _longest_backticks(text) + 1)
    return f"{ticks}{info}\n{text}\n{ticks}"


def _longest_backticks(text: str) -> int:
    return max((len(run) for run in _BACKTICKS.findall(text)), default=0)


def cap_middle(markdown: str, limit: int, *, what: str = "lines") -> str:
    """markdown cut to at most `limit` UTF-8 bytes, keeping its head and its tail.

    The head says what ran and the tail how it ended; the middle (long tables, build logs) goes.
    Whole lines are kept so no table row or fence is cut in half; a fence left open by the cut
    is closed so the note and the tail render as text, not as code."""
    data = markdown.encode("utf-8")
    if len(data) <= limit:
        return markdown
    lines = markdown.splitlines(keepends=True)
    budget = limit - 400  # the note, and a fence that may need closing
    head: list[str] = []
    tail: list[str] = []
    used = 0
    i, j = 0, len(lines) - 1
    while i <= j:
        # Two parts head, one part tail: the tail is usually the counts and the last errors.
        take_head = len(head) <= 2 * len(tail)
        line = lines[i] if take_head else lines[j]
        size = len(line.encode("utf-8"))
        if used + size > budget:
            break
        used += size
        if take_head:
            head.append(line)
            i += 1
        else:
            tail.insert(0, line)
            j -= 1
    dropped = j - i + 1
    note = f"\n\n… {dropped} {what} left out: GitHub's limit is {limit // 1024} KiB.\n\n"
    # Fences open where the cut starts and where it ends: close the one, reopen the other.
    at_cut = _fence_state(lines[:i])
    at_tail = _fence_state(lines[: j + 1])
    closing = f"\n{at_cut}" if at_cut else ""
    reopen = f"{at_tail}text\n" if at_tail else ""
    return "".join(head).rstrip("\n") + closing + note + reopen + "".join(tail)


def _fence_state(lines: list[str]) -> str:
    """The backtick fence still open after `lines` ('' when none)."""
    current = ""
    for line in lines:
        match = _FENCE.match(line)
        if not match:
            continue
        ticks, rest = match.group(1), match.group(2).strip()
        if not current:
            current = ticks
        elif len(ticks) >= len(current) and not rest:
            current = ""
    return current
