"""Select the files of a task folder, digest them, and keep every path inside the folder.

INTERFACE STUB: owned by the foundation work (issue 2), which fills in the bodies."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class FileEntry:
    """One file to upload."""

    path: str  # POSIX path relative to the task folder, e.g. "sub dir/helper.py"
    source: Path  # absolute path on disk
    size: int
    digest: str  # "sha256:<64 hex>" of the content


def content_digest(entries: list[FileEntry] | tuple[FileEntry, ...]) -> str:
    """Digest over the sorted (path, content digest) pairs: equal iff the file sets are equal."""
    raise NotImplementedError
