"""Helpers for the action's tests: real git repositories, events shaped like GitHub's webhook
payloads, and a Harness that runs action.yml against the emulator and the fake GitHub API."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from ctask_sync.emulator.testing import SENTINEL_TOKEN
from ctask_sync.engine.remote import read_marker
from tests.action.fake_github import FakeGitHub
from tests.action.runner import ActionResult, ActionRunner

# re-exported for this suite's modules
from tests.testing.gitkit import commit_all as commit_all
from tests.testing.gitkit import git as git
from tests.testing.tasks import write_task as write_task

REPOSITORY = "octo/tasks"
PAT = "ghp_personalTokenOfCiBot000"  # a personal token: GET /user answers ci-bot


def push_event(repo: Path, ref: str) -> dict[str, Any]:
    return {
        "ref": ref,
        "before": "0" * 40,  # the first push of a branch: never relied upon
        "after": git(repo, "rev-parse", "HEAD"),
        "repository": {"full_name": REPOSITORY},
    }


def pr_event(
    repo: Path, number: int, action: str = "synchronize", head_repo: str = REPOSITORY
) -> dict[str, Any]:
    return {
        "action": action,
        "number": number,
        "pull_request": {
            "number": number,
            "head": {
                "sha": git(repo, "rev-parse", "HEAD"),
                "ref": "feature",
                "repo": {"full_name": head_repo},
            },
            "base": {"ref": "main", "repo": {"full_name": REPOSITORY}},
        },
        "repository": {"full_name": REPOSITORY},
    }


@dataclass
class Harness:
    """Runs action.yml in `repo` against the emulator and the fake GitHub API."""

    runner: ActionRunner
    repo: Path
    endpoint: str
    github_api: FakeGitHub

    def run(
        self,
        event_name: str,
        event: dict[str, Any],
        ref: str,
        *,
        inputs: dict[str, str] | None = None,
        github_token: str = "ghs_installationToken0000",
        extra_env: dict[str, str] | None = None,
    ) -> ActionResult:
        values = {"endpoint": self.endpoint, "api-token": SENTINEL_TOKEN}
        values.update(inputs or {})
        return self.runner.run(
            values,
            event_name=event_name,
            event=event,
            ref=ref,
            sha=git(self.repo, "rev-parse", "HEAD"),
            repository=REPOSITORY,
            api_url=self.github_api.base_url,
            github_token=github_token,
            extra_env=extra_env,
        )

    def push(self, ref: str = "refs/heads/main", **kw: Any) -> ActionResult:
        return self.run("push", push_event(self.repo, ref), ref, **kw)

    def pull_request(
        self, number: int, action: str = "synchronize", head_repo: str = REPOSITORY, **kw: Any
    ) -> ActionResult:
        event = pr_event(self.repo, number, action, head_repo)
        return self.run("pull_request", event, f"refs/pull/{number}/merge", **kw)


def remote_tasks(endpoint: str) -> list[dict[str, Any]]:
    """Every custom task in the emulator, read over its REST API like any client would."""
    tasks: list[dict[str, Any]] = []
    url: str | None = f"{endpoint}/customTasks/?limit=100"
    while url:
        page = requests.get(
            url, headers={"Authorization": f"Bearer {SENTINEL_TOKEN}"}, timeout=30
        ).json()
        tasks.extend(page["data"])
        url = page.get("next")
    return tasks


def owned(endpoint: str, namespace: str) -> dict[str, dict[str, Any]]:
    """key → task for the tasks whose ownership marker names `namespace`."""
    found = {}
    for task in remote_tasks(endpoint):
        owner = read_marker(task.get("description") or "")
        if owner is not None and owner.namespace == namespace:
            found[owner.key] = task
    return found


def api_writes(admin_url: str) -> list[dict[str, Any]]:
    """The write requests the emulator served (its admin request log)."""
    log = requests.get(f"{admin_url}/requests", timeout=10).json()["requests"]
    return [r for r in log if r["method"] in ("POST", "PATCH", "PUT", "DELETE")]


def assert_secret_kept(result: ActionResult) -> None:
    """The token reaches stdout only in the ::add-mask:: line, which the runner swallows."""
    leaking = [line for line in result.raw_stdout.splitlines() if SENTINEL_TOKEN in line]
    assert leaking == [f"::add-mask::{SENTINEL_TOKEN}"]
    assert SENTINEL_TOKEN in result.masks
    shown = "\n".join(result.log) + result.summary + result.raw_stderr
    assert SENTINEL_TOKEN not in shown
    assert all(SENTINEL_TOKEN not in value for value in result.outputs.values())
    plan_json = result.outputs.get("plan-json")
    if plan_json:
        assert SENTINEL_TOKEN not in Path(plan_json).read_text(encoding="utf-8")
