"""Command line: argparse (options and their environment fallbacks: settings.py), exit codes.

Exit codes: 0 success (plan: no changes; status: all in sync), 1 expected error, 2 plan has
changes or status finds a task not in sync, 3 unexpected error (a bug), 130 interrupted."""

from __future__ import annotations

import argparse
import gc
import os
import sys
from collections.abc import Sequence
from typing import Any, NoReturn, TypeAlias

from ctask_sync import __version__
from ctask_sync.cli.guard import guarded_output
from ctask_sync.cli.options import add_arguments
from ctask_sync.errors import CtaskSyncError
from ctask_sync.redact import redact

BUG_HINT = (
    "ctask-sync hit an unexpected error (a bug). Please report it with the command you ran "
    "and this message: https://github.com/ctask-sync/ctask-sync/issues"
)

# argv flags that would put a secret on the command line, where `ps` and CI logs can see it.
_SECRET_FLAGS = ("--token", "--api-token", "--api-key", "--datarobot-api-token")


def _add_review_options(p: argparse.ArgumentParser) -> None:
    """plan's and apply's own: --target (repeatable) and --no-color."""
    p.add_argument(
        "--target",
        dest="targets",
        action="append",
        default=[],
        metavar="KEY",
        help="only the task with this key (repeatable); deletions of other tasks never happen",
    )
    p.add_argument(
        "--no-color",
        action="store_true",
        help="no colour (also NO_COLOR=1; FORCE_COLOR=1 forces it where no terminal is)",
    )


class _Parser(argparse.ArgumentParser):
    """argparse without prefix matching (`--tok` must not reach a `--token`), whose usage
    errors pass through redact() since they echo what was typed, secrets included."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["allow_abbrev"] = False
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {redact(message)}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="ctask-sync",
        description="Keep DataRobot custom tasks in step with folders in a git repository.",
    )
    parser.add_argument("-V", "--version", action="version", version=f"ctask-sync {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    _add_validate(sub)
    _add_sync_commands(sub)
    _add_setup_commands(sub)
    _add_emulator(sub)
    sub.add_parser("action", help="run as the GitHub Action (reads INPUT_* variables)")
    return parser


# what add_subparsers returns (argparse names the class privately)
_Subparsers: TypeAlias = "argparse._SubParsersAction[_Parser]"


def _add_validate(sub: _Subparsers) -> None:
    """validate: offline, no Settings."""
    p = sub.add_parser("validate", help="check every ctask.yaml offline")
    p.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="folders to search, or ctask.yaml files as pre-commit passes them (default: .)",
    )
    p.add_argument(
        "--json",
        nargs="?",
        const="-",
        metavar="-",
        help="print the findings as JSON on stdout (`--json` or `--json -`)",
    )


def _add_sync_commands(sub: _Subparsers) -> None:
    """plan, apply, status, cleanup: the commands that talk to DataRobot about a root's tasks."""
    p = sub.add_parser("plan", help="show what apply would change (exit 2 when changes)")
    add_arguments(p, "plan")
    _add_review_options(p)
    p.add_argument(
        "--out",
        metavar="PLANFILE",
        help="save the plan, with the state it was computed from, for `apply --plan PLANFILE`",
    )

    p = sub.add_parser("apply", help="sync DataRobot with the repository")
    add_arguments(p, "apply")
    _add_review_options(p)
    p.add_argument(
        "--plan",
        dest="plan_file",
        metavar="PLANFILE",
        help="apply exactly this saved plan (`plan --out`), or nothing if anything changed since",
    )
    p.add_argument(
        "--yes",
        action="store_true",
        help="apply without asking (a terminal asks for confirmation; without one, never)",
    )

    p = sub.add_parser("status", help="show key → task id, latest version, in sync or drifted")
    add_arguments(p, "status")

    p = sub.add_parser("cleanup", help="delete every task a namespace owns (preview teardown)")
    add_arguments(p, "cleanup")


def _add_setup_commands(sub: _Subparsers) -> None:
    """init, import, environments, schema: setting a root up and looking around."""
    p = sub.add_parser("init", help="write ctask-sync.yaml: mark a sync root and its namespace")
    p.add_argument("path", nargs="?", default=".", help="the root folder (default: .)")
    p.add_argument(
        "--namespace",
        help="owner namespace of the root's tasks (default: the GitHub remote's owner/name, "
        "else the folder's name)",
    )

    p = sub.add_parser("import", help="bring existing DataRobot tasks under git (read-only)")
    add_arguments(p, "import")
    p.add_argument(
        "--task-id",
        dest="task_ids",
        action="append",
        default=[],
        metavar="ID",
        help="a task to import (repeatable)",
    )
    p.add_argument(
        "--unowned",
        action="store_true",
        help="import every task that no namespace owns (narrow it with --name-filter)",
    )
    p.add_argument(
        "--name-filter",
        metavar="GLOB",
        help="with --unowned: only tasks whose name matches GLOB, e.g. 'Fraud*'",
    )

    p = sub.add_parser("environments", help="list the execution environments the token can see")
    add_arguments(p, "environments")
    p.add_argument(
        "--json",
        nargs="?",
        const="-",
        metavar="-",
        help="print them as JSON on stdout (`--json` or `--json -`)",
    )

    p = sub.add_parser("schema", help="print the JSON Schema of ctask.yaml")
    p.add_argument(
        "--root-config",
        action="store_true",
        help="print the schema of the root config ctask-sync.yaml instead",
    )


def _add_emulator(sub: _Subparsers) -> None:
    """emulator: the local DataRobot API stand-in."""
    p = sub.add_parser("emulator", help="serve the local DataRobot API emulator")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8080, help="port (default 8080; 0 picks one)")
    p.add_argument("--state", metavar="DIR", help="persist state in DIR (default: in memory)")
    # the one token it accepts comes from CTASK_SYNC_EMULATOR_TOKEN only, like every secret here
    p.set_defaults(token=os.environ.get("CTASK_SYNC_EMULATOR_TOKEN") or None)
    p.add_argument("--build-seconds", type=float, default=1.0, help="dependency build duration")
    p.add_argument(
        "--fail-builds-matching",
        default="^does-not-exist",
        metavar="REGEX",
        help="requirements whose package name matches fail their build",
    )
    p.add_argument("--latency-ms", type=float, default=0.0, help="added latency per request")
    p.add_argument(
        "--max-upload-bytes",
        type=int,
        default=None,
        help="reject larger version uploads with 413 (DataRobot publishes no number)",
    )
    p.add_argument(
        "--reuse-builds",
        action="store_true",
        help="finish a build at once when its (environment, requirements) pair built before",
    )


def _refuse_secret_on_argv(argv: Sequence[str]) -> None:
    for arg in argv:
        flag = arg.split("=", 1)[0]
        # whole names and any abbreviation of them (`--tok`), which argparse might have matched
        if (
            flag.startswith("--")
            and len(flag) > 4
            and any(s.startswith(flag) for s in _SECRET_FLAGS)
        ):
            raise CtaskSyncError(
                f"{flag} is not accepted: a token on the command line is visible "
                "to other users and in CI logs",
                hint="set the DATAROBOT_API_TOKEN environment variable instead",
            )


def _dispatch(args: argparse.Namespace) -> int:
    """Run one command. Each import is local so a command loads only what it uses (start-up)."""
    command: str = args.command
    if command == "validate":
        from ctask_sync.cli import validate

        return validate.run(args)
    if command == "plan":
        from ctask_sync.cli import plan

        return plan.run(args)
    if command == "apply":
        from ctask_sync.cli import apply

        return apply.run(args)
    if command == "status":
        from ctask_sync.cli import status

        return status.run(args)
    if command == "cleanup":
        from ctask_sync.cli import cleanup

        return cleanup.run(args)
    if command == "init":
        from ctask_sync.cli import init

        return init.run(args)
    if command == "import":
        from ctask_sync.cli import import_

        return import_.run(args)
    if command == "environments":
        from ctask_sync.cli import environments

        return environments.run(args)
    if command == "schema":
        from ctask_sync.cli import schema

        return schema.run(args)
    if command == "emulator":
        from ctask_sync.cli import emulator

        return emulator.run(args)
    if command == "action":
        from ctask_sync.github import action

        return action.run(args)
    raise AssertionError(f"no such command: {command}")  # argparse refuses unknown commands


def _tolerate_narrow_encodings() -> None:
    """Print what the stream can encode and replace the rest: a Windows pipe (cp1252) must never
    turn a task name or a ✓ into a UnicodeEncodeError."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="replace")


def main(argv: Sequence[str] | None = None) -> int:
    # A run builds millions of small objects that live to its end (manifests, the task cache,
    # DataRobot's task list); at the default thresholds the collector keeps walking them all,
    # 40 % of discovery at 10,000 tasks. The values are mypy's (mypy/build.py), for the same
    # reason; cycles are still collected.
    thresholds = gc.get_threshold()
    gc.set_threshold(200_000, 30, 30)
    try:
        return _main(argv)
    finally:
        gc.set_threshold(*thresholds)


def _command(argv: list[str]) -> str | None:
    """The command named on argv (only -h and -V come before it), before argparse runs."""
    return next((arg for arg in argv if not arg.startswith("-")), None)


def _main(argv: Sequence[str] | None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    _tolerate_narrow_encodings()
    # every command's output is guarded but the action's: it writes `::add-mask::` with the
    # secret on purpose, and its Workflow writer redacts and fences remote text itself
    with guarded_output(enabled=_command(args_list) != "action"):
        return _run(args_list)


def _run(args_list: list[str]) -> int:
    try:
        _refuse_secret_on_argv(args_list)
        try:
            args = build_parser().parse_args(args_list)
        except SystemExit as exc:
            # argparse exits 2 on a usage error, which `plan` uses for "changes": say 1 instead
            return 0 if exc.code in (0, None) else 1
        return _dispatch(args)
    except CtaskSyncError as exc:
        print(f"error: {redact(str(exc))}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 1
    except Exception as exc:  # the last line of defence: exit 3, no traceback
        print(f"error: {redact(f'{type(exc).__name__}: {exc}')}", file=sys.stderr)
        print(BUG_HINT, file=sys.stderr)
        from ctask_sync.cli.crash import write_crash_log

        log = write_crash_log(exc, _shown_argv(args_list))
        if log is not None:
            print(f"The traceback, version and platform are in {log}", file=sys.stderr)
        if os.environ.get("CTASK_SYNC_DEBUG"):
            import traceback

            print(redact(traceback.format_exc()), file=sys.stderr)
        return 3


def _shown_argv(argv: list[str]) -> list[str]:
    """argv for the crash log, with every known secret hidden."""
    return [redact(arg) for arg in argv]


if __name__ == "__main__":
    raise SystemExit(main())
