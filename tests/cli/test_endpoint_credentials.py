"""Credentials in the endpoint URL (`user:password@`, `?token=`) are never printed or written:
not in the Endpoint line, the reports' endpoint and task links, a saved plan, or an error.

Each command runs as a child process, the way a user runs it, against the emulator over real
HTTP; the URL's userinfo does not change what is sent (the token header authenticates)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.testing.gitkit import commit_all, init_repo
from tests.testing.tasks import write_task

REPO_ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "tok-SECRET-123"
QUERY_TOKEN = "q-SECRET-456"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository with one task committed."""
    path = init_repo(tmp_path / "repo")
    write_task(path, "tasks/alpha")
    commit_all(path)
    return path


def with_userinfo(endpoint: str) -> str:
    return endpoint.replace("http://", f"http://user:{PASSWORD}@", 1)


def ctask_sync(repo: Path, endpoint: str, *argv: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, DATAROBOT_ENDPOINT=endpoint, PYTHONPATH=str(REPO_ROOT))
    return subprocess.run(
        [sys.executable, "-m", "ctask_sync", *argv],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def assert_hidden(done: subprocess.CompletedProcess[str], *files: Path) -> None:
    for secret in (PASSWORD, QUERY_TOKEN):
        assert secret not in done.stdout + done.stderr
        for path in files:
            assert secret not in path.read_text("utf-8"), path


def test_a_password_in_the_endpoint_is_shown_nowhere(repo: Path, emulator: Any) -> None:
    (repo / "ctask-sync.yaml").write_text("namespace: acme/tasks\n", "utf-8")
    commit_all(repo)
    endpoint = with_userinfo(emulator.endpoint)
    shown = emulator.endpoint.replace("http://", "http://<hidden>@", 1)
    site = emulator.endpoint.removesuffix("/api/v2")

    applied = ctask_sync(
        repo, endpoint, "apply", ".", "--yes", "--json", "a.json", "--markdown", "a.md"
    )
    assert applied.returncode == 0, applied.stderr
    assert applied.stdout.startswith(f"Endpoint: {shown}\n")
    assert_hidden(applied, repo / "a.json", repo / "a.md")
    report = json.loads((repo / "a.json").read_text("utf-8"))
    assert report["endpoint"] == shown
    (task,) = report["tasks"]
    # a link for a browser: the web address, no credentials at all
    assert task["url"] == f"{site}/model-registry/custom-tasks/{task['task_id']}"

    write_task(repo, "tasks/alpha", files={"custom.py": "X = 2\n"})
    commit_all(repo)
    planned = ctask_sync(
        repo, endpoint, "plan", ".", "--json", "p.json", "--markdown", "p.md", "--out", "saved.json"
    )
    assert planned.returncode == 2, planned.stderr  # 2: changes to apply
    assert f"Endpoint: `{shown}`" in (repo / "p.md").read_text("utf-8")
    assert_hidden(planned, repo / "p.json", repo / "p.md", repo / "saved.json")
    # the saved plan names the endpoint hidden, and applies against the same endpoint
    again = ctask_sync(repo, endpoint, "apply", ".", "--plan", "saved.json", "--yes")
    assert again.returncode == 0, again.stderr
    assert_hidden(again)

    status = ctask_sync(repo, endpoint, "status", ".", "--json", "s.json")
    cleanup = ctask_sync(
        repo, endpoint, "cleanup", ".", "--dry-run", "--namespace", "acme/tasks", "--json", "c.json"
    )
    assert (status.returncode, cleanup.returncode) == (0, 0), status.stderr + cleanup.stderr
    assert_hidden(status, repo / "s.json")
    assert_hidden(cleanup, repo / "c.json")
    assert json.loads((repo / "c.json").read_text("utf-8"))["endpoint"] == shown


def test_a_query_token_in_the_endpoint_is_shown_nowhere(repo: Path, emulator: Any) -> None:
    endpoint = f"{with_userinfo(emulator.endpoint)}?token={QUERY_TOKEN}"
    # API paths are joined after the endpoint, so a query cannot work: refused before any
    # request, and named hidden
    done = ctask_sync(repo, endpoint, "plan", ".", "--namespace", "acme/tasks")
    assert done.returncode == 1
    shown = emulator.endpoint.replace("http://", "http://<hidden>@", 1) + "?token=<hidden>"
    assert f"the DataRobot endpoint '{shown}' has a query or fragment" in done.stderr
    assert "remove everything from '?' or '#'" in done.stderr
    assert_hidden(done)


def test_a_connection_error_hides_the_password(repo: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # nothing listens once it is closed
    endpoint = f"http://user:{PASSWORD}@127.0.0.1:{port}/api/v2"
    done = ctask_sync(
        repo, endpoint, "plan", ".", "--namespace", "acme/tasks", "--retry-max-seconds", "0"
    )
    assert done.returncode == 1
    assert f"could not connect to http://<hidden>@127.0.0.1:{port}/api/v2" in done.stderr
    assert_hidden(done)


def test_an_invalid_endpoint_is_named_without_its_password(repo: Path) -> None:
    done = ctask_sync(
        repo, f"http://user:{PASSWORD}@[::1/api/v2", "plan", ".", "--namespace", "a/b"
    )
    assert done.returncode == 1
    assert "'http://<hidden>@[::1/api/v2' is not a valid http(s) URL" in done.stderr
    assert_hidden(done)
