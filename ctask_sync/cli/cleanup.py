"""`ctask-sync cleanup --namespace NS`: delete every task NS owns (PR preview teardown)."""

from __future__ import annotations

import argparse

from ctask_sync.cli.common import feedback, printer, text_stream, write_json
from ctask_sync.datarobot.endpoint import shown_url
from ctask_sync.engine import sync
from ctask_sync.settings import Settings
from ctask_sync.words import plural


def run(args: argparse.Namespace) -> int:
    # never a default namespace (no ctask-sync.yaml): tearing down must be explicit
    settings = Settings.from_args(args)
    out = printer(text_stream(settings.json_file))  # `--json -`: the text goes to stderr
    deleted = sync.cleanup(settings, out, yes=not settings.dry_run, notify=feedback().notify)
    verb = "would delete" if settings.dry_run else "deleted"
    out(f"cleanup of {settings.namespace}: {verb} {plural(len(deleted), 'task')}")
    if settings.json_file:
        write_json(
            settings.json_file,
            {
                "version": 1,
                "endpoint": shown_url(settings.endpoint or "embedded emulator"),
                "namespace": settings.namespace,
                "dry_run": settings.dry_run,
                "deleted": deleted,
            },
        )
    return 0
