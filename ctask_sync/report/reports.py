"""Plan and apply reports: the values the CLI and the GitHub adapter render (text, JSON,
Markdown); the renderers themselves are in plans.py and results.py."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ctask_sync.engine.results import TaskResult
from ctask_sync.engine.steps import Plan
from ctask_sync.report.paths import display_path
from ctask_sync.report.plans import plan_dict, plan_markdown, plan_text
from ctask_sync.report.results import (
    interrupted_text,
    result_dict,
    results_markdown,
    results_text,
)
from ctask_sync.report.words import plural

__all__ = ["ApplyReport", "PlanReport", "display_path", "interrupted_text", "plan_text"]


@dataclass
class PlanReport:
    plan: Plan
    root: Path
    endpoint: str

    @property
    def has_changes(self) -> bool:
        return self.plan.has_changes

    def to_dict(self) -> dict[str, Any]:
        return plan_dict(self.plan, self.root, self.endpoint)

    def text(self, colour: bool = False) -> str:
        return plan_text(self.plan, colour=colour)

    def markdown(self) -> str:
        return plan_markdown(self.plan, self.endpoint)


@dataclass
class ApplyReport:
    plan: Plan
    results: list[TaskResult]
    root: Path
    endpoint: str
    requests: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not any(r.error or r.build_status in ("failed", "timeout") for r in self.results)

    def summary(self) -> dict[str, int]:
        def count(action: str) -> int:
            return sum(1 for r in self.results if r.action == action and not r.error)

        return {
            "created": count("create"),
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
