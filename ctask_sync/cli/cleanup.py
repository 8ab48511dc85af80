"""`ctask-sync cleanup --namespace NS`: delete every task NS owns (PR preview teardown)."""

from __future__ import annotations

import argparse

from ctask_sync.cli.common import options_from_args, write_json
from ctask_sync.engine import sync


def run(args: argparse.Namespace) -> int:
    options = options_from_args(args)
    options.namespace = args.namespace  # never a default: tearing down must be explicit
    deleted = sync.cleanup(options, yes=not args.dry_run)
    verb = "would delete" if args.dry_run else "deleted"
    print(f"cleanup of {args.namespace}: {verb} {len(deleted)} task(s)")
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
