"""Read DataRobot's dependency-build log archive (a tar.gz holding a text log)."""

from __future__ import annotations

import io
import tarfile

# A build log is text; reading more than this from one member only burns memory.
_MAX_MEMBER_BYTES = 8 * 1024 * 1024


def build_log_text(tar_gz_bytes: bytes) -> str:
    """The text of every regular file in the archive, in archive order.

    Bytes that are not a tar archive are taken as the log itself (a server may send plain text)."""
    try:
        with tarfile.open(fileobj=io.BytesIO(tar_gz_bytes), mode="r:*") as archive:
            return _members_text(archive)
    except (tarfile.TarError, EOFError, OSError):
        return tar_gz_bytes.decode("utf-8", errors="replace")


def _members_text(archive: tarfile.TarFile) -> str:
    chunks: list[str] = []
    for member in archive:
        extracted = archive.extractfile(member) if member.isfile() else None
        if extracted is None:
            continue
        skip = max(0, member.size - _MAX_MEMBER_BYTES)
        if skip:
            extracted.seek(skip)  # keep the end: that is where the failure is
        chunks.append(extracted.read().decode("utf-8", errors="replace"))
    return "".join(chunks)


def build_log_tail(tar_gz_bytes: bytes, lines: int = 40) -> str:
    """The last `lines` lines of the build log in a dependency-build log archive."""
    text_lines = build_log_text(tar_gz_bytes).rstrip("\n").splitlines()
    return "\n".join(text_lines[-lines:]) if lines > 0 else ""
