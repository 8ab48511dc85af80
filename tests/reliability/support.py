"""Helpers for the reliability proofs: real git repositories, the CLI in-process or as a
subprocess, an emulator whose WSGI app is wrapped by a tap (arrival times, a hold on the nth
request), and the official datarobot client as the witness of what DataRobot holds."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
import threading
import time
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import datarobot as dr

from ctask_sync.cli.main import main
from ctask_sync.emulator import EmulatorSettings, RunningEmulator
from ctask_sync.emulator.server import make_emulator_server
from ctask_sync.emulator.testing import SENTINEL_TOKEN, AdminClient
from ctask_sync.emulator.testing import WRITE_METHODS as WRITE_METHODS
from ctask_sync.engine.remote import read_marker, user_description
from tests.testing.clirun import Run
from tests.testing.gitkit import commit_all as commit_all
from tests.testing.gitkit import git as git
from tests.testing.gitkit import init_repo as init_repo
from tests.testing.tasks import SKLEARN_ENV as SKLEARN_ENV
from tests.testing.tasks import write_task as write_task

NAMESPACE = "acme/tasks"
REPO_ROOT = Path(__file__).resolve().parents[2]

Admin = AdminClient  # the emulator's admin API, as this suite calls it


# -- git and task folders --------------------------------------------------------------------


def folder_files(folder: Path) -> dict[str, bytes]:
    """What ctask-sync should upload from folder (these trees hold no ignored files)."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in folder.rglob("*")
        if p.is_file() and p.name != "ctask.yaml"
    }


# -- running the CLI ---------------------------------------------------------------------------


def cli(*argv: str) -> Run:
    """ctask-sync in this process, its stdout and stderr captured."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return Run(code, out.getvalue(), err.getvalue())


def remote_args(endpoint: str, namespace: str = NAMESPACE) -> list[str]:
    return ["--endpoint", endpoint, "--namespace", namespace]


def subprocess_env(**extra: str) -> dict[str, str]:
    """The test's environment (sentinel token, isolated git) with this checkout importable."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    env.update(extra)
    return env


def spawn_cli(*argv: str, **popen: Any) -> subprocess.Popen[str]:
    """`python -m ctask_sync ARGV` as a child process (output to pipes unless told)."""
    popen.setdefault("stdout", subprocess.PIPE)
    popen.setdefault("stderr", subprocess.PIPE)
    return subprocess.Popen(
        [sys.executable, "-m", "ctask_sync", *argv],
        env=subprocess_env(),
        text=True,
        **popen,
    )


# -- the emulator, tapped ---------------------------------------------------------------------


@dataclass
class Arrival:
    seq: int
    at: float  # time.monotonic() when the request reached the app
    method: str
    path: str


class Tap:
    """WSGI middleware in front of the emulator: notes when each /api/v2 request arrives and can
    hold the nth one (counted from `hold`) until `release()`, so a test can kill the client while
    that request is provably in flight. `execute=False` answers a held request with a 503
    instead of running it (the server never acted on it)."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app
        self.arrivals: list[Arrival] = []
        self._lock = threading.Lock()
        self._count = 0
        self._hold_at: int | None = None
        self._execute = True
        self.held = threading.Event()  # the held request has arrived
        self.done = threading.Event()  # the held request was executed (or refused)
        self._go = threading.Event()
        self._barrier: tuple[str, str, threading.Barrier] | None = None

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        path = str(environ.get("PATH_INFO", ""))
        if not path.startswith("/api/v2/"):
            return self.app(environ, start_response)
        with self._lock:
            self._count += 1
            seq = self._count
            self.arrivals.append(Arrival(seq, time.monotonic(), environ["REQUEST_METHOD"], path))
            hold = seq == self._hold_at
            barrier = self._barrier
        if barrier is not None and (environ["REQUEST_METHOD"], path) == barrier[:2]:
            # both racers have read DataRobot's state before either may act on it
            with contextlib.suppress(threading.BrokenBarrierError):
                barrier[2].wait()
        if not hold:
            return self.app(environ, start_response)
        # The whole request reaches the server before the test may kill the client: werkzeug
        # calls the app once the headers are in, and the body may still be on its way.
        length = int(environ.get("CONTENT_LENGTH") or 0)
        environ["wsgi.input"] = io.BytesIO(environ["wsgi.input"].read(length) if length else b"")
        self.held.set()
        self._go.wait(timeout=60)
        try:
            if self._execute:
                return self.app(environ, start_response)
            body = b'{"message": "held and never executed"}'
            start_response(
                "503 Service Unavailable",
                [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
            )
            return [body]
        finally:
            self.done.set()

    def hold(self, nth: int, *, execute: bool = True) -> None:
        """Hold the nth API request from now; restart counting and arrivals."""
        with self._lock:
            self._count = 0
            self.arrivals = []
            self._hold_at = nth
            self._execute = execute
            self.held.clear()
            self.done.clear()
            self._go.clear()

    def barrier(self, method: str, path: str, parties: int, timeout: float = 30.0) -> None:
        """Answer no `method path` request until `parties` of them have arrived."""
        with self._lock:
            self._barrier = (method, path, threading.Barrier(parties, timeout=timeout))

    def release(self) -> None:
        with self._lock:
            self._hold_at = None
        self._go.set()

    def restart(self) -> None:
        """Forget arrivals, any hold and any barrier."""
        self.release()
        with self._lock:
            self._barrier = None
            self._count = 0
            self.arrivals = []


def start_tapped_emulator(**settings: Any) -> tuple[RunningEmulator, Tap]:
    """An emulator on 127.0.0.1 whose WSGI app sits behind a Tap."""
    server, app = make_emulator_server(EmulatorSettings(**settings), "127.0.0.1", 0)
    tap = Tap(app)
    server.app = tap
    return RunningEmulator(server, app), tap


# -- the witness: the official client ----------------------------------------------------------


def witness(endpoint: str) -> None:
    dr.Client(endpoint=endpoint, token=SENTINEL_TOKEN)


def zip_files(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {n: zf.read(n) for n in zf.namelist() if not n.endswith("/")}


def tasks_by_owner(namespace: str) -> dict[str, list[Any]]:
    """key -> every task whose marker names namespace (more than one is a duplicate)."""
    found: dict[str, list[Any]] = {}
    for task in dr.CustomTask.list():
        owner = read_marker(task.description or "")
        if owner is not None and owner.namespace == namespace:
            found.setdefault(owner.key, []).append(task)
    return found


@dataclass
class Expected:
    """The desired state of one task, and every file set a version of it may hold."""

    name: str
    description: str
    files: dict[str, bytes]
    allowed: list[dict[str, bytes]] = field(default_factory=list)
    build: bool = False  # its latest version needs a started dependency build


def check_state(
    endpoint: str, expected: dict[str, Expected], tmp: Path, namespace: str = NAMESPACE
) -> list[str]:
    """Problems with what DataRobot holds, read through the official client; [] when it is
    exactly the desired state."""
    witness(endpoint)
    problems: list[str] = []
    owned = tasks_by_owner(namespace)
    if sorted(owned) != sorted(expected):
        problems.append(f"owned keys {sorted(owned)} != {sorted(expected)}")
    for key, tasks in sorted(owned.items()):
        if len(tasks) > 1:
            problems.append(f"{key}: {len(tasks)} tasks (duplicate)")
        want = expected.get(key)
        if want is None:
            continue
        task = tasks[0]
        if task.name != want.name:
            problems.append(f"{key}: name {task.name!r} != {want.name!r}")
        if user_description(task.description or "") != want.description:
            problems.append(f"{key}: description {task.description!r}")
        versions = dr.CustomTaskVersion.list(task.id)
        if not versions:
            problems.append(f"{key}: no version")
            continue
        for version in versions:
            archive = tmp / f"{version.id}.zip"
            version.download(str(archive))
            files = zip_files(archive)
            archive.unlink()
            if files not in want.allowed:
                problems.append(
                    f"{key}: version {version.label} holds {sorted(files)}, no commit's"
                )
        latest = dr.CustomTask.get(task.id).latest_version
        archive = tmp / f"{task.id}-latest.zip"
        dr.CustomTask.get(task.id).download_latest_version(str(archive))
        if zip_files(archive) != want.files:
            problems.append(f"{key}: latest version {latest.label} != the repository's files")
        archive.unlink()
        if want.build:
            try:
                build = latest.get_dependency_build()
            except Exception as exc:  # the official client raises its own ClientError family
                problems.append(f"{key}: no dependency build on {latest.label} ({exc})")
            else:
                if build.build_status not in ("submitted", "processing", "success"):
                    problems.append(f"{key}: build {build.build_status}")
    return problems


@contextlib.contextmanager
def timed() -> Iterator[list[float]]:
    """`with timed() as t:` ... `t[0]` is the elapsed seconds."""
    box: list[float] = []
    start = time.monotonic()
    try:
        yield box
    finally:
        box.append(time.monotonic() - start)
