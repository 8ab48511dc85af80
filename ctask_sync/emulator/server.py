"""Serve the emulator over HTTP: in a background thread (tests) or in the foreground (CLI)."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from types import FrameType, TracebackType
from typing import Any

from werkzeug.serving import BaseWSGIServer, make_server

from ctask_sync.emulator.access_log import AccessLogRequestHandler
from ctask_sync.emulator.app import EmulatorApp
from ctask_sync.emulator.keepalive import ConnectionCount, KeepAliveRequestHandler
from ctask_sync.emulator.settings import EmulatorSettings
from ctask_sync.errors import ConfigError


class QuietRequestHandler(KeepAliveRequestHandler):
    """No per-request access log on stderr (tests read stderr; the request log has it all)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Silence werkzeug's per-request line."""
        pass


class RunningEmulator:
    """An emulator serving in a background thread; `stop()` or use it as a context manager."""

    def __init__(self, server: BaseWSGIServer, app: EmulatorApp) -> None:
        self.app = app
        self._server = server
        self.host = server.host
        self.port = server.port
        base = f"http://{self.host}:{self.port}"
        self.endpoint = f"{base}/api/v2"
        self.admin_url = f"{base}/_emulator"
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    @property
    def settings(self) -> EmulatorSettings:
        """The live settings (PATCH /_emulator/settings replaces them)."""
        return self.app.ctx.settings

    @property
    def connections(self) -> int:
        """How many TCP connections the server has accepted (clients keep them alive)."""
        count: ConnectionCount = self._server.connections  # type: ignore[attr-defined]
        return count.accepted

    @property
    def serving(self) -> bool:
        """Whether the serving thread still runs."""
        return self._thread.is_alive()

    def stop(self) -> None:
        """Stop serving and release the port; idempotent."""
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join(timeout=10)
        self._server.server_close()

    def __enter__(self) -> RunningEmulator:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def make_emulator_server(
    settings: EmulatorSettings, host: str, port: int, *, quiet: bool = True
) -> tuple[BaseWSGIServer, EmulatorApp]:
    """Bind a threaded server; ConfigError when the address cannot be used."""
    app = EmulatorApp(settings)
    handler: Any = QuietRequestHandler if quiet else AccessLogRequestHandler
    try:
        server = make_server(host, port, app, threaded=True, request_handler=handler)
    except SystemExit as exc:  # werkzeug prints the OS error and exits on bind failures
        raise ConfigError(
            f"cannot listen on {host}:{port}",
            hint="choose another --port (0 picks a free one) or stop what uses it",
        ) from exc
    server.connections = ConnectionCount()  # type: ignore[attr-defined]
    return server, app


def start_emulator(
    settings: EmulatorSettings | None = None, host: str = "127.0.0.1", port: int = 0
) -> RunningEmulator:
    """Start an emulator on host:port (0: a free port) in a background thread."""
    server, app = make_emulator_server(settings or EmulatorSettings(), host, port)
    return RunningEmulator(server, app)


def serve_in_foreground(
    settings: EmulatorSettings,
    host: str,
    port: int,
    announce: Callable[[BaseWSGIServer], None],
) -> None:
    """Bind, call `announce` once the port is open, and serve until SIGTERM or SIGINT.

    The signal handlers only set an event that the main thread waits on while a background
    thread serves. Raising from a handler instead would be swallowed by socketserver when the
    signal lands while it accepts or handles a request, and the process would never stop.
    The handlers are installed before the port opens, so a signal in any phase stops it."""
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        server, app = make_emulator_server(settings, host, port, quiet=False)
        with RunningEmulator(server, app) as running:
            announce(server)
            while running.serving and not stop.wait(0.2):
                pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
