"""`ctask-sync apply`: make DataRobot match the repository."""

from __future__ import annotations

import argparse

from ctask_sync.cli.common import write_json, write_text
from ctask_sync.engine import sync
from ctask_sync.settings import Settings


def run(args: argparse.Namespace) -> int:
    settings = Settings.from_args(args)
    report = sync.apply(settings)
    print()
    print(report.text())
    if settings.json_file:
        write_json(settings.json_file, report.to_dict())
    if settings.markdown_file:
        write_text(settings.markdown_file, report.markdown())
    return 0 if report.ok else 1
