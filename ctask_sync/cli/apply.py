"""`ctask-sync apply`: make DataRobot match the repository."""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from typing import Any, TextIO, cast

from ctask_sync.cli.common import (
    feedback,
    printer,
    settings_from_args,
    text_stream,
    write_json,
    write_text,
)
from ctask_sync.engine import saved_plan, sync
from ctask_sync.engine.outcomes import PlanOutcome
from ctask_sync.errors import ConfigError
from ctask_sync.redact import redact_data
from ctask_sync.report import colour
from ctask_sync.report.progress import StatusLine
from ctask_sync.report.reports import ApplyReport, PlanReport, told

PROMPT = "Apply these changes? Only 'yes' is accepted: "


def interactive(out: TextIO) -> bool:
    """A person at a terminal can see the question and answer it (CI and pipes never get one)."""
    return sys.stdin.isatty() and out.isatty()


def confirm(out: TextIO) -> bool:
    """Ask, Terraform-style: only the word yes goes on."""
    out.write("\n" + PROMPT)
    out.flush()
    return sys.stdin.readline().strip() == "yes"


def run(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    saved = None
    if args.plan_file:
        if settings.targets:
            raise ConfigError(
                "--target cannot be combined with --plan: the saved plan has its own targets",
                hint="pass --target to `ctask-sync plan --out`",
            )
        saved = saved_plan.load(args.plan_file)
    out = text_stream(settings.json_file)
    status = StatusLine()
    write_line = printer(out)

    def log(line: str) -> None:
        status.done()  # an in-place build status line ends before other output
        write_line(line)

    paint = colour.wanted(out, no_color=args.no_color)

    def show(outcome: PlanOutcome) -> bool:
        report = PlanReport(outcome)
        if saved is not None:
            # the saved file holds the report with secrets hidden (write_text): compare alike
            saved_plan.check_report(saved, cast(dict[str, Any], redact_data(report.to_dict())))
        log(report.text(colour=paint))
        # a saved plan was reviewed when it was made (Terraform asks for none either)
        if args.yes or saved is not None or not report.has_changes or report.plan.refused:
            return True
        return not interactive(out) or confirm(out)

    outcome = sync.apply(
        settings,
        log,
        show_plan=show,
        saved=saved,
        feedback=replace(feedback(), build_progress=status.update, interrupted=told(log)),
    )
    report = ApplyReport(outcome)
    status.done()
    log("")
    log(report.text(colour=paint))
    if settings.json_file:
        write_json(settings.json_file, report.to_dict())
    if settings.markdown_file:
        write_text(settings.markdown_file, report.markdown())
    return 0 if report.ok else 1
