"""Paths as reports show them."""

from __future__ import annotations

from pathlib import Path


def relative(path: Path | str | None, root: Path) -> str | None:
    """path relative to the repository root (POSIX), or as given when outside it."""
    if path is None:
        return None
    try:
        return Path(path).resolve().relative_to(root).as_posix()
    except ValueError:
        return str(path)
