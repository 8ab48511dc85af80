"""`ctask-sync plan`: show what apply would change. Exit 0 no changes, 2 changes, 1 error."""

from __future__ import annotations

import argparse

from ctask_sync.cli.common import write_json, write_text
from ctask_sync.engine import sync
from ctask_sync.settings import Settings


def run(args: argparse.Namespace) -> int:
    settings = Settings.from_args(args)
    report = sync.plan(settings)
    print(report.text())
    if settings.json_file:
        write_json(settings.json_file, report.to_dict())
    if settings.markdown_file:
        write_text(settings.markdown_file, report.markdown())
    if report.plan.refused:
        return 1
    # kept tasks are a difference too: DataRobot holds what the repository no longer has
    return 2 if report.plan.pending else 0
