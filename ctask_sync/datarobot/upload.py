"""Multipart bodies for version uploads: small ones built in memory, large ones streamed from disk.

A body is built fresh for every attempt (a retried request needs an unread body). Up to
IN_MEMORY_LIMIT bytes of files, the whole body is built as bytes and handed to the socket in one
write; above it, MultipartEncoder streams it, each file opened on its first read and closed at its
end, so a large file is never held in memory. Both give the same bytes on the wire."""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO
from uuid import uuid4

import msgspec
from urllib3.fields import RequestField

from ctask_sync.errors import CtaskSyncError

if TYPE_CHECKING:
    from requests_toolbelt import MultipartEncoder

# Files of a version up to this total are read into one body. MultipartEncoder hands the body over
# in 16 KiB reads, each a dozen Python calls (issue 17: ~15% of a worker's CPU in an initial sync of
# 200 tasks); most tasks are a few files of kilobytes. Memory: at most one such body per request in
# flight (the pool's width), each freed when its request ends.
IN_MEMORY_LIMIT = 8 * 1024 * 1024


class UploadFile(msgspec.Struct, frozen=True):
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

    def read(self, size: int = -1) -> bytes | bytearray:
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
            raise self._shrank()
        self.position += len(data)
        if self.position >= self.size:
            self.close()
        return data

    def read_into(self, view: memoryview) -> None:
        """Fill view (`size` bytes long) with the whole file: one read, as `read` would give it."""
        with self.source.open("rb", buffering=0) as handle:
            filled = 0
            while filled < self.size:
                got = handle.readinto(view[filled:])
                if not got:
                    raise self._shrank()
                filled += got
        self.position = self.size

    def _shrank(self) -> CtaskSyncError:
        return CtaskSyncError(
            f"{self.source}: the file shrank while it was being uploaded",
            hint="do not modify task files while ctask-sync runs, then run it again",
        )

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None


class PreparedBody:
    """A body built in memory, handed to the sender whole on its first read.

    `len` is what requests reads for the Content-Length. File bytes count as uploaded only once
    the body is read, that is sent: an attempt that never connected uploaded nothing, as with
    the streamed body."""

    def __init__(self, data: bytearray, file_bytes: int) -> None:
        self._data: bytearray | None = data
        self.len = len(data)
        self._file_bytes = file_bytes
        self.sent_file_bytes = 0

    def read(self, size: int = -1) -> bytes | bytearray:
        # One block whatever the size asked: urllib3 and http.client pass each block on to
        # sendall, which takes any length.
        data, self._data = self._data, None
        if data is None:
            return b""
        self.len = 0
        self.sent_file_bytes = self._file_bytes
        return data


class VersionForm:
    """One attempt's multipart body for POST/PATCH `customTasks/{id}/versions/`.

    `encoder` is what is sent: a PreparedBody up to IN_MEMORY_LIMIT bytes of files, else a
    MultipartEncoder streaming them."""

    def __init__(
        self,
        fields: list[tuple[str, str]],
        files: Sequence[UploadFile],
        *,
        in_memory_limit: int = IN_MEMORY_LIMIT,
    ) -> None:
        self._files = [LazyFile(upload.source) for upload in files]
        self.boundary = uuid4().hex  # as MultipartEncoder draws its own
        self.encoder: PreparedBody | MultipartEncoder
        if sum(lazy.size for lazy in self._files) <= in_memory_limit:
            self.encoder = prepared_body(self.boundary, fields, files, self._files)
            return
        parts: list[tuple[str, object]] = list(fields)
        for upload, lazy in zip(files, self._files, strict=True):
            # 2-tuple (filename, data): the part gets a filename and no Content-Type, as DataRobot's
            # own client sends it
            parts.append(("file", (posix_basename(upload.path), lazy)))
            parts.append(("filePath", upload.path))
        from requests_toolbelt import MultipartEncoder  # (start-up) only files over the limit

        self.encoder = MultipartEncoder(fields=parts, boundary=self.boundary)

    @property
    def content_type(self) -> str:
        return f"multipart/form-data; boundary={self.boundary}"

    @property
    def file_bytes(self) -> int:
        """File content bytes actually read for sending so far."""
        if isinstance(self.encoder, PreparedBody):
            return self.encoder.sent_file_bytes
        return sum(lazy.position for lazy in self._files)

    def close(self) -> None:
        for lazy in self._files:
            lazy.close()


def prepared_body(
    boundary: str,
    fields: Sequence[tuple[str, str]],
    files: Sequence[UploadFile],
    lazies: Sequence[LazyFile],
) -> PreparedBody:
    """The bytes MultipartEncoder would stream for these parts, files read whole.

    Its layout: `--B\r\n`, then the parts (headers, content) separated by `\r\n--B\r\n`,
    then `\r\n--B--\r\n`. The body is allocated once at its final length and the files read
    straight into it, so a file is in memory once."""
    parts: list[tuple[bytes, bytes | LazyFile]] = [
        (part_headers(name, None), value.encode()) for name, value in fields
    ]
    for upload, lazy in zip(files, lazies, strict=True):
        parts.append((part_headers("file", posix_basename(upload.path)), lazy))
        parts.append((part_headers("filePath", None), upload.path.encode()))
    opening = f"--{boundary}\r\n".encode()
    between = f"\r\n--{boundary}\r\n".encode()
    closing = f"\r\n--{boundary}--\r\n".encode()
    length = len(opening) + len(closing) + len(between) * (len(parts) - 1)
    for headers, content in parts:
        length += len(headers) + (content.size if isinstance(content, LazyFile) else len(content))
    body = bytearray(length)
    view = memoryview(body)
    at = 0
    for index, (headers, content) in enumerate(parts):
        mark = opening if index == 0 else between
        for piece in (mark, headers):
            view[at : at + len(piece)] = piece
            at += len(piece)
        if isinstance(content, LazyFile):
            content.read_into(view[at : at + content.size])
            at += content.size
        else:
            view[at : at + len(content)] = content
            at += len(content)
    view[at:] = closing
    view.release()
    return PreparedBody(body, file_bytes=sum(lazy.size for lazy in lazies))


@functools.lru_cache(maxsize=1024)
def part_headers(name: str, filename: str | None) -> bytes:
    """A part's header block exactly as MultipartEncoder renders it (through urllib3); the same
    few names and file names come back in every version of a run."""
    field = RequestField(name=name, data=b"", filename=filename)
    field.make_multipart()
    return field.render_headers().encode()


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
