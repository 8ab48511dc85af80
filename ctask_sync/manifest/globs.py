"""Glob patterns for `files.include` / `files.exclude` and the default ignores.

The language is a small, gitignore-like one, so that users need not learn a new one:
- `*` and `?` match within one path segment, `[abc]` / `[!abc]` a character class;
- `**` as a whole segment matches zero or more segments (`tests/**`, `**/fixtures`, `a/**/b`);
- a pattern without `/` (a trailing `/` does not count) matches a name at any depth (`*.ipynb`);
- a pattern with `/` is anchored to the task folder (`data/raw.csv`);
- a trailing `/` matches directories only (`cache/`);
- a pattern that matches a directory matches everything inside it (`tests` selects `tests/a.py`).
"""

from __future__ import annotations

import re

import msgspec


class GlobError(ValueError):
    """A pattern that cannot be used (escapes the folder, absolute, malformed)."""


class Glob(msgspec.Struct, frozen=True):
    """One compiled pattern."""

    pattern: str
    regex: re.Pattern[str]
    dir_only: bool

    def matches(self, path: str, *, is_dir: bool = False) -> bool:
        """True when `path` (POSIX, relative) or one of its parent folders matches."""
        parts = path.split("/")
        # Parent folders first: a matching folder matches everything inside it.
        for i in range(1, len(parts)):
            if self.regex.fullmatch("/".join(parts[:i])):
                return True
        if self.dir_only and not is_dir:
            return False
        return self.regex.fullmatch(path) is not None


def check_pattern(pattern: str) -> None:
    """Raise GlobError when `pattern` could reach outside the task folder or is malformed."""
    if not pattern.strip():
        raise GlobError("is empty")
    if pattern.startswith("/") or re.match(r"^[A-Za-z]:[\\/]", pattern):
        raise GlobError("is absolute: globs are relative to the task folder")
    if "\\" in pattern:
        raise GlobError("contains '\\': use '/' to separate folders")
    segments = pattern.rstrip("/").split("/")
    if any(seg == ".." for seg in segments):
        raise GlobError("contains '..': globs cannot reach outside the task folder")
    if any(seg == "" for seg in segments):
        raise GlobError("contains an empty path segment ('//')")
    if pattern.count("[") != pattern.count("]"):
        raise GlobError("has an unclosed '[' character class")


def _segment_regex(segment: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(segment):
        ch = segment[i]
        if ch == "*":
            while i + 1 < len(segment) and segment[i + 1] == "*":
                i += 1
            out.append("[^/]*")
        elif ch == "?":
            out.append("[^/]")
        elif ch == "[":
            end = segment.find("]", i + 1)
            body = segment[i + 1 : end]
            negate = body.startswith("!")
            if negate:
                body = body[1:]
            body = body.replace("\\", "\\\\").replace("^", "\\^")
            out.append(f"[{'^' if negate else ''}{body}]" if body else "(?!)")
            i = end
        else:
            out.append(re.escape(ch))
        i += 1
    return "".join(out)


def compile_glob(pattern: str) -> Glob:
    """Compile a checked pattern (see the module docstring for its language)."""
    check_pattern(pattern)
    dir_only = pattern.endswith("/")
    body = pattern.rstrip("/")
    if body.startswith("./"):
        body = body[2:]
    segments = [s for s in body.split("/") if s != "."]
    if len(segments) == 1 and segments[0] != "**":
        segments = ["**", *segments]
    regex = ""
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        if segment == "**":
            # Zero or more whole segments, including the separator that follows them.
            regex += ".*" if last else "(?:[^/]+/)*"
        else:
            regex += _segment_regex(segment) + ("" if last else "/")
    return Glob(pattern=pattern, regex=re.compile(regex, re.DOTALL), dir_only=dir_only)


def compile_all(patterns: list[str] | tuple[str, ...]) -> list[Glob]:
    """Compile many patterns (each already checked)."""
    return [compile_glob(p) for p in patterns]
