"""Every outbound channel of action.yml, run by the harness against the emulator and the fake
GitHub API: secrets redacted and remote text inert in the comment, summary, outputs and JSON
report; untrusted events write nothing; deletions shown on pull requests; the sticky comment
survives App tokens and a misbehaving GitHub; counts say what exists remotely."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from ctask_sync.emulator.testing import SENTINEL_TOKEN, AdminClient
from ctask_sync.report.markdown import ZWJ
from tests.action.action_support import (
    REPOSITORY,
    Harness,
    api_writes,
    assert_secret_kept,
    commit_all,
    git,
    owned,
    pr_event,
    write_task,
)
from tests.action.fake_github import FakeGitHub, Fault
from tests.action.runner import _fake_python

APP_TOKEN = "ghs_appInstallationToken00"


def feature_branch(harness: Harness, folder: str, name: str) -> None:
    git(harness.repo, "checkout", "-q", "-b", "feature")
    write_task(harness.repo, folder, name=name)
    commit_all(harness.repo, "a new task")


def test_a_token_planted_in_a_task_name_reaches_no_channel(
    harness: Harness, github_api: FakeGitHub
) -> None:
    feature_branch(harness, "tasks/gamma", f"leak {SENTINEL_TOKEN} here")
    result = harness.pull_request(60)
    assert result.conclusion == "success", result.raw_stderr
    [comment] = github_api.on(60)
    assert SENTINEL_TOKEN not in comment.body
    assert "leak &lt;hidden&gt; here" in comment.body
    report = Path(result.outputs["plan-json"]).read_text(encoding="utf-8")
    assert SENTINEL_TOKEN not in report
    assert json.loads(report)["tasks"][2]["name"] == "leak <hidden> here"
    assert "leak &lt;hidden&gt; here" in result.outputs["plan-markdown"]
    assert_secret_kept(result)  # log, summary, every output, the JSON report


def test_mentions_references_and_html_render_inert(
    harness: Harness, github_api: FakeGitHub
) -> None:
    hostile = "@org/team see #1 ![x](https://e.invalid/p.png) <!-- `tick"
    feature_branch(harness, "tasks/gamma", json.dumps(hostile))  # quoted YAML
    result = harness.pull_request(61)
    [comment] = github_api.on(61)
    inert = f"@{ZWJ}org/team see #{ZWJ}1 !\\[x\\](https://e.invalid/p.png) &lt;!-- \\`tick"
    for text in (comment.body, result.summary, result.outputs["plan-markdown"]):
        assert inert in text
        assert "@org" not in text and "#1" not in text and "![x]" not in text
    # The only HTML comment in the body is the hidden marker on its first line.
    assert comment.body.count("<!--") == 1 and comment.body.startswith("<!-- ctask-sync:")


def test_a_branch_name_cannot_open_an_html_comment_in_the_summary(harness: Harness) -> None:
    branch = "x`<!--y"
    result = harness.push(f"refs/heads/{branch}")
    assert result.conclusion == "success", result.raw_stderr
    assert "Push to ``x`<!--y``, not the main branch `main`: planning." in result.summary


@pytest.mark.parametrize("event_name", ["pull_request_target", "workflow_run"])
def test_untrusted_events_make_zero_writes_even_asked_to_apply(
    harness: Harness, emulator: Any, github_api: FakeGitHub, event_name: str
) -> None:
    event = pr_event(harness.repo, 62)
    inputs = {"mode": "apply", "allow-delete": "true"}
    result = harness.run(event_name, event, "refs/heads/main", inputs=inputs)
    assert result.conclusion == "success", result.raw_stderr
    assert f"## ctask-sync validate: `{REPOSITORY}`" in result.summary
    assert "set `allow-untrusted-events: true` to opt in" in result.summary
    assert result.outputs["valid"] == "true"
    assert api_writes(emulator.admin_url) == []
    assert github_api.requests == []


def test_a_pull_request_deleting_a_task_says_so(
    harness: Harness, emulator: Any, github_api: FakeGitHub
) -> None:
    harness.push()
    git(harness.repo, "checkout", "-q", "-b", "feature")
    git(harness.repo, "rm", "-rq", "tasks/beta")
    commit_all(harness.repo, "drop beta")

    kept = harness.pull_request(63)
    assert kept.outputs["has-changes"] == "true"
    [comment] = github_api.on(63)
    assert (
        "> **Kept: 1 task whose folders are gone stay in DataRobot** (`allow-delete` is "
        "false): `tasks/beta`"
    ) in comment.body
    assert kept.outputs["comment-url"].endswith(f"/pull/63#issuecomment-{github_api.on(63)[0].id}")

    deleting = harness.pull_request(64, inputs={"allow-delete": "true"})
    assert (deleting.outputs["has-changes"], deleting.outputs["deleted"]) == ("true", "1")
    [comment] = github_api.on(64)
    assert "> **Merging this deletes 1 task from DataRobot:** `tasks/beta`" in comment.body
    assert "0 to create, 0 to update, 1 to delete, 1 unchanged, 0 refused" in comment.body
    # Planning never writes: both tasks are still there.
    assert sorted(owned(emulator.endpoint, REPOSITORY)) == ["tasks/alpha", "tasks/beta"]


def test_an_app_token_keeps_one_comment_over_three_runs(
    harness: Harness, github_api: FakeGitHub
) -> None:
    github_api.apps[APP_TOKEN] = "tasks-deployer[bot]"
    feature_branch(harness, "tasks/gamma", "Gamma")
    results = [harness.pull_request(65, github_token=APP_TOKEN) for _ in range(3)]
    [comment] = github_api.on(65)
    assert comment.login == "tasks-deployer[bot]"
    assert {r.outputs["comment-url"] for r in results} == {
        f"https://github.com/{REPOSITORY}/pull/65#issuecomment-{comment.id}"
    }


BUSY = {"Retry-After": "0"}  # the runs retry at once; the waits themselves are unit-tested


@pytest.mark.parametrize(
    ("faults", "message"),
    [
        (
            [Fault("GET", "/user", 200, "<html>sign in</html>", "text/html")],
            "GitHub GET /user answered HTTP 200 with a body that is not JSON (text/html)",
        ),
        (
            [Fault("POST", "/comments", 500, headers=BUSY) for _ in range(4)],
            "(HTTP 500) after 3 retries: Server Error",
        ),
        (
            [Fault("GET", "/comments", 429, headers=BUSY) for _ in range(4)],
            "(HTTP 429) after 3 retries: Server Error",
        ),
    ],
    ids=["html", "500", "429"],
)
def test_a_misbehaving_github_is_a_warning_and_the_run_passes(
    harness: Harness, github_api: FakeGitHub, faults: list[Fault], message: str
) -> None:
    github_api.faults.extend(faults)
    feature_branch(harness, "tasks/gamma", "Gamma")
    result = harness.pull_request(66)
    assert (result.conclusion, result.step("sync").exit_code) == ("success", 0)
    [warning] = result.annotations("warning")
    assert warning.data.startswith("pull-request comment not posted: GitHub ")
    assert message in warning.data
    assert result.outputs["comment-url"] == ""
    assert github_api.faults == []  # every planned fault was met: the retries happened


def test_comment_false_holds_when_the_pull_request_closes(
    harness: Harness, github_api: FakeGitHub
) -> None:
    feature_branch(harness, "tasks/gamma", "Gamma")
    harness.pull_request(67, inputs={"preview": "true"})
    [comment] = github_api.on(67)
    before = comment.body
    closed = harness.pull_request(67, action="closed", inputs={"comment": "false"})
    assert closed.outputs["deleted"] == "3"
    assert [c.body for c in github_api.on(67)] == [before]


def test_fail_on_drift_fails_a_manual_drift_check(harness: Harness) -> None:
    event = {"inputs": {}, "ref": "refs/heads/main"}
    plain = harness.run("workflow_dispatch", event, "refs/heads/main")
    assert plain.conclusion == "success"
    failing = harness.run(
        "workflow_dispatch", event, "refs/heads/main", inputs={"fail-on-drift": "true"}
    )
    assert failing.conclusion == "failure"
    [error] = failing.annotations("error")
    assert error.properties["title"] == "ctask-sync drift"


def test_a_task_whose_first_version_failed_is_counted_as_existing(
    harness: Harness, emulator: Any
) -> None:
    AdminClient(emulator.admin_url).fault(
        method="POST", path="^/api/v2/customTasks/[^/]+/versions/$", status=422, message="no."
    )
    result = harness.push()
    assert result.conclusion == "failure"
    exists = owned(emulator.endpoint, REPOSITORY)
    assert sorted(exists) == ["tasks/alpha", "tasks/beta"]
    out = result.outputs
    assert (out["created"], out["versions-created"], out["errors"]) == ("2", "1", "1")
    assert "2 created, 0 updated, 0 deleted, 0 unchanged, 1 versions created, " in result.summary
    assert "0 builds failed, 1 errors" in result.summary


def test_an_empty_python_version_uses_the_runners_python3(harness: Harness, tmp_path: Path) -> None:
    pip_log = tmp_path / "python3-pip.log"
    runner_bin = tmp_path / "runner-bin"
    (runner_bin / "python3").symlink_to(_fake_python(runner_bin, pip_log))
    path = f"{runner_bin}{os.pathsep}{os.environ['PATH']}"
    result = harness.push(inputs={"python-version": ""}, extra_env={"PATH": path})
    assert result.conclusion == "success", result.raw_stderr
    assert [s.ran for s in result.steps[:1]] == [False]  # setup-python skipped
    venv_python = f"{harness.runner.temp}/ctask-sync-venv/bin/python"
    assert result.step("install").outputs == {"python": venv_python}
    # The runner's python3 made the venv; pip ran in the venv (the same stand-in logs it).
    assert len(pip_log.read_text(encoding="utf-8").splitlines()) == 2
    assert result.outputs["created"] == "2"
