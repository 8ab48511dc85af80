"""What the engine commands share: turning parsed arguments into Settings, writing files."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from ctask_sync.errors import ConfigError
from ctask_sync.settings import Settings


def settings_from_args(args: argparse.Namespace) -> Settings:
    """The run's Settings; an unset namespace falls back to GITHUB_REPOSITORY (a CLI run inside a
    workflow; DESIGN.md: only cli/ and github/ read GITHUB_*), then to the engine's git-based
    default. `cleanup` takes no default namespace: it uses Settings.from_args directly."""
    settings = Settings.from_args(args)
    if settings.namespace:
        return settings
    return settings.replace(namespace=os.environ.get("GITHUB_REPOSITORY") or None)


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
