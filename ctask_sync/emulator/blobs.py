"""Content-addressed storage for uploaded files: in memory, or as files in a directory."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path
from typing import IO

_CHUNK = 1024 * 1024


class BlobStore:
    """Stores bytes under their sha256. The in-memory variant; see DirBlobStore."""

    def __init__(self) -> None:
        self._blobs: dict[str, bytes] = {}

    def put(self, stream: IO[bytes]) -> tuple[str, int]:
        """Store a stream's content; return (sha256 hex, size)."""
        data = stream.read()
        digest = hashlib.sha256(data).hexdigest()
        self._blobs.setdefault(digest, data)
        return digest, len(data)

    def get(self, digest: str) -> bytes:
        """The content stored under digest (KeyError if unknown)."""
        return self._blobs[digest]

    def clear(self) -> None:
        """Forget every blob (the emulator's reset)."""
        self._blobs.clear()


class DirBlobStore(BlobStore):
    """Blobs as files `<dir>/<sha[:2]>/<sha>`, written atomically, streamed in chunks."""

    def __init__(self, root: Path) -> None:
        super().__init__()
        self._root = root
        root.mkdir(parents=True, exist_ok=True)

    def _path(self, digest: str) -> Path:
        return self._root / digest[:2] / digest

    def put(self, stream: IO[bytes]) -> tuple[str, int]:
        """Stream to a temp file while hashing, then rename it into place."""
        hasher = hashlib.sha256()
        size = 0
        fd, tmp = tempfile.mkstemp(dir=self._root, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := stream.read(_CHUNK):
                    hasher.update(chunk)
                    size += len(chunk)
                    out.write(chunk)
            digest = hasher.hexdigest()
            target = self._path(digest)
            target.parent.mkdir(exist_ok=True)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return digest, size

    def get(self, digest: str) -> bytes:
        """Read a stored blob from disk (KeyError if unknown)."""
        try:
            return self._path(digest).read_bytes()
        except FileNotFoundError:
            raise KeyError(digest) from None

    def clear(self) -> None:
        """Delete every blob file."""
        shutil.rmtree(self._root, ignore_errors=True)
        self._root.mkdir(parents=True, exist_ok=True)
