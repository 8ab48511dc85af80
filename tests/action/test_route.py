"""Event routing and input parsing as pure functions: event + payload + inputs → what runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ctask_sync.errors import ConfigError
from ctask_sync.github.route import Event, Route, read_config, route

# the namespace comes from the input here (in a run: the input, else ctask-sync.yaml)
BASE = {
    "GITHUB_REPOSITORY": "octo/tasks",
    "INPUT_NAMESPACE": "octo/tasks",
    "INPUT_API_TOKEN": "t0ken-value",
}


def pr_payload(action: str = "opened", head: str | None = "octo/tasks") -> dict[str, Any]:
    return {
        "action": action,
        "number": 7,
        "pull_request": {
            "number": 7,
            "head": {"sha": "a" * 40, "repo": {"full_name": head} if head else None},
            "base": {"repo": {"full_name": "octo/tasks"}},
        },
    }


def decide(name: str, ref: str = "", payload: dict[str, Any] | None = None, **inputs: str) -> Route:
    env = dict(BASE)
    env.update({"INPUT_" + k.upper(): v for k, v in inputs.items()})
    return route(Event(name, ref, payload or {}), read_config(env))


def test_push_to_main_applies_without_deleting_unless_asked() -> None:
    r = decide("push", "refs/heads/main")
    assert (r.mode, r.namespace, r.major, r.tag, r.allow_delete) == (
        "apply",
        "octo/tasks",
        False,
        None,
        False,
    )
    assert decide("push", "refs/heads/main", allow_delete="true").allow_delete is True


def test_main_branch_input_decides_which_push_applies() -> None:
    assert decide("push", "refs/heads/main", main_branch="trunk").mode == "plan"
    assert decide("push", "refs/heads/trunk", main_branch="trunk").mode == "apply"


def test_push_to_another_branch_only_plans() -> None:
    r = decide("push", "refs/heads/feature/x")
    assert r.mode == "plan"
    assert r.reason == "Push to `feature/x`, not the main branch `main`: planning."


def test_tag_push_applies_major_versions_with_the_tag() -> None:
    r = decide("push", "refs/tags/v1.4.0")
    assert (r.mode, r.major, r.tag) == ("apply", True, "v1.4.0")


@pytest.mark.parametrize("action", ["opened", "synchronize", "reopened"])
def test_pull_request_plans_with_a_comment(action: str) -> None:
    r = decide("pull_request", "refs/pull/7/merge", pr_payload(action))
    assert (r.mode, r.namespace, r.pr_number, r.comment, r.allow_delete) == (
        "plan",
        "octo/tasks",
        7,
        True,
        False,
    )
    assert decide("pull_request", "", pr_payload(action), comment="false").comment is False


def test_pull_request_with_preview_applies_into_the_pr_namespace_never_deleting() -> None:
    r = decide("pull_request", "", pr_payload(), preview="true", allow_delete="true")
    assert (r.mode, r.namespace, r.preview, r.comment, r.allow_delete) == (
        "apply",
        "octo/tasks/pr-7",
        True,
        True,
        False,
    )


def test_closed_pull_request_cleans_up_its_preview_namespace_only() -> None:
    r = decide("pull_request", "", pr_payload("closed"))
    assert (r.mode, r.namespace, r.pr_number) == ("cleanup", "octo/tasks/pr-7", 7)


@pytest.mark.parametrize("head", ["someone/fork", None])
def test_fork_pull_request_only_validates_and_says_why(head: str | None) -> None:
    r = decide("pull_request", "", pr_payload(head=head), preview="true")
    assert r.mode == "validate"
    assert r.reason.startswith("This pull request comes from a fork, so secrets are unavailable")


def test_pull_request_without_token_only_validates() -> None:
    env = {"GITHUB_REPOSITORY": "octo/tasks"}
    r = route(Event("pull_request", "", pr_payload()), read_config(env))
    assert r.mode == "validate"
    assert "has no DataRobot token" in r.reason


def test_token_falls_back_to_datarobot_api_token() -> None:
    env = {"GITHUB_REPOSITORY": "octo/tasks", "DATAROBOT_API_TOKEN": "from-env"}
    assert read_config(env).api_token == "from-env"


def test_schedule_plans_and_fails_on_drift() -> None:
    r = decide("schedule")
    assert (r.mode, r.fail_on_drift, r.comment) == ("plan", True, False)


def test_workflow_dispatch_runs_the_given_mode_and_auto_means_plan() -> None:
    assert decide("workflow_dispatch", "refs/heads/main").mode == "plan"
    assert decide("workflow_dispatch", "refs/heads/main", mode="apply").mode == "apply"
    assert decide("workflow_dispatch", "refs/heads/main", mode="validate").mode == "validate"


def test_explicit_apply_on_a_tag_ref_is_major() -> None:
    r = decide("workflow_dispatch", "refs/tags/v2.0.0", mode="apply")
    assert (r.major, r.tag) == (True, "v2.0.0")


def test_explicit_apply_on_a_pull_request_never_deletes() -> None:
    r = decide("pull_request", "", pr_payload(), mode="apply", allow_delete="true")
    assert (r.mode, r.allow_delete) == ("apply", False)


def test_unknown_event_plans() -> None:
    r = decide("repository_dispatch")
    assert (r.mode, r.reason) == ("plan", "Event `repository_dispatch`: planning only.")


def test_a_merge_queue_plans_without_a_comment() -> None:
    r = decide("merge_group", "refs/heads/gh-readonly-queue/main/pr-7-abc")
    assert (r.mode, r.comment, r.allow_delete) == ("plan", False, False)
    assert r.reason.startswith("Merge queue check: planning the merged result")


def test_a_published_release_applies_its_tag_as_major_versions() -> None:
    payload = {"action": "published", "release": {"tag_name": "v3.1.0"}}
    r = decide("release", "refs/tags/v3.1.0", payload, allow_delete="true")
    assert (r.mode, r.major, r.tag, r.allow_delete) == ("apply", True, "v3.1.0", True)
    r = decide("release", "refs/tags/v3.1.0", {"action": "created", "release": payload["release"]})
    assert (r.mode, r.reason) == (
        "plan",
        "Release `v3.1.0` created: planning only (a published release applies).",
    )


@pytest.mark.parametrize("name", ["pull_request_target", "workflow_run"])
@pytest.mark.parametrize("mode", ["auto", "apply", "plan", "preview"])
def test_untrusted_events_only_validate(name: str, mode: str) -> None:
    r = decide(name, "refs/heads/main", pr_payload(), mode=mode, allow_delete="true")
    assert (r.mode, r.allow_delete) == ("validate", False)
    assert r.reason == (
        f"Event `{name}` runs with secrets for code nobody reviewed, so manifests were validated "
        "offline and nothing was planned or synced (set `allow-untrusted-events: true` to opt in)."
    )


def test_an_opted_in_pull_request_target_is_a_pull_request_that_never_deletes() -> None:
    payload = pr_payload()
    r = decide("pull_request_target", "", payload, allow_untrusted_events="true")
    assert (r.mode, r.pr_number, r.comment) == ("plan", 7, True)
    r = decide(
        "pull_request_target",
        "",
        payload,
        allow_untrusted_events="true",
        mode="apply",
        allow_delete="true",
    )
    assert (r.mode, r.allow_delete) == ("apply", False)


def test_fail_on_drift_decides_for_every_plan() -> None:
    assert decide("schedule").fail_on_drift is True
    assert decide("schedule", fail_on_drift="false").fail_on_drift is False
    assert decide("workflow_dispatch", "refs/heads/main").fail_on_drift is False
    assert decide("workflow_dispatch", "refs/heads/main", fail_on_drift="true").fail_on_drift
    # An apply has nothing to drift from.
    assert decide("push", "refs/heads/main", fail_on_drift="true").fail_on_drift is False


def test_a_pull_request_plan_shows_what_merging_deletes() -> None:
    assert decide("pull_request", "", pr_payload(), allow_delete="true").allow_delete is True
    assert decide("pull_request", "", pr_payload()).allow_delete is False


def test_comment_false_holds_when_a_pull_request_closes() -> None:
    assert decide("pull_request", "", pr_payload("closed"), comment="false").comment is False
    assert decide("pull_request", "", pr_payload("closed")).comment is True


def test_branch_names_cannot_break_out_of_their_code_span() -> None:
    r = decide("push", "refs/heads/a`<!--b")
    assert r.reason == "Push to ``a`<!--b``, not the main branch `main`: planning."


def test_namespace_input_overrides_the_repository() -> None:
    assert decide("push", "refs/heads/main", namespace="team/ml").namespace == "team/ml"
    assert decide("pull_request", "", pr_payload("closed"), namespace="team/ml").namespace == (
        "team/ml/pr-7"
    )


def test_cleanup_outside_a_pull_request_needs_allow_delete() -> None:
    with pytest.raises(ConfigError) as info:
        decide("workflow_dispatch", "refs/heads/main", mode="cleanup")
    assert info.value.message == (
        "mode cleanup outside a pull request would delete every task of `octo/tasks`"
    )
    r = decide("workflow_dispatch", "refs/heads/main", mode="cleanup", allow_delete="true")
    assert (r.mode, r.namespace) == ("cleanup", "octo/tasks")


def test_explicit_cleanup_on_a_pull_request_targets_its_preview() -> None:
    r = decide("pull_request", "", pr_payload(), mode="cleanup")
    assert (r.mode, r.namespace) == ("cleanup", "octo/tasks/pr-7")


def test_preview_mode_needs_a_pull_request() -> None:
    with pytest.raises(ConfigError) as info:
        decide("push", "refs/heads/main", mode="preview")
    assert info.value.message == "mode preview needs a pull_request event, not push"


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        (
            {"mode": "deploy"},
            "input mode: expected one of auto, validate, plan, apply, preview, "
            "cleanup, got 'deploy'",
        ),
        ({"allow_delete": "yes"}, "input allow-delete: expected true or false, got 'yes'"),
        ({"concurrency": "0"}, "input concurrency: expected a whole number >= 1, got '0'"),
        ({"concurrency": "eight"}, "input concurrency: expected a whole number >= 1, got 'eight'"),
        ({"build_timeout": "nan"}, "input build-timeout: expected a number >= 1, got 'nan'"),
        ({"build_timeout": "inf"}, "input build-timeout: expected a number >= 1, got 'inf'"),
        ({"shard": "3/2"}, "input shard: invalid shard '3/2': I must be between 1 and N"),
        ({"fail_on_drift": "1"}, "input fail-on-drift: expected true or false, got '1'"),
        ({"request_timeout": "0"}, "input request-timeout: expected a number >= 1, got '0'"),
        ({"retry_budget": "-1"}, "input retry-budget: expected a number >= 0, got '-1'"),
    ],
)
def test_bad_inputs_name_the_input(inputs: dict[str, str], message: str) -> None:
    env = dict(BASE)
    env.update({"INPUT_" + k.upper(): v for k, v in inputs.items()})
    with pytest.raises(ConfigError) as info:
        read_config(env)
    assert info.value.message == message


def test_inputs_parse_with_defaults() -> None:
    config = read_config(
        {
            "GITHUB_REPOSITORY": "octo/tasks",
            "INPUT_SHARD": "2/3",
            "INPUT_WAIT_FOR_BUILDS": "False",
            "INPUT_BUILD_TIMEOUT": "90.5",
        }
    )
    assert (config.path, config.mode, config.main_branch, config.settings.concurrency) == (
        ".",
        "auto",
        "main",
        None,  # no input: the adaptive limit (8 up to max-concurrency)
    )
    settings = config.settings
    assert (settings.shard, settings.wait, settings.build_timeout) == ((2, 3), False, 90.5)
    assert (config.comment, config.preview, config.allow_delete) == (True, False, False)


def test_timeout_retry_budget_and_ca_bundle_inputs_fall_back_to_the_readme_variables() -> None:
    env = {
        "CTASK_SYNC_TIMEOUT": "15",
        "CTASK_SYNC_RETRY_MAX_SECONDS": "30",
        "REQUESTS_CA_BUNDLE": "/etc/ssl/corp.pem",
    }
    settings = read_config(env).settings
    assert (settings.timeout, settings.retry_max_seconds, settings.ca_bundle) == (
        15.0,
        30.0,
        "/etc/ssl/corp.pem",
    )
    env.update({"INPUT_REQUEST_TIMEOUT": "5", "INPUT_RETRY_BUDGET": "0", "INPUT_CA_BUNDLE": "ca"})
    settings = read_config(env).settings
    assert (settings.timeout, settings.retry_max_seconds, settings.ca_bundle) == (5.0, 0.0, "ca")
    assert read_config({}).settings.timeout == 60.0


def test_allow_rollback_and_untrusted_opt_ins_default_off() -> None:
    assert (read_config({}).settings.allow_rollback, read_config({}).allow_untrusted_events) == (
        False,
        False,
    )
    config = read_config({"INPUT_ALLOW_ROLLBACK": "true", "INPUT_ALLOW_UNTRUSTED_EVENTS": "true"})
    assert (config.settings.allow_rollback, config.allow_untrusted_events) == (True, True)


def test_the_run_takes_its_namespace_from_ctask_sync_yaml_not_the_repository_name(
    tmp_path: Path,
) -> None:
    from ctask_sync.github.action import with_root_namespace

    (tmp_path / "ctask-sync.yaml").write_text("namespace: acme/fraud-tasks\n", "utf-8")
    # the repository was renamed: GITHUB_REPOSITORY no longer matches, nothing changes
    env = {"GITHUB_REPOSITORY": "octo/renamed", "GITHUB_WORKSPACE": str(tmp_path)}
    assert with_root_namespace(read_config(env), env).namespace == "acme/fraud-tasks"
    env["INPUT_NAMESPACE"] = "explicit/ns"
    assert with_root_namespace(read_config(env), env).namespace == "explicit/ns"
    env.pop("INPUT_NAMESPACE")
    env["CTASK_SYNC_NAMESPACE"] = "from/env"
    assert with_root_namespace(read_config(env), env).namespace == "from/env"


def test_without_any_namespace_the_run_says_to_run_init(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from ctask_sync.cli.main import main

    monkeypatch.chdir(tmp_path)
    for name, value in {
        "GITHUB_REPOSITORY": "octo/tasks",
        "INPUT_MODE": "plan",
        "INPUT_ENDPOINT": "http://127.0.0.1:9/api/v2",
        "INPUT_API_TOKEN": "t0ken-value",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("CTASK_SYNC_NAMESPACE", raising=False)
    assert main(["action"]) == 1
    out = capsys.readouterr().out
    assert "error: no namespace: no `namespace` input, no CTASK_SYNC_NAMESPACE and no " in out
    assert "run `ctask-sync init` in the repository" in out
