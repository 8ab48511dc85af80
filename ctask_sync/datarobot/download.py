"""Downloads of a task's or a version's files (a zip archive) onto disk."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from ctask_sync.datarobot.transport import Transport


def download(transport: Transport, path: str, dest: Path) -> None:
    """Stream a binary body into dest atomically (no half-written file on failure)."""
    dest = Path(dest)
    response = transport.request("GET", path, stream=True)
    handle, temporary = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.")
    try:
        with os.fdopen(handle, "wb") as out, response:
            for chunk in response.iter_content(chunk_size=1024 * 1024):
                out.write(chunk)
        os.replace(temporary, dest)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
