"""The task list read while the manifests are validated (datarobot/readahead.py), as a user
meets it through the CLI: an invalid manifest still ends the run with its own error and nothing
else, whatever the endpoint does; nothing is written; and a valid no-op sends each of its
requests once."""

from __future__ import annotations

import socket
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from tests.testing.clirun import Run

from .conftest import Admin, commit_all, write_task

BROKEN = "key: broken\nname: [unclosed\n"


def test_an_invalid_manifest_says_only_what_is_wrong_even_with_a_closed_port(
    cli: Callable[..., Run], repo: Path
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # nothing listens once it is closed
    write_task(repo, "good")
    write_task(repo, "broken", BROKEN)
    commit_all(repo)
    run = cli("plan", str(repo), "--endpoint", f"http://127.0.0.1:{port}/api/v2", endpoint=False)
    assert run.code == 1
    assert "1 problem in manifests; nothing was written to DataRobot" in run.err
    assert "broken/ctask.yaml:3:1: error: YAML syntax error" in run.err
    # the read-ahead's failed attempt is silent: no retry line, no connection error
    assert "connect" not in run.err and "retrying" not in run.err
    assert "Traceback" not in run.err + run.out


def test_an_invalid_manifest_writes_nothing_and_reads_only_the_list(
    cli: Callable[..., Run], repo: Path, admin: Admin
) -> None:
    write_task(repo, "good")
    write_task(repo, "broken", BROKEN)
    commit_all(repo)
    admin.clear()
    run = cli("apply", str(repo))
    assert run.code == 1
    assert "nothing was written to DataRobot" in run.err
    sent = {(r["method"], r["path"]) for r in admin.log()}
    assert sent <= {("GET", "/api/v2/customTasks/")}  # at most the list, read ahead


def test_a_no_op_sends_each_request_once(cli: Callable[..., Run], repo: Path, admin: Admin) -> None:
    for name in ("a", "b", "c"):
        write_task(repo, name)
    commit_all(repo)
    assert cli("apply", str(repo)).code == 0
    admin.clear()
    run = cli("plan", str(repo))
    assert run.code == 0, run.err
    sent = Counter((r["method"], r["path"], r.get("query", "")) for r in admin.log())
    assert sorted(sent.values()) == [1, 1]  # the list (one page) and the environments
    assert {path for _method, path, _query in sent} == {
        "/api/v2/customTasks/",
        "/api/v2/executionEnvironments/",
    }


def test_the_embedded_emulator_is_not_started_for_an_invalid_manifest(
    cli: Callable[..., Run], repo: Path
) -> None:
    write_task(repo, "broken", BROKEN)
    commit_all(repo)
    run = cli("plan", str(repo), endpoint=False, namespace=None)
    assert run.code == 1
    assert "nothing was written to DataRobot" in run.err
    assert not (repo / ".ctask-sync" / "emulator").exists()
