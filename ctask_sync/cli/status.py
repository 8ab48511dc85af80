"""`ctask-sync status`: key -> task id, latest version, in sync or drifted."""

from __future__ import annotations

import argparse

from ctask_sync.cli.common import settings_from_args, write_json
from ctask_sync.engine import sync

_STATES = {
    "create": "not in DataRobot",
    "update": "out of sync",
    "unchanged": "in sync",
    "delete": "no manifest",
    "refuse": "newer remotely",
}


def run(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    report = sync.plan(settings, log=print)
    rows = []
    for task in report.plan.tasks:
        state = _STATES[task.action]
        if any(w.startswith("drift") for w in task.warnings):
            state = "drifted"
        latest = task.remote.latest if task.remote else None
        rows.append(
            {
                "key": task.key,
                "task_id": task.task_id,
                "version": latest.label if latest else None,
                "version_id": latest.id if latest else None,
                "state": state,
            }
        )
    width = max((len(r["key"] or "") for r in rows), default=3)
    print(f"{'key'.ljust(width)}  {'task id':<24}  {'version':<8}  state")
    for r in rows:
        print(
            f"{(r['key'] or '').ljust(width)}  {r['task_id'] or '-':<24}  "
            f"{r['version'] or '-':<8}  {r['state']}"
        )
    if settings.json_file:
        write_json(settings.json_file, {"version": 1, "tasks": rows})
    return 0
