"""Issue 14, feedback and terminal manners: a line per retry on stderr, a notice when an endpoint
is silent, build progress, colour (NO_COLOR, FORCE_COLOR, --no-color), `--json -` on stdout with
the text on stderr, and the confirmation an interactive terminal asks for (a real pty)."""

from __future__ import annotations

import io
import json
import os
import pty
import select
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pytest_mock import MockerFixture

from ctask_sync.engine.builds import BuildWatch, progress_line
from ctask_sync.report.progress import StatusLine
from tests.testing.clirun import Run

from .conftest import Admin, commit_all, write_task


def test_each_retry_is_a_line_on_stderr(
    cli: Callable[..., Run], repo: Path, admin: Admin, mocker: MockerFixture
) -> None:
    sleep = mocker.patch("ctask_sync.datarobot.retry.sleep")
    write_task(repo, "a")
    commit_all(repo)
    admin.fault(method="GET", path="customTasks/$", status=503, retry_after=2, times=2)
    run = cli("plan", str(repo))
    assert run.code == 2, run.err
    assert run.err == ("HTTP 503, retrying in 2.0 s (2/5)\nHTTP 503, retrying in 2.0 s (3/5)\n")
    assert [c.args for c in sleep.call_args_list] == [(2.0,), (2.0,)]


def test_a_closed_port_says_so_on_each_attempt(
    cli: Callable[..., Run], repo: Path, mocker: MockerFixture
) -> None:
    mocker.patch("ctask_sync.datarobot.retry.sleep")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # nothing listens once it is closed
    endpoint = f"http://127.0.0.1:{port}/api/v2"
    write_task(repo, "a")
    commit_all(repo)
    run = cli("plan", str(repo), "--endpoint", endpoint, endpoint=False)
    assert run.code == 1
    lines = run.err.splitlines()
    assert lines[0].startswith(f"could not connect to {endpoint}: Connection refused, retrying in ")
    assert lines[0].endswith("(2/5)") and lines[3].endswith("(5/5)")
    assert lines[4] == (
        "error: DataRobot GET executionEnvironments/ failed (no response): could not connect to "
        f"{endpoint}: Connection refused (gave up after 5 attempts)"
    )


@pytest.fixture
def silent_endpoint() -> Iterator[str]:
    """A port that accepts connections and never answers."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        yield f"http://127.0.0.1:{server.getsockname()[1]}/api/v2"


def test_a_silent_endpoint_is_named_after_two_seconds(
    cli: Callable[..., Run], repo: Path, silent_endpoint: str
) -> None:
    write_task(repo, "a")
    commit_all(repo)
    args = ("plan", str(repo), "--endpoint", silent_endpoint, "--timeout", "2.5")
    run = cli(*args, "--retry-max-seconds", "0", endpoint=False)
    assert run.code == 1
    assert run.err.startswith(
        f"Connecting to {silent_endpoint} …\n"
        "error: DataRobot GET executionEnvironments/ failed (no response): no response within 2.5 s"
    )


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_build_progress_is_redrawn_on_a_terminal_and_a_line_every_ten_seconds_elsewhere() -> None:
    builds = [BuildWatch(key=k, task_id="t", version_id="v") for k in ("a", "b", "c")]
    builds[0].status = "success"
    builds[1].status = "processing"
    assert progress_line(builds, 40.2) == (
        "Waiting for 3 dependency builds: 1 succeeded, 2 running (40 s)"
    )
    terminal = _Terminal()
    status = StatusLine(terminal)
    status.update("Waiting for 1 dependency build: 1 running (0 s)")
    status.update("Waiting for 1 dependency build: 1 failed (2 s)")
    status.done()
    # the shorter line blanks what is left of the longer one
    assert terminal.getvalue() == (
        "\rWaiting for 1 dependency build: 1 running (0 s)"
        "\rWaiting for 1 dependency build: 1 failed (2 s) \n"
    )
    now = [0.0]
    log = io.StringIO()
    status = StatusLine(log, every=10.0, clock=lambda: now[0])
    for second in range(0, 25):
        now[0] = float(second)
        status.update(f"({second} s)")
    assert log.getvalue() == "(10 s)\n(20 s)\n"


def _two_changes(repo: Path) -> None:
    write_task(repo, "a")
    commit_all(repo)


@pytest.mark.parametrize(
    ("env", "flag", "coloured"),
    [
        ({"FORCE_COLOR": "1"}, (), True),
        ({"FORCE_COLOR": "1", "NO_COLOR": "1"}, (), False),
        ({"FORCE_COLOR": "1"}, ("--no-color",), False),
        ({}, (), False),  # no terminal (pytest's capture)
    ],
)
def test_colour_follows_no_color_force_color_and_the_flag(
    cli: Callable[..., Run],
    repo: Path,
    monkeypatch: pytest.MonkeyPatch,
    env: dict[str, str],
    flag: tuple[str, ...],
    coloured: bool,
) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    _two_changes(repo)
    out = cli("plan", str(repo), *flag).out
    assert ("  \033[32m+\033[0m a  create task" in out) is coloured
    assert ("      \033[32m+ custom.py (" in out) is coloured
    assert ("\033[" in out) is coloured


def test_json_dash_is_stdout_and_the_text_goes_to_stderr(
    cli: Callable[..., Run], repo: Path
) -> None:
    _two_changes(repo)
    run = cli("plan", str(repo), "--json", "-")
    assert json.loads(run.out)["tasks"][0]["key"] == "a"
    assert "  + a  create task with 1 file" in run.err
    applied = cli("apply", str(repo), "--json", "-")
    assert json.loads(applied.out)["ok"] is True
    assert "Apply complete: 1 created" in applied.err
    status = cli("status", str(repo), "--json", "-")
    assert json.loads(status.out)["tasks"][0]["state"] == "in sync"
    assert status.err.splitlines()[-1].endswith("in sync")
    valid = cli("validate", str(repo), "--json", "-", endpoint=False, namespace=None)
    assert json.loads(valid.out)["summary"]["valid"] == 1


def _read_until(fd: int, text: str, timeout: float = 60.0) -> str:
    seen = b""
    deadline = time.monotonic() + timeout
    while text.encode() not in seen:
        left = deadline - time.monotonic()
        assert left > 0, f"no {text!r} in {seen.decode(errors='replace')!r}"
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # the child closed the pty
                break
            seen += chunk
    return seen.decode(errors="replace")


def _apply_on_a_terminal(repo: Path, emulator: Any, answer: str, *flags: str) -> tuple[int, str]:
    main, child = pty.openpty()
    env = {**os.environ, "NO_COLOR": "1"}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ctask_sync",
            "apply",
            str(repo),
            "--endpoint",
            emulator.endpoint,
            "--namespace",
            "acme/tasks",
            *flags,
        ],
        stdin=child,
        stdout=child,
        stderr=child,
        env=env,
        close_fds=True,
    )
    os.close(child)
    try:
        shown = ""
        if not flags:
            shown = _read_until(main, "Only 'yes' is accepted: ")
            os.write(main, answer.encode() + b"\n")
        shown += _read_until(main, "\n\n", timeout=60) if flags else ""
        code = process.wait(timeout=60)
        try:
            while chunk := os.read(main, 4096):
                shown += chunk.decode(errors="replace")
        except OSError:
            pass
        return code, shown
    finally:
        os.close(main)


def test_a_terminal_apply_asks_and_only_yes_goes_on(
    repo: Path, emulator: Any, admin: Admin
) -> None:
    _two_changes(repo)
    code, shown = _apply_on_a_terminal(repo, emulator, "y")
    assert code == 1
    assert "\r\nApply these changes? Only 'yes' is accepted: y\r\n" in shown
    assert "error: apply cancelled; nothing was written" in shown
    assert admin.writes() == []
    code, shown = _apply_on_a_terminal(repo, emulator, "yes")
    assert code == 0, shown
    assert "Apply complete: 1 created" in shown
    # --yes asks nothing
    (repo / "a/helper.py").write_text("X = 5\n", "utf-8")
    code, shown = _apply_on_a_terminal(repo, emulator, "", "--yes")
    assert code == 0 and "Only 'yes'" not in shown
