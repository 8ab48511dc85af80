"""Issue 7, item 6: the API token never leaves the process, on success and on every error path.

Commands run as child processes, so everything a process can emit (stdout, stderr, logging,
tracebacks) is captured; then every file the runs wrote is searched too. The token is the
sentinel the root conftest sets in DATAROBOT_API_TOKEN."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ctask_sync import __version__
from ctask_sync.cli.main import BUG_HINT
from ctask_sync.emulator import start_emulator
from ctask_sync.emulator.testing import SENTINEL_TOKEN

from .conftest import Lab
from .support import commit_all, remote_args, subprocess_env, write_task

CUSTOM = {"custom.py": "def fit(X, y, output_dir, **kw):\n    pass\n"}


def run_child(*argv: str, **env: str) -> tuple[int, str]:
    done = subprocess.run(
        [sys.executable, "-m", "ctask_sync", *argv],
        env=subprocess_env(**env),
        capture_output=True,
        text=True,
        timeout=120,
    )
    return done.returncode, done.stdout + done.stderr


def files_holding(root: Path, secret: str) -> list[str]:
    return [
        str(p)
        for p in root.rglob("*")
        if p.is_file() and ".git" not in p.parts and secret.encode() in p.read_bytes()
    ]


def test_no_command_shows_or_writes_the_token_on_any_path(
    fresh_lab: Lab, repo: Path, tmp_path: Path, emulator_factory: Callable[..., Any]
) -> None:
    write_task(repo, "alpha", files=CUSTOM)
    # a build that fails: its log tail (remote text) is shown and written
    write_task(repo, "beta", files={**CUSTOM, "requirements.txt": "does-not-exist-pkg==0.1\n"})
    commit_all(repo)
    out = tmp_path / "out"
    out.mkdir()
    remote = remote_args(fresh_lab.endpoint)
    runs: dict[str, tuple[int, str]] = {}
    runs["validate"] = run_child("validate", str(repo))
    runs["plan"] = run_child(
        "plan",
        str(repo),
        "--json",
        str(out / "plan.json"),
        "--markdown",
        str(out / "p.md"),
        *remote,
    )
    runs["apply"] = run_child(
        "apply",
        str(repo),
        "--json",
        str(out / "apply.json"),
        "--markdown",
        str(out / "a.md"),
        *remote,
    )
    runs["status"] = run_child("status", str(repo), "--json", str(out / "status.json"), *remote)
    # DataRobot's error messages echo the token back (a hostile or careless server)
    echo = f"invalid key {SENTINEL_TOKEN}"
    # twice: a 400 on the first 1,000-task page is retried once at the usual 100 (paging.py)
    fresh_lab.admin.fault(
        method="GET", path="^/api/v2/customTasks/$", status=400, message=echo, times=2
    )
    runs["plan 400 echoing"] = run_child("plan", str(repo), *remote)
    write_task(repo, "alpha", files={**CUSTOM, "helper.py": "X = 2\n"})
    commit_all(repo)
    fresh_lab.admin.fault(method="PATCH", path="/versions/$", status=500, message=echo, times=9)
    runs["apply 500 echoing"] = run_child(
        "apply", str(repo), "--json", str(out / "apply-500.json"), *remote
    )
    fresh_lab.admin.reset()
    locked = emulator_factory(token="a-different-token")
    runs["apply 401"] = run_child(
        "apply", str(repo), "--json", str(out / "a401.json"), *remote_args(locked.endpoint)
    )
    runs["apply unreachable"] = run_child(
        "apply", str(repo), *remote_args("http://127.0.0.1:9/api/v2")
    )
    runs["apply embedded"] = run_child("apply", str(repo), "--namespace", "acme/tasks")
    runs["cleanup dry"] = run_child("cleanup", str(repo), "--dry-run", *remote)
    runs["cleanup"] = run_child("cleanup", str(repo), *remote)

    assert runs["apply"][0] == 1 and "does-not-exist-pkg" in runs["apply"][1]
    assert (
        runs["plan 400 echoing"][0] == 1 and "invalid key <hidden>" in runs["plan 400 echoing"][1]
    )
    assert "invalid key <hidden>" in runs["apply 500 echoing"][1]
    assert runs["apply 401"][0] == 1 and "HTTP 401" in runs["apply 401"][1]
    assert runs["apply unreachable"][0] == 1
    assert runs["apply embedded"][0] == 1 and "1 failed build," in runs["apply embedded"][1]
    leaks = [name for name, (_code, text) in runs.items() if SENTINEL_TOKEN in text]
    assert leaks == []
    assert files_holding(tmp_path, SENTINEL_TOKEN) == []
    # the apply's build failed: status says so and exits 2 (issue 12), still without the token
    assert runs["status"][0] == 2 and "build failed" in runs["status"][1], runs["status"][1]
    assert sorted(p.name for p in out.iterdir()) == [
        "a.md",
        "apply-500.json",
        "apply.json",
        "p.md",
        "plan.json",
        "status.json",
    ]


BUGGY = """
import os, sys
import ctask_sync.cli.status as status

def broken(args):
    raise RuntimeError("a bug while holding " + os.environ["DATAROBOT_API_TOKEN"])

status.run = broken
from ctask_sync.cli.main import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize(
    "debug",
    [
        "",
        "1",
    ],
)
def test_an_unexpected_exception_holding_the_token_is_shown_redacted(
    debug: str, repo: Path, tmp_path: Path
) -> None:
    """Fault injection: the status command is replaced by one that raises (a simulated bug)."""
    crash_dir = tmp_path / "crashes"
    done = subprocess.run(
        [sys.executable, "-c", BUGGY, "status", str(repo)],
        env=subprocess_env(CTASK_SYNC_DEBUG=debug, CTASK_SYNC_CRASH_DIR=str(crash_dir)),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 3
    assert done.stdout == ""
    assert done.stderr.startswith(
        f"error: RuntimeError: a bug while holding <hidden>\n{BUG_HINT}\n"
    )
    assert SENTINEL_TOKEN not in done.stderr
    # the crash log keeps what a bug report needs, redacted like the terminal
    (log,) = crash_dir.glob("crash-*.log")
    assert f"The traceback, version and platform are in {log}\n" in done.stderr
    text = log.read_text("utf-8")
    assert text.startswith(f"ctask-sync {__version__}\npython ")
    assert "\nplatform " in text
    assert "Traceback (most recent call last):" in text
    assert "RuntimeError: a bug while holding <hidden>" in text
    assert SENTINEL_TOKEN not in text


@pytest.mark.parametrize("command", ["validate", "plan", "apply", "status", "cleanup", "emulator"])
@pytest.mark.parametrize(
    "form",
    [
        ["--token", SENTINEL_TOKEN],
        [f"--token={SENTINEL_TOKEN}"],
        [f"--api-token={SENTINEL_TOKEN}"],
        ["--api-key", SENTINEL_TOKEN],
        [f"--datarobot-api-token={SENTINEL_TOKEN}"],
    ],
    ids=["token", "token=", "api-token=", "api-key", "datarobot-api-token="],
)
def test_a_token_on_argv_is_refused(command: str, form: list[str], repo: Path) -> None:
    flag = form[0].split("=", 1)[0]
    code, text = run_child(command, *form)
    assert code == 1
    assert text == (
        f"error: {flag} is not accepted: a token on the command line is visible to other users "
        "and in CI logs\n  hint: set the DATAROBOT_API_TOKEN environment variable instead\n"
    )


def test_an_abbreviated_token_flag_is_refused_too() -> None:
    child = subprocess.Popen(
        [sys.executable, "-m", "ctask_sync", "emulator", "--port", "0", "--tok", SENTINEL_TOKEN],
        env=subprocess_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        out, _ = child.communicate(timeout=5)
    except subprocess.TimeoutExpired:
        child.kill()
        out, _ = child.communicate()
        pytest.fail(f"the emulator started with its token from argv: {out}")
    assert child.returncode == 1


def test_a_mistyped_token_flag_is_refused_without_echoing_it(repo: Path) -> None:
    code, text = run_child("plan", str(repo), f"--tok={SENTINEL_TOKEN}")
    assert SENTINEL_TOKEN not in text
    assert code == 1


def test_an_endpoint_holding_the_token_is_not_shown_with_it(repo: Path) -> None:
    write_task(repo, "alpha", files=CUSTOM)
    commit_all(repo)
    code, text = run_child(
        "plan", str(repo), "--endpoint", f"http://127.0.0.1:9/api/v2?key={SENTINEL_TOKEN}"
    )
    assert code == 1
    assert SENTINEL_TOKEN not in text


def listening_addresses(port: int) -> list[str]:
    """Local addresses of LISTEN sockets on port, from /proc/net/tcp{,6}."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:
                found.append(address)
    return found


def test_the_emulator_binds_loopback_unless_told_otherwise() -> None:
    child = subprocess.Popen(
        [sys.executable, "-m", "ctask_sync", "emulator", "--port", "0"],
        env=subprocess_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        first = child.stdout.readline()
        match = re.search(r"DataRobot API at http://127\.0\.0\.1:(\d+)/api/v2", first)
        assert match, first
        assert listening_addresses(int(match.group(1))) == ["0100007F"]  # 127.0.0.1
    finally:
        child.terminate()
        child.communicate(timeout=10)
    with start_emulator() as emu:
        assert emu.host == "127.0.0.1"
        assert listening_addresses(emu.port) == ["0100007F"]
