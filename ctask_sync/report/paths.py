"""Paths as reports show them."""

from __future__ import annotations

import os
from pathlib import Path


def relative(path: Path | str | None, root: Path) -> str | None:
    """path relative to the repository root (POSIX), or as given when outside it."""
    if path is None:
        return None
    try:
        return Path(path).resolve().relative_to(root).as_posix()
    except ValueError:
        return str(path)


def display_path(path: Path) -> str:
    """path relative to the working directory when under it."""
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)
