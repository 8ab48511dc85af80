"""`ctask-sync plan`: show what apply would change. Exit 0 no changes, 2 changes, 1 error."""

from __future__ import annotations

import argparse
import json

from ctask_sync.cli.common import options_from_args, printer, text_stream, write_json, write_text
from ctask_sync.engine import saved_plan, sync
from ctask_sync.engine.saved_plan import SavedOptions
from ctask_sync.report import colour


def run(args: argparse.Namespace) -> int:
    options = options_from_args(args)
    out = text_stream(args.json_file)
    report = sync.plan(options, printer(out))
    printer(out)(report.text(colour=colour.wanted(out, no_color=args.no_color)))
    if args.json_file:
        write_json(args.json_file, report.to_dict())
    if args.markdown:
        write_text(args.markdown, report.markdown())
    if args.out:
        used = SavedOptions(
            targets=options.targets,
            allow_delete=options.allow_delete,
            allow_rollback=options.allow_rollback,
            major=options.major,
            tag=options.tag,
        )
        saved = saved_plan.to_json(report.plan, report.to_dict(), report.endpoint, used)
        write_text(args.out, json.dumps(saved, indent=2, ensure_ascii=False) + "\n")
        printer(out)(
            f"Saved the plan to {args.out}; apply it with `ctask-sync apply --plan {args.out}`."
        )
    if report.plan.refused:
        return 1
    # kept tasks are a difference too: DataRobot holds what the repository no longer has
    return 2 if report.plan.pending else 0
