"""What the engine commands share: turning parsed arguments into SyncOptions, writing files."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from ctask_sync.engine.shard import parse_shard
from ctask_sync.engine.sync import SyncOptions
from ctask_sync.errors import ConfigError
from ctask_sync.report import progress


def options_from_args(args: argparse.Namespace) -> SyncOptions:
    shard = parse_shard(args.shard) if getattr(args, "shard", None) else None
    return SyncOptions(
        path=Path(args.path),
        endpoint=args.endpoint or None,
        token=os.environ.get("DATAROBOT_API_TOKEN") or None,
        # --namespace, else CTASK_SYNC_NAMESPACE (argparse), else the root's ctask-sync.yaml
        namespace=args.namespace or None,
        allow_delete=bool(getattr(args, "allow_delete", False)),
        allow_duplicate_name=bool(getattr(args, "allow_duplicate_name", False)),
        allow_rollback=bool(getattr(args, "allow_rollback", False)),
        wait=not getattr(args, "no_wait", False),
        build_timeout=float(getattr(args, "build_timeout", 1800.0)),
        concurrency=int(getattr(args, "concurrency", 8)),
        major=bool(getattr(args, "major", False)),
        tag=getattr(args, "tag", None),
        shard=shard,
        ca_bundle=getattr(args, "ca_bundle", None),
        retry_max_seconds=float(getattr(args, "retry_max_seconds", 120.0)),
        timeout=float(getattr(args, "timeout", 60.0)),
        targets=tuple(getattr(args, "targets", None) or ()),
        notify=progress.to_stream(),
    )


def text_stream(json_path: str | None) -> TextIO:
    """Where a command's human text goes: stderr when its JSON goes to stdout (`--json -`),
    so the JSON can be piped whole."""
    return sys.stderr if json_path == "-" else sys.stdout


def printer(stream: TextIO) -> Callable[[str], None]:
    """A log function writing lines to stream."""

    def log(line: str) -> None:
        print(line, file=stream, flush=True)

    return log


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
