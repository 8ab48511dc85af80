"""What the engine commands share: turning parsed arguments into Settings, writing files."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from ctask_sync.errors import ConfigError


def write_json(path: str, data: dict[str, Any]) -> None:
    """Write a JSON report to path; `-` means stdout, as for every command's --json."""
    write_text(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def write_text(path: str, text: str) -> None:
    """Write a report to path; `-` means stdout (the Unix convention)."""
    if path == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    try:
        Path(path).write_text(text, "utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot write {path}: {exc.strerror}") from exc
