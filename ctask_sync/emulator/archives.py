"""Downloads: a version's files as a zip, and text logs as tar.gz."""

from __future__ import annotations

import io
import tarfile
import time
import zipfile
from collections.abc import Callable

from ctask_sync.emulator.model import VersionRecord


def version_zip(version: VersionRecord, read_blob: Callable[[str], bytes]) -> bytes:
    """Every item of the version at its filePath."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for item in version.items:
            archive.writestr(item.file_path, read_blob(item.blob))
    return buffer.getvalue()


def text_tar_gz(member_name: str, text: str, mtime: float | None = None) -> bytes:
    """A gzip'd tar holding one text file."""
    data = text.encode("utf-8")
    info = tarfile.TarInfo(member_name)
    info.size = len(data)
    info.mtime = int(mtime if mtime is not None else time.time())
    info.mode = 0o644
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()
