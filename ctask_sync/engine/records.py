"""The sync record this run writes: what each version's description says about the run."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from ctask_sync import __version__
from ctask_sync.engine.steps import PlanContext, TaskPlan
from ctask_sync.engine.syncrecord import SyncRecord, record_folder, short_digest
from ctask_sync.manifest.spec import TaskSpec


@dataclass(frozen=True)
class RunInfo:
    """What each sync record says about this run, beyond the plan's context."""

    context: PlanContext
    dirty: bool  # uncommitted changes were synced
    parents: tuple[str, ...] = ()  # the commit's parents (orders commits of one second)
    root: str = "."  # the sync root, relative to the git top level
    root_dir: Path | None = None  # the sync root's folder: task folders are recorded below it


def settings_digest(plan: TaskPlan) -> str:
    spec = plan.spec
    assert spec is not None
    if plan.version is not None:
        env: str | None = plan.version.environment_id
    elif plan.remote is not None and plan.remote.latest is not None:
        env = plan.remote.latest.base_environment_id
    else:
        env = spec.environment.id
    data = {
        "environment": env,
        "maximum_memory": spec.maximum_memory,
        "outbound_network_policy": spec.outbound_network_policy,
        "required_metadata": dict(sorted(spec.required_metadata.items())),
        "dependency_build": spec.dependency_build,
    }
    raw = json.dumps(data, sort_keys=True, separators=(",", ":")).encode()
    return f"sha256:{hashlib.sha256(raw).hexdigest()}"


def make_record(
    spec: TaskSpec, plan: TaskPlan, run: RunInfo, *, previous: SyncRecord | None = None
) -> SyncRecord:
    """This run's record for the version; what is known of its build carries over from the
    version's previous record (a rewrite for a release tag keeps the build's outcome)."""
    return SyncRecord(
        tool=__version__,
        commit=run.context.commit,
        ref=run.context.ref,
        commit_time=run.context.commit_time,
        tag=run.context.tag,
        content=spec.content,
        settings=settings_digest(plan),
        files={f.path: short_digest(f.digest) for f in spec.files},
        build=previous.build if previous else False,
        build_outcome=previous.build_outcome if previous else None,
        dirty=run.dirty,
        parents=run.parents,
        namespace=run.context.namespace,
        key=spec.key,
        root=run.root,
        folder=record_folder(spec.folder, run.root_dir),
    )
