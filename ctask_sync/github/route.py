"""Decide what one action run does from the event, its payload and the inputs (no I/O).

Kept pure so every event shape is tested with plain values: push to the main branch applies, a
tag push or a published release applies major versions, pull requests plan (or apply into a
preview namespace), a closed pull request tears its preview down, a schedule checks for drift, a
merge queue plans, and a fork gets validation only. Events that run with secrets on behalf of
code nobody reviewed (`pull_request_target`, `workflow_run`) only validate unless the workflow
sets `allow-untrusted-events: true`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from ctask_sync.errors import ConfigError
from ctask_sync.github.inputs import settings_from_inputs
from ctask_sync.github.workflow_commands import Inputs
from ctask_sync.report.markdown import code
from ctask_sync.settings import Settings

MODES = ("auto", "validate", "plan", "apply", "preview", "cleanup")
# Events whose payload is a pull request.
_PR_EVENTS = ("pull_request", "pull_request_target")
# Events that run in the base repository's context, with its secrets, for code from a pull
# request or another workflow: the classic "pwn request". Validate-only unless opted in.
UNTRUSTED_EVENTS = ("pull_request_target", "workflow_run")


@dataclass(frozen=True)
class ActionConfig:
    """The action's inputs, parsed and checked."""

    settings: Settings  # endpoint, token, timeouts, concurrency, shard, allow-delete, ...
    path: str
    namespace: str
    mode: str
    main_branch: str
    comment: bool
    preview: bool
    github_token: str
    fail_on_drift: bool | None = None  # None: only scheduled runs fail on drift
    allow_untrusted_events: bool = False
    namespace_from_root: bool = False  # namespace read from ctask-sync.yaml, not an input

    @property
    def api_token(self) -> str | None:
        """The DataRobot token (the api-token input, else DATAROBOT_API_TOKEN)."""
        return self.settings.token

    @property
    def shard(self) -> tuple[int, int] | None:
        """The shard input, parsed."""
        return self.settings.shard

    @property
    def allow_delete(self) -> bool:
        """The allow-delete input (route narrows it: never on a pull request)."""
        return self.settings.allow_delete


def read_config(env: Mapping[str, str]) -> ActionConfig:
    """Read every input from INPUT_* variables; settings_from_inputs reads the engine's (with
    their environment fallbacks, e.g. the token from DATAROBOT_API_TOKEN)."""
    inputs = Inputs(env)
    mode = inputs.text("mode", "auto")
    if mode not in MODES:
        raise ConfigError(
            f"input mode: expected one of {', '.join(MODES)}, got {mode!r}",
            hint="leave mode at auto to choose from the event",
        )
    return ActionConfig(
        settings=settings_from_inputs(inputs, env),
        path=inputs.text("path", "."),
        # The input, else CTASK_SYNC_NAMESPACE, else (resolved by the run) the sync root's
        # ctask-sync.yaml: never GITHUB_REPOSITORY, which changes on a rename or transfer.
        namespace=inputs.text("namespace", env.get("CTASK_SYNC_NAMESPACE", "").strip()),
        mode=mode,
        main_branch=inputs.text("main-branch", "main"),
        comment=inputs.boolean("comment", True),
        preview=inputs.boolean("preview", False),
        github_token=inputs.text("github-token", env.get("GITHUB_TOKEN", "").strip()),
        fail_on_drift=inputs.optional_boolean("fail-on-drift"),
        allow_untrusted_events=inputs.boolean("allow-untrusted-events", False),
    )


@dataclass(frozen=True)
class Event:
    """What the runner tells a step about the event that started the workflow."""

    name: str  # GITHUB_EVENT_NAME
    ref: str  # GITHUB_REF
    payload: Mapping[str, Any]

    @property
    def pull_request(self) -> Mapping[str, Any]:
        """The payload's pull_request object ({} for other events)."""
        value = self.payload.get("pull_request")
        return value if isinstance(value, Mapping) else {}

    @property
    def pr_number(self) -> int | None:
        """The pull request number, when the event is about one."""
        number = self.payload.get("number", self.pull_request.get("number"))
        return number if isinstance(number, int) and not isinstance(number, bool) else None

    @property
    def is_fork(self) -> bool:
        """A pull request whose head lives in another repository (or in a deleted fork)."""
        head = _repo_name(self.pull_request.get("head"))
        base = _repo_name(self.pull_request.get("base"))
        return head is None or head != base


def _repo_name(side: object) -> str | None:
    if not isinstance(side, Mapping):
        return None
    repo = side.get("repo")
    if not isinstance(repo, Mapping):
        return None
    name = repo.get("full_name")
    return name if isinstance(name, str) else None


@dataclass(frozen=True)
class Route:
    """What to run, where, and how to report it."""

    mode: str  # validate | plan | apply | cleanup
    namespace: str
    reason: str  # one sentence for the log and the job summary
    major: bool = False
    tag: str | None = None
    allow_delete: bool = False
    pr_number: int | None = None
    comment: bool = False  # post or update the sticky PR comment
    fail_on_drift: bool = False
    preview: bool = False  # an apply into the per-PR namespace


def preview_namespace(namespace: str, pr_number: int) -> str:
    """The per-PR namespace whose tasks exist only while the pull request is open."""
    return f"{namespace}/pr-{pr_number}"


def route(event: Event, config: ActionConfig) -> Route:
    """Map (event, inputs) to what this run does."""
    chosen = _route(event, config)
    if config.fail_on_drift is not None and chosen.mode == "plan":
        return replace(chosen, fail_on_drift=config.fail_on_drift)
    return chosen


def _route(event: Event, config: ActionConfig) -> Route:
    if event.name in UNTRUSTED_EVENTS and not config.allow_untrusted_events:
        return Route(
            mode="validate",
            namespace=config.namespace,
            reason=f"Event {code(event.name)} runs with secrets for code nobody reviewed, so "
            "manifests were validated offline and nothing was planned or synced (set "
            "`allow-untrusted-events: true` to opt in).",
            pr_number=event.pr_number,
        )
    if event.name in _PR_EVENTS and (event.is_fork or not config.api_token):
        why = "comes from a fork" if event.is_fork else "has no DataRobot token"
        return Route(
            mode="validate",
            namespace=config.namespace,
            reason=f"This pull request {why}, so secrets are unavailable: manifests were "
            "validated offline and nothing was planned or synced.",
            pr_number=event.pr_number,
        )
    if config.mode == "auto":
        return _auto(event, config)
    return _explicit(event, config)


def _auto(event: Event, config: ActionConfig) -> Route:
    ns = config.namespace
    if event.name == "push" and event.ref.startswith("refs/tags/"):
        tag = event.ref.removeprefix("refs/tags/")
        return Route(
            mode="apply",
            namespace=ns,
            reason=f"Tag {code(tag)} pushed: applying as major versions tagged {code(tag)}.",
            major=True,
            tag=tag,
            allow_delete=config.allow_delete,
        )
    if event.name == "push" and event.ref == f"refs/heads/{config.main_branch}":
        return Route(
            mode="apply",
            namespace=ns,
            reason=f"Push to the main branch {code(config.main_branch)}: applying.",
            allow_delete=config.allow_delete,
        )
    if event.name == "release":
        return _release(event, config)
    if event.name in _PR_EVENTS:
        return _pull_request(event, config, preview=config.preview)
    if event.name == "merge_group":
        return Route(
            mode="plan",
            namespace=ns,
            reason="Merge queue check: planning the merged result (the push to the main branch "
            "applies it).",
        )
    if event.name == "schedule":
        return Route(
            mode="plan",
            namespace=ns,
            reason="Scheduled drift check: planning, and failing if DataRobot differs from git.",
            fail_on_drift=True,
        )
    if event.name == "push":
        branch = event.ref.removeprefix("refs/heads/")
        return Route(
            mode="plan",
            namespace=ns,
            reason=f"Push to {code(branch)}, not the main branch {code(config.main_branch)}: "
            "planning.",
        )
    if not event.name:
        return Route(
            mode="plan", namespace=ns, reason="No GitHub event (outside a runner): planning."
        )
    return Route(mode="plan", namespace=ns, reason=f"Event {code(event.name)}: planning only.")


def _release(event: Event, config: ActionConfig) -> Route:
    """A published release applies its tag as major versions; other release actions plan."""
    release = event.payload.get("release")
    tag = release.get("tag_name") if isinstance(release, Mapping) else None
    tag = tag if isinstance(tag, str) and tag else event.ref.removeprefix("refs/tags/")
    action = event.payload.get("action")
    if action != "published":
        return Route(
            mode="plan",
            namespace=config.namespace,
            reason=f"Release {code(tag)} {action}: planning only (a published release applies).",
        )
    return Route(
        mode="apply",
        namespace=config.namespace,
        reason=f"Release {code(tag)} published: applying as major versions tagged {code(tag)}.",
        major=True,
        tag=tag,
        allow_delete=config.allow_delete,
    )


def _pull_request(event: Event, config: ActionConfig, *, preview: bool) -> Route:
    number = event.pr_number
    if number is None:
        raise ConfigError(
            f"event {event.name} has no pull request number in its payload",
            hint="run the action on pull_request events, or set mode explicitly",
        )
    preview_ns = preview_namespace(config.namespace, number)
    if event.payload.get("action") == "closed":
        return Route(
            mode="cleanup",
            namespace=preview_ns,
            reason=f"Pull request #{number} closed: deleting its preview tasks in "
            f"{code(preview_ns)}.",
            pr_number=number,
            comment=config.comment,
        )
    if preview:
        return Route(
            mode="apply",
            namespace=preview_ns,
            reason=f"Pull request #{number}: applying into the preview namespace "
            f"{code(preview_ns)}.",
            pr_number=number,
            comment=config.comment,
            preview=True,
        )
    return Route(
        mode="plan",
        namespace=config.namespace,
        reason=f"Pull request #{number}: planning against {code(config.namespace)} (nothing "
        "applied).",
        pr_number=number,
        comment=config.comment,
        # A plan writes nothing: planning with the push's allow-delete shows what merging does.
        allow_delete=config.allow_delete,
    )


def _explicit(event: Event, config: ActionConfig) -> Route:
    ns = config.namespace
    on_pr = event.name in _PR_EVENTS
    if config.mode == "preview":
        if not on_pr:
            raise ConfigError(
                f"mode preview needs a pull_request event, not {event.name}",
                hint="preview applies into <namespace>/pr-<N>; run it on pull_request",
            )
        return _pull_request(event, config, preview=True)
    if config.mode == "cleanup":
        if on_pr and event.pr_number is not None:
            preview_ns = preview_namespace(ns, event.pr_number)
            return Route(
                mode="cleanup",
                namespace=preview_ns,
                reason=f"Deleting the preview tasks of pull request #{event.pr_number}.",
                pr_number=event.pr_number,
                comment=config.comment,
            )
        if not config.allow_delete:
            raise ConfigError(
                f"mode cleanup outside a pull request would delete every task of `{ns}`",
                hint="set allow-delete: true if that is really what you want",
            )
        return Route(mode="cleanup", namespace=ns, reason=f"Deleting every task {code(ns)} owns.")
    if config.mode == "plan" or config.mode == "validate":
        return Route(
            mode=config.mode,
            namespace=ns,
            reason=f"mode {config.mode} requested.",
            pr_number=event.pr_number if on_pr else None,
            comment=config.comment and on_pr and config.mode == "plan",
        )
    tag = event.ref.removeprefix("refs/tags/") if event.ref.startswith("refs/tags/") else None
    return Route(
        mode="apply",
        namespace=ns,
        reason="mode apply requested" + (f" for tag {code(tag)}." if tag else "."),
        major=tag is not None,
        tag=tag,
        # Deleting remote tasks never happens on a pull-request run.
        allow_delete=config.allow_delete and not on_pr,
        pr_number=event.pr_number if on_pr else None,
    )
