"""Offline checks of a task's selected files that DataRobot would otherwise fail at apply time:
requirements.txt lines its dependency parser rejects, and files that look like credentials."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import msgspec

from ctask_sync.datarobot.requirements import parse_requirements
from ctask_sync.manifest.files import FileEntry, looks_like_credentials
from ctask_sync.manifest.yamlpos import Pos

REQUIREMENTS_NAME = "requirements.txt"

# DataRobot reads the whole file; a requirements.txt over 1 MiB is surely not one.
MAX_TEXT_BYTES = 1024 * 1024


class FileFinding(msgspec.Struct, frozen=True):
    """A problem in one file of a task folder; `path` is relative to the folder."""

    path: str
    pos: Pos | None
    severity: Literal["error", "warning"]
    message: str


def read_text(entry: FileEntry, what: str) -> str | FileFinding:
    """The file's text (UTF-8, BOM allowed), or a finding saying why it cannot be read."""
    try:
        with open(entry.source, "rb") as handle:
            data = handle.read(MAX_TEXT_BYTES + 1)
    except OSError as exc:
        return FileFinding(entry.path, None, "error", f"cannot read: {exc.strerror or exc}")
    if len(data) > MAX_TEXT_BYTES:
        return FileFinding(entry.path, None, "error", f"is larger than 1 MiB: is this a {what}?")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        return FileFinding(
            entry.path,
            Pos(line, exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1),
            "error",
            f"not valid UTF-8 (byte 0x{data[exc.start]:02x}): save the file as UTF-8",
        )


def check_requirements(files: Sequence[FileEntry]) -> list[FileFinding]:
    """Each requirements.txt line that DataRobot's dependency parser rejects, at its line."""
    entry = next((f for f in files if f.path == REQUIREMENTS_NAME), None)
    if entry is None:
        return []
    text = read_text(entry, REQUIREMENTS_NAME)
    if isinstance(text, FileFinding):
        return [text]
    parsed = parse_requirements(text)
    raw_lines = text.splitlines()
    findings = []
    for invalid in parsed.invalid:
        number: int = invalid["lineNumber"]
        column = len(raw_lines[number - 1]) - len(raw_lines[number - 1].lstrip()) + 1
        findings.append(
            FileFinding(
                entry.path,
                Pos(number, column),
                "error",
                f"{invalid['line']!r} is not a dependency DataRobot accepts: write a package "
                "name with optional constraints <, <=, ==, >=, > joined by commas "
                "(e.g. numpy>=1.26,<2); DataRobot refuses ~=, !=, URLs, -r/-e options and "
                "environment markers",
            )
        )
    return findings


def check_credentials(files: Sequence[FileEntry]) -> list[FileFinding]:
    """A warning for each selected file whose name suggests a private key or a token."""
    return [
        FileFinding(
            f.path,
            None,
            "warning",
            "looks like a credential and would be uploaded to DataRobot, readable by everyone "
            "the task is shared with: add it to files.exclude (or .gitignore) unless it is "
            "a harmless fixture",
        )
        for f in files
        if looks_like_credentials(f.path)
    ]
