"""`ctask-sync emulator`: serve the local DataRobot API emulator in the foreground."""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path
from types import FrameType

from ctask_sync.emulator.server import make_emulator_server
from ctask_sync.emulator.settings import EmulatorSettings
from ctask_sync.errors import ConfigError


class _Stop(Exception):
    """Raised by the SIGTERM handler to leave serve_forever cleanly."""


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise _Stop


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
    server, _ = make_emulator_server(settings, args.host, args.port, quiet=False)
    base = f"http://{server.host}:{server.port}"
    where = f"state in {settings.state_dir}" if settings.state_dir else "state in memory"
    auth = "one token (CTASK_SYNC_EMULATOR_TOKEN)" if settings.token else "any non-empty token"
    # One line a script can wait for: it names the endpoint, the admin URL and the state.
    print(
        f"ctask-sync emulator: DataRobot API at {base}/api/v2 (admin {base}/_emulator; "
        f"{where}; accepts {auth})",
        flush=True,
    )
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        server.serve_forever(poll_interval=0.2)
    except (_Stop, KeyboardInterrupt):
        print("ctask-sync emulator: stopped", file=sys.stderr, flush=True)
    finally:
        signal.signal(signal.SIGTERM, previous)
        server.server_close()
    return 0
