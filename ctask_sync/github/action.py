"""`ctask-sync action`: the GitHub Action's whole logic, runnable outside a runner.

Inputs come from INPUT_* variables (as GitHub passes them to JavaScript and Docker actions) and
the runner's GITHUB_* variables; results go to the log, the job summary, step outputs, annotations
and, on pull requests, one sticky comment. The engine is reached only through sync.py."""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ctask_sync.datarobot.endpoint import password_of
from ctask_sync.engine import sync
from ctask_sync.engine.session import Feedback
from ctask_sync.errors import ConfigError, CtaskSyncError, ManifestError
from ctask_sync.github.comment import post_comment
from ctask_sync.github.route import ActionConfig, Event, Route, read_config, route
from ctask_sync.github.summary import (
    apply_markdown,
    apply_outputs,
    build_annotations,
    deletions_markdown,
    drift_found,
    finding_annotations,
    findings_markdown,
    plan_counts,
    plan_outputs,
    plan_table,
    warning_annotations,
)
from ctask_sync.github.workflow_commands import (
    Annotation,
    Workflow,
    append_summary,
    input_variable,
    load_event,
    write_outputs,
)
from ctask_sync.manifest.discovery import discover
from ctask_sync.manifest.rootconfig import find_root, root_config_findings
from ctask_sync.manifest.spec import Finding
from ctask_sync.redact import redact
from ctask_sync.report.markdown import SUMMARY_LIMIT_BYTES, cap_middle, code, fence
from ctask_sync.report.reports import ApplyReport, PlanReport, shown_through, told
from ctask_sync.settings import Settings
from ctask_sync.words import plural

# Room under GitHub's 1 MiB summary limit for what other steps of the job write.
_SUMMARY_BUDGET = SUMMARY_LIMIT_BYTES - 64 * 1024
# The plan-markdown output: the size of a PR comment (outputs share 1 MiB per job).
_PLAN_MARKDOWN_CHARS = 60_000

_SECRET_INPUTS = ("api-token", "github-token")


def run(args: argparse.Namespace) -> int:
    """Run the action once; exit 0 on success, 1 on an expected failure (after reporting it)."""
    env = dict(os.environ)
    workflow = Workflow(runner=env.get("GITHUB_ACTIONS") == "true")
    # Before anything can print: tokens that did not come from `secrets.*` are not masked yet.
    for name in _SECRET_INPUTS:
        workflow.add_mask(env.get(input_variable(name), ""))
    workflow.add_mask(env.get("DATAROBOT_API_TOKEN", ""))
    # A password in the endpoint URL is a secret too, and no `secrets.*` use may have masked it.
    for variable in (input_variable("endpoint"), "DATAROBOT_ENDPOINT"):
        workflow.add_mask(password_of(env.get(variable, "")))
    try:
        config = with_root_namespace(read_config(env), env)
        event = Event(env.get("GITHUB_EVENT_NAME", ""), env.get("GITHUB_REF", ""), load_event(env))
        chosen = route(event, config)
        return ActionRun(env, workflow, config, event, chosen).run()
    except CtaskSyncError as exc:
        # Outside a runner this prints `error: <message>`, as the other commands do.
        workflow.annotate(Annotation("error", str(exc), title="ctask-sync"))
        append_summary(env, f"## ctask-sync failed\n\n{fence(exc)}")
        return 1


def with_root_namespace(config: ActionConfig, env: Mapping[str, str]) -> ActionConfig:
    """The config with its namespace resolved as the CLI resolves it: the input (or
    CTASK_SYNC_NAMESPACE), else the sync root's ctask-sync.yaml. Left empty when neither
    exists, so a validate-only run still works and an engine run says what to do."""
    if config.namespace:
        return config
    workspace = Path(env.get("GITHUB_WORKSPACE") or os.getcwd())
    try:
        root = find_root(workspace / config.path)
    except (ConfigError, ManifestError, OSError):
        return config  # reported by the run itself, with the findings
    return replace(config, namespace=root.namespace or "", namespace_from_root=bool(root.namespace))


def job_summary(parts: list[str]) -> str:
    """The run's summary parts as one document under GitHub's 1 MiB limit, head and tail kept
    (GitHub drops a larger summary altogether)."""
    return cap_middle(redact("\n\n".join(parts)), _SUMMARY_BUDGET)


@dataclass
class ActionRun:
    """One run: the routed mode against the engine, reported the GitHub way."""

    env: Mapping[str, str]
    workflow: Workflow
    config: ActionConfig
    event: Event
    route: Route
    # The job summary, written once at the end so it can be kept under GitHub's limit.
    summary_parts: list[str] = field(default_factory=list)

    def run(self) -> int:
        """Report the route, run it, and return the exit code."""
        try:
            return self._run()
        finally:
            self._flush_summary()

    def _run(self) -> int:
        r = self.route
        self.workflow.log(f"ctask-sync: {r.reason}")
        shard = (
            f" (shard {self.config.shard[0]}/{self.config.shard[1]})" if self.config.shard else ""
        )
        where = f": {code(r.namespace)}{shard}" if r.namespace else shard
        self._summary(f"## ctask-sync {r.mode}{where}\n\n{r.reason}\n")
        root = self._root()
        if r.mode == "validate":
            return self._validate(root)
        options = self._options(root)
        try:
            if r.mode == "plan":
                return self._plan(options)
            if r.mode == "apply":
                return self._apply(options)
            return self._cleanup(options)
        except ManifestError as exc:
            return self._report_findings(
                [f for f in exc.findings if isinstance(f, Finding)], str(exc)
            )

    def _root(self) -> Path:
        workspace = Path(self.env.get("GITHUB_WORKSPACE") or os.getcwd())
        root = (workspace / self.config.path).resolve()
        if not root.is_dir():
            raise ConfigError(
                f"input path: {self.config.path!r} is not a folder in {workspace}",
                hint="check out the repository first (actions/checkout) and set `path`",
            )
        return root

    def _options(self, root: Path) -> Settings:
        settings = self.config.settings
        if not settings.endpoint:
            raise ConfigError(
                "input endpoint is empty",
                hint="set `endpoint: https://app.datarobot.com/api/v2` (or your installation's)",
            )
        if not settings.token:
            raise ConfigError(
                "input api-token is empty",
                hint="pass `api-token: ${{ secrets.DATAROBOT_API_TOKEN }}` in the step's `with:`",
            )
        if not self.route.namespace:
            raise ConfigError(
                "no namespace: no `namespace` input, no CTASK_SYNC_NAMESPACE and no "
                "ctask-sync.yaml at or above the input path",
                hint="run `ctask-sync init` in the repository and commit ctask-sync.yaml "
                "(or set the `namespace` input)",
            )
        # The event decides where and how (route.py); the inputs decide the rest.
        # a namespace from ctask-sync.yaml is left to the run to read again, so that its
        # Namespace line names the file, as the CLI's does; a preview's is always explicit
        from_root = (
            self.config.namespace_from_root and self.route.namespace == self.config.namespace
        )
        return settings.replace(
            path=root,
            namespace=None if from_root else self.route.namespace,
            allow_delete=self.route.allow_delete,
            major=self.route.major,
            tag=self.route.tag,
            commit=self.env.get("GITHUB_SHA") or None,
            ref=self.env.get("GITHUB_REF") or None,
            # previews are throwaway copies: they never move a production blueprint's pins
            touch_blueprints=not self.route.preview,
        )

    @contextmanager
    def _engine_log(self, title: str) -> Iterator[None]:
        """The engine's messages may quote remote text: fold them and disarm workflow commands."""
        with self.workflow.group(f"ctask-sync {title}"), self.workflow.untrusted():
            yield

    def _validate(self, root: Path) -> int:
        discovery = discover(root)
        # the root config too: a pull request that breaks it must not show as valid
        discovery.findings[:0] = root_config_findings(
            [root, *(m.parent for m in discovery.manifest_paths)]
        )
        findings = discovery.findings
        for annotation in finding_annotations(findings):
            self.workflow.annotate(annotation)
        ok = not discovery.errors
        lines = [
            f"Manifests {'valid' if ok else 'invalid'}: "
            f"{plural(len(discovery.tasks), 'valid task')}, "
            f"{plural(len(discovery.errors), 'error')}, "
            f"{plural(len(discovery.warnings), 'warning')}."
        ]
        if findings:
            lines.append(findings_markdown(findings))
        self._summary("\n\n".join(lines))
        write_outputs(
            self.env, {"valid": "true" if ok else "false", "errors": str(len(discovery.errors))}
        )
        return 0 if ok else 1

    def _report_findings(self, findings: list[Finding], message: str) -> int:
        for annotation in finding_annotations(findings):
            self.workflow.annotate(annotation)
        if not findings:
            self.workflow.annotate(Annotation("error", message, title="ctask-sync"))
        body = findings_markdown(findings) if findings else fence(message)
        self._summary(f"**Invalid manifests: nothing was synced.**\n\n{body}")
        errors = sum(1 for f in findings if f.severity == "error") or 1
        write_outputs(self.env, {"valid": "false", "errors": str(errors)})
        if self.route.comment and findings:
            self._comment(findings=findings)
        return 1

    def _plan(self, options: Settings) -> int:
        with self._engine_log("plan"):
            report = PlanReport(sync.plan(options, log=self._log_line))
        plan = report.to_dict()
        outputs = plan_outputs(plan, self._write_json(plan))
        self._task_groups(plan.get("tasks", []))
        for annotation in warning_annotations(plan.get("tasks", [])):
            self.workflow.annotate(annotation)
        table = plan_table(plan) if plan.get("tasks") else "No tasks."
        doing = "Merging this" if self.route.pr_number is not None else "Applying this"
        removed = deletions_markdown(plan, doing)
        markdown = "\n\n".join(part for part in (plan_counts(plan), removed, table) if part)
        self._summary(markdown)
        outputs["plan-markdown"] = cap_middle(redact(markdown), _PLAN_MARKDOWN_CHARS, what="rows")
        if self.route.comment:
            outputs.update(self._comment(plan=plan))
        write_outputs(self.env, outputs)
        if self.route.fail_on_drift and drift_found(plan):
            self.workflow.annotate(
                Annotation(
                    "error",
                    f"drift: DataRobot differs from git ({plan_counts(plan)}); "
                    "run the push workflow (apply) or revert the change made in DataRobot",
                    title="ctask-sync drift",
                )
            )
            return 1
        return 0

    def _apply(self, options: Settings) -> int:
        with self._engine_log("apply"):
            outcome = sync.apply(
                options,
                log=self._log_line,
                show_plan=shown_through(self._log_line),
                feedback=Feedback(interrupted=told(self._log_line)),
            )
            report = ApplyReport(outcome)
        result = report.to_dict()
        outputs = apply_outputs(result, self._write_json(result))
        self._task_groups(result.get("tasks", []))
        for annotation in build_annotations(result) + warning_annotations(result.get("tasks", [])):
            self.workflow.annotate(annotation)
        self._summary(apply_markdown(result))
        if self.route.comment:
            outputs.update(self._comment(applied=result))
        write_outputs(self.env, outputs)
        return 0 if report.ok else 1

    def _cleanup(self, options: Settings) -> int:
        with self._engine_log("cleanup"):
            deleted = sync.cleanup(options, log=self._log_line, yes=True)
        outputs = {"deleted": str(len(deleted)), "tasks": json.dumps(deleted), "errors": "0"}
        listed = "\n".join(f"- {code(key)}" for key in deleted) or "No preview tasks existed."
        self._summary(f"Deleted {plural(len(deleted), 'task')}.\n\n{listed}")
        if self.route.pr_number is not None and self.route.comment:
            outputs.update(self._comment(deleted=deleted))
        write_outputs(self.env, outputs)
        return 0

    def _comment(self, **content: Any) -> dict[str, str]:
        """Create or update the sticky PR comment; the `comment-url` output when there is one."""
        result = post_comment(
            self.env, self.workflow, self.config, self.route, payload=self.event.payload, **content
        )
        return {"comment-url": result.url} if result is not None and result.url else {}

    def _summary(self, markdown: str) -> None:
        """A part of the job summary (written, capped, when the run ends)."""
        self.summary_parts.append(markdown.rstrip("\n"))

    def _flush_summary(self) -> None:
        """The job summary under GitHub's limit (head and tail kept); outside a runner (no
        GITHUB_STEP_SUMMARY) the same text on stdout."""
        if not self.summary_parts:
            return
        markdown = job_summary(self.summary_parts)
        self.summary_parts.clear()
        if not append_summary(self.env, markdown):
            with self.workflow.untrusted() as write:
                write(markdown + "\n")

    def _log_line(self, message: str) -> None:
        self.workflow.log(message)

    def _task_groups(self, tasks: list[dict[str, Any]]) -> None:
        """One folded log section per task; its text (and any build log) cannot run commands."""
        for task in tasks:
            title = f"{task.get('key')}: {task.get('action')}"
            with self.workflow.group(title), self.workflow.untrusted() as write:
                for name, value in task.items():
                    if name != "build_log_tail" and value not in (None, [], ""):
                        write(f"{name}: {value}")
                if task.get("build_log_tail"):
                    write("--- dependency build log (tail) ---")
                    write(str(task["build_log_tail"]))

    def _write_json(self, data: dict[str, Any]) -> str:
        folder = self.env.get("RUNNER_TEMP") or tempfile.gettempdir()
        handle, name = tempfile.mkstemp(prefix="ctask-sync-", suffix=".json", dir=folder)
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            # The report is read by later steps and often uploaded as an artifact: redacted too.
            out.write(redact(json.dumps(data, indent=2, sort_keys=True)) + "\n")
        return name
