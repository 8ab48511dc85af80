"""`ctask-sync plan`: show what apply would change. Exit 0 no changes, 2 changes, 1 error."""

from __future__ import annotations

import argparse

from ctask_sync.cli.common import options_from_args, write_json, write_text
from ctask_sync.engine import sync


def run(args: argparse.Namespace) -> int:
    report = sync.plan(options_from_args(args))
    print(report.text())
    if args.json_file:
        write_json(args.json_file, report.to_dict())
    if args.markdown:
        write_text(args.markdown, report.markdown())
    if report.plan.refused:
        return 1
    # kept tasks are a difference too: DataRobot holds what the repository no longer has
    return 2 if report.plan.pending else 0
