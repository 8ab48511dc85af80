"""What a user needs after a bug: a crash log with the traceback, the version and the platform.

The traceback never goes to the terminal (it may be long and holds paths of no use there); it goes
to a file whose path is printed, redacted like every other output."""

from __future__ import annotations

import os
import platform
import sys
import tempfile
import time
import traceback
from pathlib import Path

from ctask_sync import __version__
from ctask_sync.redact import redact


def crash_log_folder() -> Path:
    """Where crash logs go: CTASK_SYNC_CRASH_DIR, else $XDG_STATE_HOME/ctask-sync, else temp."""
    chosen = os.environ.get("CTASK_SYNC_CRASH_DIR")
    if chosen:
        return Path(chosen)
    state = os.environ.get("XDG_STATE_HOME")
    if state:
        return Path(state) / "ctask-sync"
    return Path(tempfile.gettempdir()) / "ctask-sync"


def write_crash_log(exc: BaseException, argv: list[str]) -> Path | None:
    """Write the crash log; None when no folder is writable (the message on stderr still says
    what happened)."""
    text = (
        f"ctask-sync {__version__}\n"
        f"python {platform.python_version()} ({sys.executable})\n"
        f"platform {platform.platform()}\n"
        f"command ctask-sync {' '.join(argv)}\n\n"
        + "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    )
    folder = crash_log_folder()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"crash-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.log"
        path.write_text(redact(text), "utf-8", errors="replace")
    except OSError:
        return None
    return path
