"""Whether a YAML text is shallow enough for libyaml's composer (PyYAML's C loader).

libyaml's composer is ~10x faster than PyYAML's own, but it recurses once per nesting level on
the C stack: past some 30,000 levels (8 MB of stack) it crashes the process with SIGSEGV, and
`key: [[[[...` within the 1 MiB manifest limit did. Every level of YAML nesting needs one of
NESTING_CHARS, so a text with fewer of them than C_DEPTH_GUARD cannot nest deeper than that;
other texts go to PyYAML's Python loader (manifest/yamlcompose.py caps its depth with a message;
the emulator then reads no arguments)."""

from __future__ import annotations

NESTING_CHARS = "[{-?:"
C_DEPTH_GUARD = 1_000  # a small thread stack's worth (about 200 bytes a level: 200 KB)


def shallow(text: str) -> bool:
    """Whether text cannot nest C_DEPTH_GUARD levels deep."""
    budget = C_DEPTH_GUARD
    for char in NESTING_CHARS:
        budget -= text.count(char)
        if budget <= 0:
            return False
    return True
