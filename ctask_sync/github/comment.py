"""The sticky pull-request comment: its body for a plan, a preview or a cleanup, and posting it.

A comment failure (missing permission, GitHub down) is a warning, not a failed sync: the same
report is in the job summary."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ctask_sync.github.api import (
    MAX_COMMENT_CHARS,
    CommentResult,
    GitHubApi,
    GitHubApiError,
    marker,
    upsert_sticky_comment,
)
from ctask_sync.github.route import ActionConfig, Route
from ctask_sync.github.summary import (
    apply_counts,
    apply_table,
    deletions_markdown,
    findings_markdown,
    plan_counts,
    plan_has_news,
    plan_table,
)
from ctask_sync.github.workflow_commands import Annotation, Workflow
from ctask_sync.manifest.spec import Finding
from ctask_sync.report.markdown import code
from ctask_sync.words import plural

# Room left for the hidden marker line put in front of the body.
_BODY_LIMIT = MAX_COMMENT_CHARS - 512
_FOOTER = "<sub>Updated in place by ctask-sync on every run for this pull request.</sub>"


def comment_target(route: Route, config: ActionConfig) -> str:
    """One comment per namespace and shard, so a matrix of shards keeps one comment each."""
    if config.shard is None:
        return route.namespace
    return f"{route.namespace}#shard-{config.shard[0]}-of-{config.shard[1]}"


def head_sha(env: Mapping[str, str], payload: Mapping[str, Any]) -> str:
    """The PR's head commit (GITHUB_SHA on pull_request is the temporary merge commit)."""
    pr = payload.get("pull_request")
    head = pr.get("head") if isinstance(pr, Mapping) else None
    sha = head.get("sha") if isinstance(head, Mapping) else None
    return str(sha) if sha else env.get("GITHUB_SHA", "")


def _fit(parts: list[str], table: str) -> str:
    """Join parts around table, dropping table rows until the body fits GitHub's limit."""
    rows = table.split("\n")
    dropped = 0
    while True:
        shown = "\n".join(rows) + (
            f"\n\n… {plural(dropped, 'more task')}: see the job summary." if dropped else ""
        )
        body = "\n\n".join([*parts, shown, _FOOTER])
        if len(body) <= _BODY_LIMIT or len(rows) <= 2:
            return body[:_BODY_LIMIT]
        rows.pop()
        dropped += 1


def plan_body(head: str, title: str, plan: Mapping[str, Any], run_url: str) -> tuple[str, bool]:
    """The comment for a plan, and whether it has something to say (changes)."""
    intro = f"{plan_counts(plan)} · commit {code(head[:12])} · [run]({run_url})"
    if not plan_has_news(plan):
        return "\n\n".join(
            [title, f"No changes: DataRobot matches this pull request. {intro}", _FOOTER]
        ), False
    removed = deletions_markdown(plan, "Merging this")
    return _fit([title, intro, *([removed] if removed else [])], plan_table(plan)), True


def preview_body(
    head: str, title: str, applied: Mapping[str, Any], run_url: str
) -> tuple[str, bool]:
    """The comment for a preview apply: the preview task ids, one per task."""
    summary = applied.get("summary", {})
    changed = any(summary.get(n) for n in ("created", "updated", "deleted"))
    status = "" if applied.get("ok", True) else "**The preview apply failed.** "
    intro = f"{status}{apply_counts(applied)} · commit {code(head[:12])} · [run]({run_url})"
    return _fit([title, intro], apply_table(applied)), changed or not applied.get("ok", True)


def post_comment(
    env: Mapping[str, str],
    workflow: Workflow,
    config: ActionConfig,
    route: Route,
    *,
    payload: Mapping[str, Any],
    plan: Mapping[str, Any] | None = None,
    applied: Mapping[str, Any] | None = None,
    deleted: list[str] | None = None,
    findings: Sequence[Finding] | None = None,
) -> CommentResult | None:
    """Create or update this target's sticky comment on the pull request (None: not posted).

    Never fails the run: the same report is in the job summary, so a problem is a warning."""
    if route.pr_number is None:
        return None
    if not config.github_token:
        workflow.annotate(
            Annotation(
                "warning",
                "no github-token: the pull-request comment was skipped",
                title="ctask-sync",
            )
        )
        return None
    target = comment_target(route, config)
    repository = env.get("GITHUB_REPOSITORY", "")
    run_id = env.get("GITHUB_RUN_ID", "")
    server = env.get("GITHUB_SERVER_URL", "https://github.com").rstrip("/")
    run_url = f"{server}/{repository}/actions/runs/{run_id}"
    head = head_sha(env, payload)
    hidden = marker(target, head, run_id)
    if plan is not None:
        body, create = plan_body(head, f"### ctask-sync plan for {code(target)}", plan, run_url)
    elif applied is not None:
        title = f"### ctask-sync preview {code(target)}"
        body, create = preview_body(head, title, applied, run_url)
    elif findings is not None:
        intro = (
            f"**Invalid manifests: nothing was planned.** · commit {code(head[:12])} · "
            f"[run]({run_url})"
        )
        title = f"### ctask-sync plan for {code(target)}"
        body = _fit([title, intro], findings_markdown(findings))
        create = True  # a broken manifest is always worth saying
    else:
        gone = len(deleted or [])
        body = "\n\n".join(
            [
                f"### ctask-sync preview {code(target)}",
                f"Pull request closed: {plural(gone, 'preview task')} deleted. · [run]({run_url})",
                _FOOTER,
            ]
        )
        create = False  # nothing to tear down is nothing to say
    api = GitHubApi(
        env.get("GITHUB_API_URL", "https://api.github.com"),
        config.github_token,
        timeout=config.settings.timeout,
    )
    try:
        result = upsert_sticky_comment(
            api, repository, route.pr_number, target, f"{hidden}\n{body}", create=create
        )
    except (GitHubApiError, ValueError, KeyError, TypeError) as exc:
        # Anything GitHub answers (or fails to): the sync itself already succeeded or failed.
        workflow.annotate(
            Annotation("warning", f"pull-request comment not posted: {exc}", title="ctask-sync")
        )
        return None
    workflow.log(
        f"pull-request comment: {result.action}" + (f" {result.url}" if result.url else "")
    )
    return result
