"""Plan and apply reports: the engine's outcomes (engine/outcomes.py) as the CLI and the GitHub
adapter show them (text, JSON, Markdown); the renderers themselves are in plans.py and
results.py.

PlanReport.to_dict() shape (also what `plan --json FILE` writes):
{
  "version": 1, "namespace": str, "endpoint": str, "commit": str|null, "ref": str|null,
  "tag": str|null,
  "tasks": [{
      "key": str, "action": "create"|"update"|"unchanged"|"delete"|"keep"|"refuse",
      "name": str, "task_id": str|null, "manifest": str|null (path relative to repo root),
      "folder": str|null (relative to repo root),
      "files_added": [str], "files_changed": [str], "files_removed": [str],
      "metadata_changes": [str]  (field names: name, description, language, record),
      "new_version": {"major": bool, "reason": str}|null,
      "dependency_build": bool (a build will be started),
      "build": "success"|"failed"|"running"|"missing"|null (the latest version's build),
      "delete": bool, "diff_source": str,
      "warnings": [str], "reason": str|null (why refused/deleted),
      "field_changes": [{"field": str, "old": value, "new": value
                         (+ "old_name", "new_name" for the environment)}],
      "files": [{"change": "added"|"changed"|"removed"|"renamed", "path": str,
                 "size": int|null}],
      "renamed": [{"from": str, "to": str}], "upload_bytes": int
      "consumers": [{"blueprint_id", "name", "version_id": str|null (null: latest_),
                     "version": str (label or "latest")}]|null (null: not read),
      "blueprint_updates": [{"blueprint_id", "name", "old_version_ids": [str],
                             "old_versions": [str], "new_version": str}],
      "share_changes": [{"username", "action": "add"|"change"|"remove", "role": str|null,
                         "can_share": bool|null, "old_role": str|null}],
      "blockers": [{"blueprint_id", "name"}] (user blueprints a deletion would meet)
  }],
  "summary": {"create": int, "update": int, "delete": int, "keep": int, "unchanged": int,
              "refuse": int},
  "has_changes": bool, "upload_bytes": int, "warnings": [str]
}
`plan --out FILE` wraps it in a saved plan (engine/saved_plan.py).

ApplyReport.to_dict() shape (what `apply --json FILE` writes):
{
  "version": 1, "namespace": str, "endpoint": str, "commit": str|null, "ref": str|null,
  "tag": str|null, "ok": bool,
  "tasks": [{
      "key": str, "action": str (as in the plan), "name": str, "task_id": str|null,
      "version_id": str|null, "version_label": str|null, "manifest": str|null, "folder": str|null,
      "files_uploaded": int, "bytes_uploaded": int, "files_deleted": int,
      "build_status": "success"|"failed"|"submitted"|"processing"|"timeout"|null,
      "build_log_tail": str|null, "error": str|null, "warnings": [str], "url": str|null,
      "share_changes": [as in the plan, as sent], "blueprints_updated": [as blueprint_updates]
  }],
  "summary": {"created": int, "updated": int, "deleted": int, "kept": int, "unchanged": int,
              "versions_created": int, "builds_failed": int, "errors": int},
  "requests": {"reads": int, "writes": int, "bytes_uploaded": int}
}
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Generic, TypeVar

import msgspec

from ctask_sync.engine.outcomes import ApplyOutcome, PlanOutcome, RunOutcome
from ctask_sync.engine.results import RunningBuild, TaskResult
from ctask_sync.engine.steps import Plan
from ctask_sync.report.plans import plan_dict, plan_markdown, plan_text
from ctask_sync.report.results import (
    interrupted_text,
    result_dict,
    results_markdown,
    results_text,
)
from ctask_sync.words import plural

__all__ = ["ApplyReport", "PlanReport", "interrupted_text", "plan_text", "shown_through", "told"]


Outcome = TypeVar("Outcome", bound=RunOutcome)


class _Report(msgspec.Struct, Generic[Outcome], frozen=True):
    """A report renders one outcome; its plan and where it ran read through."""

    outcome: Outcome

    @property
    def plan(self) -> Plan:
        return self.outcome.plan

    @property
    def root(self) -> Path:
        return self.outcome.root

    @property
    def endpoint(self) -> str:
        return self.outcome.endpoint


class PlanReport(_Report[PlanOutcome], frozen=True):
    @property
    def has_changes(self) -> bool:
        return self.outcome.has_changes

    def to_dict(self) -> dict[str, Any]:
        return plan_dict(self.plan, self.root, self.endpoint)

    def text(self, colour: bool = False) -> str:
        return plan_text(self.plan, colour=colour)

    def markdown(self) -> str:
        return plan_markdown(self.plan, self.endpoint)


class ApplyReport(_Report[ApplyOutcome], frozen=True):
    @property
    def results(self) -> list[TaskResult]:
        return self.outcome.results

    @property
    def requests(self) -> dict[str, int]:
        return self.outcome.requests

    @property
    def ok(self) -> bool:
        return self.outcome.ok

    def summary(self) -> dict[str, int]:
        def count(action: str) -> int:
            return sum(1 for r in self.results if r.action == action and not r.error)

        return {
            # what exists remotely, as the action's outputs say: a task created whose first
            # version then failed is created (it is in DataRobot), and its error is counted
            "created": sum(1 for r in self.results if r.action == "create" and r.task_id),
            "updated": count("update"),
            "deleted": sum(1 for r in self.results if r.deleted and not r.error),
            "kept": count("keep"),
            "unchanged": count("unchanged"),
            "versions_created": sum(1 for r in self.results if r.version_created),
            "builds_failed": sum(
                1 for r in self.results if r.build_status in ("failed", "timeout")
            ),
            "errors": sum(1 for r in self.results if r.error),
        }

    def to_dict(self) -> dict[str, Any]:
        ctx = self.plan.context
        return {
            "version": 1,
            "namespace": ctx.namespace,
            "endpoint": self.endpoint,
            "commit": ctx.commit,
            "ref": ctx.ref,
            "tag": ctx.tag,
            "ok": self.ok,
            "tasks": [result_dict(r, self.root, self.endpoint) for r in self.results],
            "summary": self.summary(),
            "requests": self.requests,
        }

    def text(self, colour: bool = False) -> str:
        s = self.summary()
        closing = (
            f"Apply {'complete' if self.ok else 'FAILED'}: {s['created']} created, "
            f"{s['updated']} updated, {s['deleted']} deleted, "
            + (f"{s['kept']} kept, " if s["kept"] else "")
            + f"{s['unchanged']} unchanged, "
            f"{plural(s['versions_created'], 'version')}, "
            f"{plural(s['builds_failed'], 'failed build')}, {plural(s['errors'], 'error')}."
        )
        return results_text(self.results, colour) + "\n\n" + closing

    def markdown(self) -> str:
        return results_markdown(self.results, self.plan.context.namespace, self.ok)


def shown_through(log: Callable[[str], None]) -> Callable[[PlanOutcome], bool]:
    """A `show_plan` for sync.apply that writes the plan's text to log and goes on."""

    def show(outcome: PlanOutcome) -> bool:
        log(PlanReport(outcome).text())
        return True

    return show


def told(log: Callable[[str], None]) -> Callable[[list[TaskResult], list[RunningBuild]], None]:
    """A Feedback.interrupted for sync.apply: what an interrupted apply did, through log."""

    def tell(results: list[TaskResult], running: list[RunningBuild]) -> None:
        log(interrupted_text(results, running))

    return tell
