"""`ctask-sync cleanup --namespace NS`: delete every task NS owns (PR preview teardown)."""

from __future__ import annotations

import argparse

from ctask_sync.cli.common import options_from_args
from ctask_sync.engine import sync
from ctask_sync.report.words import plural


def run(args: argparse.Namespace) -> int:
    options = options_from_args(args)
    options.namespace = args.namespace  # never a default: tearing down must be explicit
    deleted = sync.cleanup(options, yes=not args.dry_run)
    verb = "would delete" if args.dry_run else "deleted"
    print(f"cleanup of {args.namespace}: {verb} {plural(len(deleted), 'task')}")
    return 0
