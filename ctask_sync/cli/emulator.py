"""`ctask-sync emulator`: serve the local DataRobot API emulator in the foreground."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from werkzeug.serving import BaseWSGIServer

from ctask_sync.emulator.server import serve_in_foreground
from ctask_sync.emulator.settings import EmulatorSettings
from ctask_sync.errors import ConfigError


def settings_from_args(args: argparse.Namespace) -> EmulatorSettings:
    """EmulatorSettings from the command's options; ConfigError for invalid values."""
    try:
        return EmulatorSettings(
            token=args.token or None,
            build_seconds=args.build_seconds,
            fail_builds_matching=args.fail_builds_matching,
            latency_ms=args.latency_ms,
            max_upload_bytes=args.max_upload_bytes,
            reuse_builds=args.reuse_builds,
            state_dir=Path(args.state) if args.state else None,
        )
    except ValueError as exc:
        raise ConfigError(f"invalid emulator option: {exc}") from exc


def run(args: argparse.Namespace) -> int:
    """Serve until interrupted (Ctrl-C or SIGTERM); every write is already persisted."""
    settings = settings_from_args(args)
    where = f"state in {settings.state_dir}" if settings.state_dir else "state in memory"
    auth = "one token (CTASK_SYNC_EMULATOR_TOKEN)" if settings.token else "any non-empty token"

    def announce(server: BaseWSGIServer) -> None:
        base = f"http://{server.host}:{server.port}"
        # One line a script can wait for: it names the endpoint, the admin URL and the state.
        print(
            f"ctask-sync emulator: DataRobot API at {base}/api/v2 (admin {base}/_emulator; "
            f"{where}; accepts {auth})",
            flush=True,
        )

    serve_in_foreground(settings, args.host, args.port, announce)
    print("ctask-sync emulator: stopped", file=sys.stderr, flush=True)
    return 0
