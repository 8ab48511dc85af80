"""Find, load (with positions) and validate ctask.yaml manifests into TaskSpecs.

INTERFACE STUB: owned by the foundation work (issue 2), which fills in the bodies."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from ctask_sync.files import FileEntry

MANIFEST_NAME = "ctask.yaml"


@dataclass(frozen=True)
class EnvironmentRef:
    id: str | None = None
    name: str | None = None
    version_id: str | None = None


@dataclass(frozen=True)
class TaskSpec:
    key: str
    name: str
    target_type: str  # manifest spelling: binary | regression | multiclass | anomaly | transform
    language: str  # python | r | other
    description: str
    environment: EnvironmentRef
    maximum_memory: int | None  # bytes
    outbound_network_policy: str | None  # ISOLATED | PUBLIC | None (server default)
    required_metadata: dict[str, str]
    dependency_build: str  # auto | always | never
    folder: Path  # absolute
    manifest_path: Path  # absolute
    files: tuple[FileEntry, ...]


@dataclass(frozen=True)
class Finding:
    path: str  # file path as shown to the user (relative to the cwd when possible)
    line: int | None
    column: int | None
    severity: Literal["error", "warning"]
    message: str
    key: str | None = None

    def format(self) -> str:
        """`path:LINE:COL: severity: message` (line and column only where known)."""
        raise NotImplementedError


@dataclass
class Discovery:
    root: Path
    tasks: list[TaskSpec] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "warning"]


def discover(root: Path, *, repo_root: Path | None = None) -> Discovery:
    """Find every ctask.yaml under root, validate all of them, select their files."""
    raise NotImplementedError
