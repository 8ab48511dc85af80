"""The values a manifest becomes: TaskSpec and its parts, Findings, a Discovery; sizes."""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

import msgspec

from ctask_sync.manifest.files import FileEntry, content_digest
from ctask_sync.manifest.vocabulary import (
    Blueprints,
    DependencyBuild,
    Language,
    NetworkPolicy,
    TargetType,
)

__all__ = [
    "Discovery",
    "EnvironmentRef",
    "Finding",
    "ShareEntry",
    "TaskSpec",
    "display_path",
    "parse_size",
]

_SIZE_RE = re.compile(r"^([0-9]+(?:\.[0-9]+)?)\s*([KMGT]i?)?$")
_SIZE_UNITS = {
    "": 1,
    "K": 1000,
    "M": 1000**2,
    "G": 1000**3,
    "T": 1000**4,
    "Ki": 1024,
    "Mi": 1024**2,
    "Gi": 1024**3,
    "Ti": 1024**4,
}


# A dataclass, not a Struct: `where` is left out of equality and hashing (compare=False), which a
# Struct cannot do per field.
@dataclass(frozen=True)
class EnvironmentRef:
    id: str | None = None
    name: str | None = None
    version_id: str | None = None
    # where the manifest names it, for the errors of resolving it remotely; not part of identity
    where: str | None = field(default=None, compare=False)  # "path:line:column"


# gc=False: strings and a bool, never a cycle.
class ShareEntry(msgspec.Struct, frozen=True, gc=False):
    """One `share:` entry: a user and the role ctask-sync keeps on the task's access list."""

    username: str
    role: str  # OWNER | READ_WRITE | USER | EDITOR | READ_ONLY | CONSUMER
    can_share: bool = True


# dict=True: an instance __dict__ for the cached `content`, which is not a field (nor compared).
class TaskSpec(msgspec.Struct, frozen=True, dict=True):
    key: str
    name: str
    target_type: TargetType  # manifest spelling (lower case)
    language: Language
    description: str
    environment: EnvironmentRef
    maximum_memory: int | None  # bytes
    outbound_network_policy: NetworkPolicy | None  # None: the server's default
    required_metadata: dict[str, str]
    dependency_build: DependencyBuild
    folder: Path  # absolute
    manifest_path: Path  # absolute
    files: tuple[FileEntry, ...]
    adopt: str | None = None  # id of an existing task to take over (written by `import`)
    blueprints: Blueprints = (
        "leave"  # leave | follow | releases: what apply does to pinning blueprints
    )
    share: tuple[ShareEntry, ...] | None = None  # None: the access list is left alone

    @cached_property
    def content(self) -> str:
        """content_digest(files): what a version's sync record names. Worked out once per task
        (a plan of 10,000 unchanged tasks compares 10,000 of them); the task cache fills it in
        from its entry, where it was worked out from the same files."""
        return content_digest(self.files)

    @classmethod
    def restored(cls, content: str | None = None, **values: Any) -> TaskSpec:
        """TaskSpec(**values) given every field, for the task cache; content, when given, is
        `content` as the task cache recorded it for these files (so it is not worked out)."""
        task = cls(**values)
        if content is not None:
            task.__dict__["content"] = content
        return task


# gc=False: strings and numbers, never a cycle.
class Finding(msgspec.Struct, frozen=True, gc=False):
    path: str  # file path as shown to the user (relative to the cwd when possible)
    line: int | None
    column: int | None
    severity: Literal["error", "warning"]
    message: str
    key: str | None = None

    def format(self) -> str:
        """`path:LINE:COL: severity: message` (line and column only where known)."""
        where = self.path
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return f"{where}: {self.severity}: {self.message}"

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of `validate --json`."""
        return {
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "severity": self.severity,
            "message": self.message,
            "key": self.key,
        }


class Discovery(msgspec.Struct):
    root: Path
    tasks: list[TaskSpec] = msgspec.field(default_factory=list)
    findings: list[Finding] = msgspec.field(default_factory=list)
    # Every ctask.yaml found (valid or not), absolute, sorted; and the root keys are relative to.
    manifest_paths: list[Path] = msgspec.field(default_factory=list)
    repo_root: Path | None = None

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "warning"]


def display_path(path: Path | str) -> str:
    """`path` relative to the current directory when it is under it, else absolute."""
    absolute = os.path.abspath(path)
    cwd = os.getcwd()
    if absolute == cwd:
        return "."
    if absolute.startswith(cwd.rstrip(os.sep) + os.sep):
        return Path(os.path.relpath(absolute, cwd)).as_posix()
    return absolute


def parse_size(value: int | float | str) -> int:
    """Bytes from an int or a size string: '4Gi', '512Mi', '2G', '1.5Gi', '1000'. A float with
    no fraction (YAML's `4294967296.0`) is an integer to JSON Schema, so it is taken too.

    Raises ValueError with a short reason when the value is not a whole, positive byte count."""
    if isinstance(value, bool):
        raise ValueError("is not a size")
    if isinstance(value, float):
        if math.isinf(value) or math.isnan(value):
            raise ValueError("is not a size")
        number = Decimal(value)  # exact: Decimal(1.5) is 1.5, a fraction reported below
    elif isinstance(value, int):
        number = Decimal(value)
    else:
        match = _SIZE_RE.match(value.strip())
        if not match:
            raise ValueError("is not a size")
        try:
            number = Decimal(match.group(1)) * _SIZE_UNITS[match.group(2) or ""]
        except InvalidOperation as exc:
            raise ValueError("is not a size") from exc
    if number != number.to_integral_value():
        raise ValueError("is not a whole number of bytes")
    if number < 1:
        raise ValueError("must be at least 1 byte")
    return int(number)
