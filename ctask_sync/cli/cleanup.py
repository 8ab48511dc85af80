"""`ctask-sync cleanup --namespace NS`: delete every task NS owns (PR preview teardown)."""

from __future__ import annotations

import argparse

from ctask_sync.cli.common import options_from_args, printer, text_stream, write_json
from ctask_sync.engine import sync
from ctask_sync.report.words import plural


def run(args: argparse.Namespace) -> int:
    options = options_from_args(args)
    options.namespace = args.namespace  # never a default: tearing down must be explicit
    out = printer(text_stream(args.json_file))  # `--json -`: the text goes to stderr
    deleted = sync.cleanup(options, out, yes=not args.dry_run)
    verb = "would delete" if args.dry_run else "deleted"
    out(f"cleanup of {args.namespace}: {verb} {plural(len(deleted), 'task')}")
    if args.json_file:
        write_json(
            args.json_file,
            {
                "version": 1,
                "endpoint": options.endpoint or "embedded emulator",
                "namespace": args.namespace,
                "dry_run": bool(args.dry_run),
                "deleted": deleted,
            },
        )
    return 0
