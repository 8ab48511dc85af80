"""`ctask-sync status`: key -> task id, latest version, in sync or not.

Exit 0 when every task is in sync and usable, 2 when any is not, 1 on error."""

from __future__ import annotations

import argparse
from typing import Any

from ctask_sync.cli.common import feedback, printer, text_stream, write_json
from ctask_sync.engine import sync
from ctask_sync.engine.steps import AwaitBuild, StartBuild, TaskPlan
from ctask_sync.report import consumers
from ctask_sync.report.reports import PlanReport
from ctask_sync.settings import Settings

IN_SYNC = "in sync"
_STATES = {
    "create": "not in DataRobot",
    "update": "out of sync",
    "unchanged": IN_SYNC,
    "delete": "no manifest",
    "keep": "no manifest",
    "refuse": "newer remotely",
}


def state(task: TaskPlan) -> str:
    """The task's state in a few words; only IN_SYNC means usable and matching."""
    if any(w.startswith("drift") for w in task.warnings):
        return "drifted"
    if task.action == "update" and task.version is None and not task.metadata:
        for step in task.steps:
            if isinstance(step, StartBuild):
                return "build failed" if step.retry else "build not started"
            if isinstance(step, AwaitBuild):
                return "build running"
    return _STATES[task.action]


def run(args: argparse.Namespace) -> int:
    settings = Settings.from_args(args)
    out = printer(text_stream(settings.json_file))  # `--json -`: the table goes to stderr
    report = PlanReport(sync.plan(settings, log=out, feedback=feedback()))
    rows: list[dict[str, Any]] = []
    uses: dict[str, list[str]] = {}
    for task in report.plan.tasks:
        uses[task.key] = consumers.detail_lines(task)
        latest = task.remote.latest if task.remote else None
        rows.append(
            {
                "key": task.key,
                "task_id": task.task_id,
                "version": latest.label if latest else None,
                "version_id": latest.id if latest else None,
                "state": state(task),
                "build": task.build,
                # with --consumers: the user blueprints using the task (else null: not read)
                "consumers": (
                    None
                    if task.consumers is None
                    else [consumers.use_dict(u) for u in task.consumers]
                ),
            }
        )
    width = max((len(r["key"] or "") for r in rows), default=3)
    out(f"{'key'.ljust(width)}  {'task id':<24}  {'version':<8}  state")
    for r in rows:
        out(
            f"{(r['key'] or '').ljust(width)}  {r['task_id'] or '-':<24}  "
            f"{r['version'] or '-':<8}  {r['state']}"
        )
        for line in uses[r["key"]]:
            out(f"{''.ljust(width)}  {line}")
    if settings.json_file:
        write_json(
            settings.json_file,
            {
                "version": 1,
                "endpoint": report.endpoint,
                "namespace": report.plan.context.namespace,
                "tasks": rows,
            },
        )
    return 0 if all(r["state"] == IN_SYNC for r in rows) else 2
