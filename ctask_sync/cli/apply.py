"""`ctask-sync apply`: make DataRobot match the repository."""

from __future__ import annotations

import argparse

from ctask_sync.cli.common import options_from_args, write_json, write_text
from ctask_sync.engine import sync


def run(args: argparse.Namespace) -> int:
    report = sync.apply(options_from_args(args))
    print()
    print(report.text())
    if args.json_file:
        write_json(args.json_file, report.to_dict())
    if args.markdown:
        write_text(args.markdown, report.markdown())
    return 0 if report.ok else 1
