"""`ctask-sync environments [--json]`: the execution environments the token can see."""

from __future__ import annotations

import argparse
import sys

from ctask_sync.cli.common import write_json
from ctask_sync.datarobot.models import ExecutionEnvironment
from ctask_sync.engine import sync
from ctask_sync.report.escape import one_line
from ctask_sync.settings import Settings

_HEADERS = ("NAME", "ID", "LANGUAGE", "LATEST VERSION")


def _row(env: ExecutionEnvironment) -> tuple[str, str, str, str]:
    # names come from DataRobot: a control or bidi character is shown, never sent to a terminal
    cells = (env.name, env.id, env.programming_language or "-", env.latest_version_id or "-")
    return (one_line(cells[0]), one_line(cells[1]), one_line(cells[2]), one_line(cells[3]))


def render_text(found: list[ExecutionEnvironment]) -> str:
    """A table sorted by name: what to write as environment.name or environment.id."""
    if not found:
        return "No execution environments are visible to this DataRobot user."
    rows = [_HEADERS, *(_row(e) for e in sorted(found, key=lambda e: (e.name.lower(), e.id)))]
    widths = [max(len(row[i]) for row in rows) for i in range(len(_HEADERS) - 1)]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row[:-1], widths, strict=True))
        + "  "
        + row[-1]
        for row in rows
    ]
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """Print the environments; the connection notice goes to stderr so stdout stays data."""
    if args.json not in (None, "-"):
        args.path = args.json  # `--json` takes an optional `-` (stdout); anything else, a path
    found = sync.environments(
        Settings.from_args(args), log=lambda line: print(line, file=sys.stderr)
    )
    if args.json:
        document = [
            {
                "name": e.name,
                "id": e.id,
                "programming_language": e.programming_language,
                "latest_version_id": e.latest_version_id,
            }
            for e in sorted(found, key=lambda e: (e.name.lower(), e.id))
        ]
        write_json("-", document)
    else:
        print(render_text(found))
    return 0
