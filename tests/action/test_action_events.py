"""action.yml run by the harness for each event, against the emulator over real HTTP and the
fake GitHub REST API: what lands in DataRobot, and what the user sees (outputs, job summary,
annotations, log, the sticky comment)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import requests

from ctask_sync.emulator.testing import SENTINEL_TOKEN
from tests.action.action_support import (
    REPOSITORY,
    Harness,
    api_writes,
    assert_secret_kept,
    commit_all,
    git,
    owned,
    write_task,
)
from tests.action.fake_github import BOT_LOGIN


def test_push_to_main_applies_and_reports(harness: Harness, emulator: Any) -> None:
    result = harness.push()
    assert result.conclusion == "success", result.raw_stderr
    tasks = owned(emulator.endpoint, REPOSITORY)
    assert sorted(tasks) == ["tasks/alpha", "tasks/beta"]
    out = result.outputs
    assert (out["created"], out["updated"], out["deleted"], out["unchanged"]) == (
        "2",
        "0",
        "0",
        "0",
    )
    assert (out["versions-created"], out["builds-failed"], out["tag"]) == ("2", "0", "")
    mapping = json.loads(out["tasks"])
    assert mapping["tasks/alpha"]["task_id"] == tasks["tasks/alpha"]["id"]
    assert mapping["tasks/beta"]["version_id"] == tasks["tasks/beta"]["latestVersion"]["id"]
    report = json.loads(Path(out["plan-json"]).read_text(encoding="utf-8"))
    assert (report["ok"], report["namespace"]) == (True, REPOSITORY)
    # the namespace came from the committed ctask-sync.yaml, and the log says so, as the CLI's
    assert f"Namespace: {REPOSITORY} (from ctask-sync.yaml); root: ." in result.raw_stdout
    assert "## ctask-sync apply: `octo/tasks`" in result.summary
    assert "| Task | Action | Files | Version | Build | Link |" in result.summary
    assert (
        "| `tasks/beta` Task tasks/beta | create | 2 uploaded | 1.0 | success |" in result.summary
    )
    groups = [c.data for c in result.commands if c.name == "group"]
    assert groups == ["ctask-sync apply", "tasks/alpha: create", "tasks/beta: create"]
    assert result.annotations() == []
    assert_secret_kept(result)
    # pip installs the pinned build dependencies, then the package from the action's own folder
    # with them, into the private venv under RUNNER_TEMP.
    pip = (harness.runner.temp / "harness-pip.log").read_text(encoding="utf-8").splitlines()
    constraint = f"--constraint {harness.runner.action_path}/action-constraints.txt"
    assert [line.endswith(" setuptools wheel") and constraint in line for line in pip] == [
        True,
        False,
    ]
    assert pip[1].endswith(f"{constraint} --no-build-isolation {harness.runner.action_path}")
    install = result.step("install")
    assert install.outputs == {"python": f"{harness.runner.temp}/ctask-sync-venv/bin/python"}

    again = harness.push()
    assert (again.outputs["created"], again.outputs["unchanged"]) == ("0", "2")
    assert again.outputs["versions-created"] == "0"


def test_tag_push_applies_major_versions_and_records_the_tag(
    harness: Harness, emulator: Any
) -> None:
    harness.push()
    write_task(harness.repo, "tasks/alpha", files={"custom.py": "VERSION = 2\n"})
    commit_all(harness.repo, "release")
    git(harness.repo, "tag", "v1.4.0")
    result = harness.push("refs/tags/v1.4.0")
    assert result.conclusion == "success", result.raw_stderr
    assert result.outputs["tag"] == "v1.4.0"
    alpha = owned(emulator.endpoint, REPOSITORY)["tasks/alpha"]["latestVersion"]
    assert alpha["label"] == "2.0"  # a major version
    assert "v1.4.0" in alpha["description"]
    beta = owned(emulator.endpoint, REPOSITORY)["tasks/beta"]["latestVersion"]
    assert "v1.4.0" in beta["description"]  # recorded on every synced version
    assert json.loads(Path(result.outputs["plan-json"]).read_text())["tag"] == "v1.4.0"


def test_pull_request_plans_into_one_sticky_comment(
    harness: Harness, emulator: Any, github_api: Any
) -> None:
    harness.push()
    git(harness.repo, "checkout", "-q", "-b", "feature")
    write_task(harness.repo, "tasks/alpha", files={"custom.py": "CHANGED = 1\n"})
    commit_all(harness.repo, "change alpha")
    before = len(api_writes(emulator.admin_url))
    result = harness.pull_request(12)
    assert result.conclusion == "success", result.raw_stderr
    assert len(api_writes(emulator.admin_url)) == before  # a plan writes nothing
    assert (result.outputs["updated"], result.outputs["unchanged"]) == ("1", "1")
    assert result.outputs["has-changes"] == "true"
    [comment] = github_api.on(12)
    head = git(harness.repo, "rev-parse", "HEAD")
    assert comment.login == BOT_LOGIN
    assert comment.body.startswith(f"<!-- ctask-sync:{REPOSITORY} sha={head} run=4242 -->\n")
    assert "### ctask-sync plan for `octo/tasks`" in comment.body
    assert "| `tasks/alpha` Task tasks/alpha | update" in comment.body
    assert "~1" in comment.body
    assert_secret_kept(result)


def test_comment_updated_not_duplicated_across_three_runs_with_many_pages(
    harness: Harness, github_api: Any
) -> None:
    harness.push()
    git(harness.repo, "checkout", "-q", "-b", "feature")
    for n in range(230):
        github_api.add_comment(21, f"reviewer{n % 4}", f"comment {n}")
    heads = []
    for run in range(3):
        write_task(harness.repo, "tasks/alpha", files={"custom.py": f"RUN = {run}\n"})
        heads.append(commit_all(harness.repo, f"run {run}"))
        result = harness.pull_request(21)
        assert result.conclusion == "success", result.raw_stderr
        assert "pull-request comment: " + ("created" if run == 0 else "updated") in result.log[-1]
    ours = [c for c in github_api.on(21) if c.login == BOT_LOGIN]
    assert len(ours) == 1
    assert f"sha={heads[-1]}" in ours[0].body
    assert len(github_api.on(21)) == 231
    listed = [p for m, p in github_api.requests if m == "GET" and "/issues/21/comments" in p]
    assert any(p.endswith("page=3") for p in listed)  # the third page was read every run


def test_pull_request_without_changes_posts_nothing(harness: Harness, github_api: Any) -> None:
    harness.push()
    result = harness.pull_request(30, action="opened")
    assert result.conclusion == "success"
    assert result.outputs["has-changes"] == "false"
    assert github_api.on(30) == []
    assert "pull-request comment: skipped" in result.log


def test_personal_token_comments_as_its_user(harness: Harness, github_api: Any) -> None:
    from tests.action.action_support import PAT

    result = harness.pull_request(
        31, action="opened", inputs={"github-token": PAT}, github_token="ghs_unused"
    )
    assert result.conclusion == "success"
    [comment] = github_api.on(31)
    assert comment.login == "ci-bot"
    assert PAT in result.masks


def test_preview_applies_into_the_pr_namespace_then_closing_deletes_it(
    harness: Harness, emulator: Any, github_api: Any
) -> None:
    harness.push()
    main_tasks = owned(emulator.endpoint, REPOSITORY)
    git(harness.repo, "checkout", "-q", "-b", "feature")
    write_task(harness.repo, "tasks/gamma")
    commit_all(harness.repo, "add gamma")
    result = harness.pull_request(7, action="opened", inputs={"preview": "true"})
    assert result.conclusion == "success", result.raw_stderr
    preview = owned(emulator.endpoint, f"{REPOSITORY}/pr-7")
    assert sorted(preview) == ["tasks/alpha", "tasks/beta", "tasks/gamma"]
    assert owned(emulator.endpoint, REPOSITORY) == main_tasks  # main namespace untouched
    [comment] = github_api.on(7)
    assert comment.body.startswith(f"<!-- ctask-sync:{REPOSITORY}/pr-7 sha=")
    for task in preview.values():
        assert task["id"] in comment.body  # the preview task ids
    assert (
        json.loads(result.outputs["tasks"])["tasks/gamma"]["task_id"]
        == (preview["tasks/gamma"]["id"])
    )

    closed = harness.pull_request(7, action="closed", inputs={"preview": "true"})
    assert closed.conclusion == "success", closed.raw_stderr
    assert owned(emulator.endpoint, f"{REPOSITORY}/pr-7") == {}
    assert owned(emulator.endpoint, REPOSITORY) == main_tasks
    assert closed.outputs["deleted"] == "3"
    [comment] = github_api.on(7)
    assert "Pull request closed: 3 preview tasks deleted." in comment.body
    assert_secret_kept(result)
    assert_secret_kept(closed)


def test_fork_pull_request_validates_only_and_says_so(
    harness: Harness, emulator: Any, github_api: Any
) -> None:
    result = harness.pull_request(40, action="opened", head_repo="stranger/tasks")
    assert result.conclusion == "success", result.raw_stderr
    assert "## ctask-sync validate: `octo/tasks`" in result.summary
    assert "This pull request comes from a fork, so secrets are unavailable" in result.summary
    assert "Manifests valid: 2 valid tasks, 0 errors, 0 warnings." in result.summary
    assert result.outputs["valid"] == "true"
    assert api_writes(emulator.admin_url) == []
    assert github_api.on(40) == []
    assert_secret_kept(result)


def test_fork_pull_request_that_breaks_the_root_config_is_not_valid(harness: Harness) -> None:
    # a merge would stop every push run at this file: the validate-only run says so first
    (harness.repo / "ctask-sync.yaml").write_text("namespace: [octo, tasks]\n", "utf-8")
    commit_all(harness.repo, "list")
    result = harness.pull_request(42, head_repo="stranger/tasks", inputs={"api-token": ""})
    assert result.conclusion == "failure"
    assert result.outputs["valid"] == "false"
    [error] = result.annotations("error")
    assert error.properties["file"] == "ctask-sync.yaml"
    assert error.properties["line"] == "1"
    assert "namespace: expected a string" in error.data


def test_fork_pull_request_with_a_bad_manifest_is_annotated(harness: Harness) -> None:
    manifest = harness.repo / "tasks/alpha/ctask.yaml"
    manifest.write_text(
        manifest.read_text().replace("target_type: binary", "target_type: binery"), "utf-8"
    )
    commit_all(harness.repo, "typo")
    result = harness.pull_request(41, head_repo="stranger/tasks", inputs={"api-token": ""})
    assert result.conclusion == "failure"
    [error] = result.annotations("error")
    assert error.properties["file"] == "tasks/alpha/ctask.yaml"
    assert error.properties["line"] == "3"
    assert "binery" in error.data
    assert "| `tasks/alpha/ctask.yaml` | 3:" in result.summary


def test_manifest_error_on_push_annotates_and_writes_nothing(
    harness: Harness, emulator: Any
) -> None:
    write_task(harness.repo, "tasks/beta", extra="maximum_memory: lots\n")
    commit_all(harness.repo, "broken")
    result = harness.push()
    assert result.conclusion == "failure"
    errors = result.annotations("error")
    assert errors and errors[0].properties["file"] == "tasks/beta/ctask.yaml"
    assert (errors[0].properties["line"], errors[0].properties["col"]) == ("8", "17")
    assert "maximum_memory" in errors[0].data
    assert "Invalid manifests: nothing was synced." in result.summary
    assert api_writes(emulator.admin_url) == []
    assert "Traceback" not in result.raw_stderr


def test_schedule_fails_on_drift_and_passes_when_in_sync(harness: Harness) -> None:
    drift = harness.run("schedule", {"schedule": "0 3 * * *"}, "refs/heads/main")
    assert drift.conclusion == "failure"
    [error] = drift.annotations("error")
    assert error.properties["title"] == "ctask-sync drift"
    assert error.data.startswith("drift: DataRobot differs from git (2 to create")
    harness.push()
    clean = harness.run("schedule", {"schedule": "0 3 * * *"}, "refs/heads/main")
    assert clean.conclusion == "success"
    assert clean.outputs["has-changes"] == "false"


def test_schedule_catches_a_task_edited_by_hand(harness: Harness, emulator: Any) -> None:
    harness.push()
    alpha = owned(emulator.endpoint, REPOSITORY)["tasks/alpha"]
    requests.patch(
        f"{emulator.endpoint}/customTasks/{alpha['id']}/",
        json={"name": "renamed in the UI"},
        headers={"Authorization": f"Bearer {SENTINEL_TOKEN}"},
        timeout=30,
    ).raise_for_status()
    result = harness.run("schedule", {"schedule": "0 3 * * *"}, "refs/heads/main")
    assert result.conclusion == "failure"
    assert result.outputs["updated"] == "1"
    assert "| `tasks/alpha` Task tasks/alpha | update (metadata: name)" in result.summary
    assert_secret_kept(result)


def test_failed_build_points_at_requirements_and_fences_its_log(
    repo: Path, tmp_path: Path, emulator_factory: Any, github_api: Any
) -> None:
    from tests.action.runner import ActionRunner

    emu = emulator_factory(fail_builds_matching="^numpy$")
    harness = Harness(ActionRunner(repo, tmp_path / "rt"), repo, emu.endpoint, github_api)
    result = harness.push()
    assert result.conclusion == "failure"
    assert result.outputs["builds-failed"] == "1"
    [error] = result.annotations("error")
    assert error.properties["file"] == "tasks/beta/requirements.txt"
    assert error.properties["line"] == "1"
    stdout = result.raw_stdout.splitlines()
    start = next(
        i for i, line in enumerate(stdout) if line == "--- dependency build log (tail) ---"
    )
    token = next(
        line.removeprefix("::stop-commands::")
        for line in reversed(stdout[:start])
        if line.startswith("::stop-commands::")
    )
    assert f"::{token}::" in stdout[start:]  # the remote log is fenced off
    assert "<details><summary>Dependency build log of tasks/beta (failed)</summary>" in (
        result.summary
    )


@pytest.mark.parametrize("shard", ["1/2", "2/2"])
def test_shard_syncs_only_its_keys(harness: Harness, emulator: Any, shard: str) -> None:
    from ctask_sync.engine.shard import in_shard

    for n in range(6):
        write_task(harness.repo, f"tasks/extra{n}")
    commit_all(harness.repo, "more tasks")
    i, n = (int(x) for x in shard.split("/"))
    result = harness.push(inputs={"shard": shard})
    assert result.conclusion == "success", result.raw_stderr
    keys = sorted(owned(emulator.endpoint, REPOSITORY))
    assert keys and all(in_shard(k, i, n) for k in keys)
    assert f"(shard {shard})" in result.summary


def test_pull_request_with_a_bad_manifest_says_so_in_the_comment(
    harness: Harness, emulator: Any, github_api: Any
) -> None:
    git(harness.repo, "checkout", "-q", "-b", "feature")
    write_task(harness.repo, "tasks/alpha", extra="maximum_memory: lots\n")
    commit_all(harness.repo, "typo")
    result = harness.pull_request(50)
    assert result.conclusion == "failure"
    [comment] = github_api.on(50)
    assert "**Invalid manifests: nothing was planned.**" in comment.body
    assert "| `tasks/alpha/ctask.yaml` | 8:17 | error | maximum\\_memory:" in comment.body
    assert api_writes(emulator.admin_url) == []


def test_deletion_in_shard_mode_touches_only_that_shards_keys(
    harness: Harness, emulator: Any
) -> None:
    from ctask_sync.engine.shard import shard_of

    keys = [f"tasks/extra{n}" for n in range(8)]
    for key in keys:
        write_task(harness.repo, key)
    commit_all(harness.repo, "more tasks")
    assert harness.push().conclusion == "success"
    first = next(k for k in keys if shard_of(k, 2) == 1)
    second = next(k for k in keys if shard_of(k, 2) == 2)
    for key in (first, second):
        git(harness.repo, "rm", "-q", "-r", key)
    commit_all(harness.repo, "remove one task of each shard")
    result = harness.push(inputs={"shard": "1/2", "allow-delete": "true"})
    assert result.conclusion == "success", result.raw_stderr
    assert result.outputs["deleted"] == "1"
    remaining = owned(emulator.endpoint, REPOSITORY)
    assert first not in remaining
    assert second in remaining  # shard 2's job decides about its own keys


def test_build_timeout_fails_the_run_at_requirements(
    repo: Path, tmp_path: Path, emulator_factory: Any, github_api: Any
) -> None:
    from tests.action.runner import ActionRunner

    emu = emulator_factory(build_seconds=60)
    harness = Harness(ActionRunner(repo, tmp_path / "rt"), repo, emu.endpoint, github_api)
    result = harness.push(inputs={"build-timeout": "1"})
    assert result.conclusion == "failure"
    [error] = result.annotations("error")
    assert error.properties["file"] == "tasks/beta/requirements.txt"
    assert error.data.startswith(
        "dependency build of tasks/beta did not finish before build-timeout"
    )


def test_without_waiting_builds_are_only_started(
    repo: Path, tmp_path: Path, emulator_factory: Any, github_api: Any
) -> None:
    from tests.action.runner import ActionRunner

    emu = emulator_factory(build_seconds=60)
    harness = Harness(ActionRunner(repo, tmp_path / "rt"), repo, emu.endpoint, github_api)
    result = harness.push(inputs={"wait-for-builds": "false"})
    assert result.conclusion == "success", result.raw_stderr
    assert result.annotations() == []
    assert "| `tasks/beta` Task tasks/beta | create | 2 uploaded | 1.0 | submitted |" in (
        result.summary
    )


def test_a_rejected_token_is_one_clear_error(
    repo: Path, tmp_path: Path, emulator_factory: Any, github_api: Any
) -> None:
    from tests.action.runner import ActionRunner

    emu = emulator_factory(token="only-this-token")
    harness = Harness(ActionRunner(repo, tmp_path / "rt"), repo, emu.endpoint, github_api)
    result = harness.push()
    assert result.conclusion == "failure"
    [error] = result.annotations("error")
    assert error.properties["title"] == "ctask-sync"
    assert "(HTTP 401)" in error.data
    assert "## ctask-sync failed" in result.summary
    assert "Traceback" not in result.raw_stdout + result.raw_stderr
    assert_secret_kept(result)
