"""What the engine commands share: turning parsed arguments into Settings, writing files."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from ctask_sync.errors import ConfigError
from ctask_sync.redact import redact, redact_data
from ctask_sync.settings import Settings

if TYPE_CHECKING:  # the engine loads only for the commands that use it (validate's start-up)
    from ctask_sync.engine.session import Feedback


def settings_from_args(args: argparse.Namespace) -> Settings:
    """Settings from argv, with the --target keys (repeatable, so not a settings.py Option)."""
    settings = Settings.from_args(args)
    return settings.replace(targets=tuple(getattr(args, "targets", None) or ()))


def feedback() -> Feedback:
    """Retries and a silent endpoint reported on stderr (the build wait has its own line)."""
    from ctask_sync.engine.session import Feedback
    from ctask_sync.report import progress

    return Feedback(notify=progress.to_stream())


def text_stream(json_path: str | None) -> TextIO:
    """Where a command's human text goes: stderr when its JSON goes to stdout (`--json -`),
    so the JSON can be piped whole."""
    return sys.stderr if json_path == "-" else sys.stdout


def printer(stream: TextIO) -> Callable[[str], None]:
    """A log function writing lines to stream."""

    def log(line: str) -> None:
        print(line, file=stream, flush=True)

    return log


def write_json(path: str, data: dict[str, Any] | list[Any]) -> None:
    """Write a JSON report to path; `-` means stdout, as for every command's --json. Secrets are
    hidden: DataRobot's text (a task name, a build log) may hold the token."""
    _write(path, json.dumps(redact_data(data), indent=2, ensure_ascii=False) + "\n")


def write_text(path: str, text: str) -> None:
    """Write a report to path, every secret hidden; `-` means stdout (the Unix convention)."""
    _write(path, redact(text))


def _write(path: str, text: str) -> None:
    if path == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    try:
        Path(path).write_text(text, "utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot write {path}: {exc.strerror}") from exc
