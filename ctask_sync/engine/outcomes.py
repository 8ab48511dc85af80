"""What one plan or apply run found and did: the typed values that report/ renders as text,
JSON and Markdown (the engine renders nothing itself)."""

from __future__ import annotations

from pathlib import Path

import msgspec

from ctask_sync.engine.results import TaskResult
from ctask_sync.engine.steps import Plan

__all__ = ["ApplyOutcome", "PlanOutcome", "RunOutcome"]


class RunOutcome(msgspec.Struct, frozen=True):
    """What every run has: its plan, and where it ran."""

    plan: Plan
    root: Path  # the git top level: paths in reports are relative to it
    endpoint: str


class PlanOutcome(RunOutcome, frozen=True):
    @property
    def has_changes(self) -> bool:
        return self.plan.has_changes


class ApplyOutcome(RunOutcome, frozen=True):
    results: list[TaskResult] = msgspec.field(default_factory=list)
    requests: dict[str, int] = msgspec.field(default_factory=dict)  # reads, writes, bytes_uploaded

    @property
    def ok(self) -> bool:
        """No task failed and no dependency build failed or timed out."""
        return not any(r.error or r.build_status in ("failed", "timeout") for r in self.results)
