"""`ctask-sync plan`: show what apply would change. Exit 0 no changes, 2 changes, 1 error."""

from __future__ import annotations

import argparse
import json

from ctask_sync.cli.common import (
    feedback,
    printer,
    settings_from_args,
    text_stream,
    write_json,
    write_text,
)
from ctask_sync.engine import sync
from ctask_sync.report import colour
from ctask_sync.report.reports import PlanReport


def run(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    out = text_stream(settings.json_file)
    log = printer(out)
    report = PlanReport(sync.plan(settings, log, feedback=feedback()))
    log(report.text(colour=colour.wanted(out, no_color=args.no_color)))
    if settings.json_file:
        write_json(settings.json_file, report.to_dict())
    if settings.markdown_file:
        write_text(settings.markdown_file, report.markdown())
    if args.out:
        # loaded only for `--out`: a plan that saves nothing does without it (start-up)
        from ctask_sync.engine import saved_plan

        used = saved_plan.SavedOptions(
            targets=settings.targets,
            allow_delete=settings.allow_delete,
            allow_rollback=settings.allow_rollback,
            major=settings.major,
            tag=settings.tag,
        )
        saved = saved_plan.to_json(report.plan, report.to_dict(), report.endpoint, used)
        write_text(args.out, json.dumps(saved, indent=2, ensure_ascii=False) + "\n")
        log(f"Saved the plan to {args.out}; apply it with `ctask-sync apply --plan {args.out}`.")
    if report.plan.refused:
        return 1
    # kept tasks are a difference too: DataRobot holds what the repository no longer has
    return 2 if report.plan.pending else 0
