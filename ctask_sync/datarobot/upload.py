"""Streamed multipart bodies for version uploads: files are read from disk chunk by chunk.

A body is built fresh for every attempt (a retried request needs an unread stream); each file is
opened on its first read and closed at its end, so no file content is held in memory and no file
stays open outside the request."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from requests_toolbelt import MultipartEncoder

from ctask_sync.errors import CtaskSyncError


@dataclass(frozen=True)
class UploadFile:
    path: str  # filePath relative to the task folder (POSIX)
    source: Path  # file on disk, streamed


class LazyFile:
    """A file part whose length is known up front and whose content is read only when sent.

    MultipartEncoder asks `len` for the bytes still to come, so `len` shrinks as we read."""

    def __init__(self, source: Path) -> None:
        self.source = source
        self.size = source.stat().st_size
        self.position = 0
        self._handle: BinaryIO | None = None

    @property
    def len(self) -> int:
        return self.size - self.position

    def read(self, size: int = -1) -> bytes:
        remaining = self.size - self.position
        if remaining <= 0:
            self.close()
            return b""
        if self._handle is None:
            self._handle = self.source.open("rb")
            self._handle.seek(self.position)
        wanted = remaining if size is None or size < 0 else min(size, remaining)
        data = self._handle.read(wanted)
        if not data:
            # The Content-Length is already promised; a shrunk file cannot honour it.
            self.close()
            raise CtaskSyncError(
                f"{self.source}: the file shrank while it was being uploaded",
                hint="do not modify task files while ctask-sync runs, then run it again",
            )
        self.position += len(data)
        if self.position >= self.size:
            self.close()
        return data

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None


class VersionForm:
    """One attempt's multipart body for POST/PATCH `customTasks/{id}/versions/`."""

    def __init__(self, fields: list[tuple[str, str]], files: Sequence[UploadFile]) -> None:
        self._files = [LazyFile(upload.source) for upload in files]
        parts: list[tuple[str, object]] = list(fields)
        for upload, lazy in zip(files, self._files, strict=True):
            # 2-tuple (filename, data): the part gets a filename and no Content-Type, as DataRobot's
            # own client sends it
            parts.append(("file", (posix_basename(upload.path), lazy)))
            parts.append(("filePath", upload.path))
        self.encoder = MultipartEncoder(fields=parts)

    @property
    def content_type(self) -> str:
        return str(self.encoder.content_type)

    @property
    def file_bytes(self) -> int:
        """File content bytes actually read for sending so far."""
        return sum(lazy.position for lazy in self._files)

    def close(self) -> None:
        for lazy in self._files:
            lazy.close()


def posix_basename(file_path: str) -> str:
    """The last component of a POSIX relative path (the part's `filename`)."""
    return file_path.rsplit("/", 1)[-1]


def version_fields(
    *,
    is_major_update: bool,
    base_environment_id: str,
    files_to_delete: Sequence[str],
    required_metadata_json: str | None,
    maximum_memory: int | None,
    outbound_network_policy: str | None,
) -> list[tuple[str, str]]:
    """The non-file form fields in the order DataRobot's client sends them (contract §4)."""
    fields = [
        ("isMajorUpdate", "True" if is_major_update else "False"),
        ("baseEnvironmentId", base_environment_id),
    ]
    fields.extend(("filesToDelete", item_id) for item_id in files_to_delete)
    if required_metadata_json is not None:
        fields.append(("requiredMetadataValues", required_metadata_json))
    if maximum_memory:
        fields.append(("maximumMemory", str(maximum_memory)))
    if outbound_network_policy:
        fields.append(("outboundNetworkPolicy", outbound_network_policy))
    return fields


def check_file_paths(files: Sequence[UploadFile]) -> None:
    """Refuse file paths DataRobot would misplace (absolute, backslashes, `..`, duplicates)."""
    seen: set[str] = set()
    for upload in files:
        parts = upload.path.split("/")
        if (
            not upload.path
            or upload.path.startswith("/")
            or "\\" in upload.path
            or any(part in ("", ".", "..") for part in parts)
        ):
            raise CtaskSyncError(
                f"cannot upload {upload.source}: bad filePath {upload.path!r}",
                hint="file paths must be POSIX paths relative to the task folder",
            )
        if upload.path in seen:
            raise CtaskSyncError(f"cannot upload two files to the same filePath {upload.path!r}")
        seen.add(upload.path)
        if not os.path.isfile(upload.source):
            raise CtaskSyncError(f"cannot upload {upload.source}: not a file")
