"""Execute a Plan: tasks concurrently (bounded), the steps of one task in order, then wait for
every dependency build together.

A write whose outcome is unknown (timeout, dropped connection) is never re-sent blindly: the
task's remote state is read again and its plan recomputed, which converges because the plan is
a pure function of what DataRobot holds."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from ctask_sync import __version__
from ctask_sync.datarobot.client import CustomTaskVersion, DataRobotClient, UploadFile
from ctask_sync.engine.builds import BuildWatch, wait_for_builds
from ctask_sync.engine.plan import TARGET_TYPES, Plan, PlanContext, TaskPlan, wants_build
from ctask_sync.engine.remote import Owner, SyncRecord, encode_record, short_digest, with_marker
from ctask_sync.errors import ApiError, CtaskSyncError, OutcomeUnknownError
from ctask_sync.manifest.files import content_digest
from ctask_sync.manifest.manifest import TaskSpec

Log = Callable[[str], None]
Replan = Callable[[str], TaskPlan]  # key -> a fresh plan for that task from a fresh remote read

# How often one task is re-planned after writes with unknown outcomes before giving up.
MAX_REPLANS = 2


@dataclass
class TaskResult:
    key: str
    action: str
    name: str
    task_id: str | None = None
    version_id: str | None = None
    version_label: str | None = None
    manifest: str | None = None
    folder: str | None = None
    files_uploaded: int = 0
    bytes_uploaded: int = 0
    files_deleted: int = 0
    build_status: str | None = None
    build_log_tail: str | None = None
    error: str | None = None
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class RunInfo:
    """What each sync record says about this run, beyond the plan's context."""

    context: PlanContext
    dirty: bool  # uncommitted changes were synced
    parents: tuple[str, ...] = ()  # the commit's parents (orders commits of one second)


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


def make_record(spec: TaskSpec, plan: TaskPlan, run: RunInfo, *, build: bool) -> SyncRecord:
    return SyncRecord(
        tool=__version__,
        commit=run.context.commit,
        ref=run.context.ref,
        commit_time=run.context.commit_time,
        tag=run.context.tag,
        content=content_digest(spec.files),
        settings=settings_digest(plan),
        files={f.path: short_digest(f.digest) for f in spec.files},
        build=build,
        dirty=run.dirty,
        parents=run.parents,
    )


class Applier:
    """Runs one plan against one DataRobot."""

    def __init__(
        self,
        client: DataRobotClient,
        run: RunInfo,
        log: Log,
        *,
        replan: Replan | None = None,
        concurrency: int,  # Settings.concurrency: the one default
    ) -> None:
        self.client = client
        self.run = run
        self.log = log
        self.replan = replan
        self.concurrency = concurrency
        self.builds: list[BuildWatch] = []
        self._lock = threading.Lock()

    def apply(self, plan: Plan, *, wait: bool, build_timeout: float) -> list[TaskResult]:
        """Apply every task of plan; returns one result per task, in plan order."""
        with ThreadPoolExecutor(max_workers=self.concurrency) as pool:
            results = list(pool.map(self._apply_guarded, plan.tasks))
        watched = {b.key: b for b in self.builds}
        if self.builds and wait:
            wait_for_builds(
                self.client,
                self.builds,
                timeout=build_timeout,
                log=self.log,
                concurrency=self.concurrency,
            )
        for result in results:
            watch = watched.get(result.key)
            if watch is not None:
                result.build_status = watch.status if wait else "submitted"
                result.build_log_tail = watch.log_tail
        return results

    def _apply_guarded(self, task: TaskPlan) -> TaskResult:
        result = TaskResult(key=task.key, action=task.action, name=task.name, task_id=task.task_id)
        if task.spec is not None:
            result.manifest = str(task.spec.manifest_path)
            result.folder = str(task.spec.folder)
        result.warnings = task.warnings
        attempt = task
        for tries in range(MAX_REPLANS + 1):
            try:
                self._apply_task(attempt, result)
                return result
            except OutcomeUnknownError as exc:
                if self.replan is None or tries == MAX_REPLANS:
                    result.error = str(exc)
                    return result
                self.log(f"  {task.key}: {exc.method} {exc.path}: outcome unknown; re-reading")
                try:
                    attempt = self.replan(task.key)
                except CtaskSyncError as again:
                    result.error = str(again)
                    return result
            except CtaskSyncError as exc:
                result.error = str(exc)
                self.log(f"  {task.key}: error: {exc}")
                return result
        return result

    def _apply_task(self, task: TaskPlan, result: TaskResult) -> None:
        if task.action in ("unchanged", "refuse"):
            if task.remote and task.remote.latest:
                result.version_id = task.remote.latest.id
                result.version_label = task.remote.latest.label
            return
        if task.action == "delete":
            self._delete(task, result)
            return
        spec = task.spec
        assert spec is not None
        owner = Owner(namespace=self.run.context.namespace, key=spec.key)
        task_id = task.task_id
        if task.create_task:
            created = self.client.create_custom_task(
                name=spec.name,
                target_type=TARGET_TYPES[spec.target_type],
                language=spec.language,
                description=with_marker(spec.description, owner),
            )
            task_id = created.id
            self.log(f"  + {spec.key}: created task {task_id}")
        assert task_id is not None
        result.task_id = task_id
        if task.metadata:
            meta = task.metadata
            self.client.update_custom_task(
                task_id,
                name=meta.get("name"),
                language=meta.get("language"),
                description=(
                    with_marker(meta["description"], owner) if "description" in meta else None
                ),
            )
            self.log(f"  ~ {spec.key}: updated {', '.join(sorted(task.metadata))}")

        version: CustomTaskVersion | None = task.remote.latest if task.remote else None
        started_build = False
        if task.version is not None:
            plan_v = task.version
            uploads = [UploadFile(path=p, source=spec.folder / p) for p in plan_v.upload]
            version = self.client.create_version(
                task_id,
                from_previous=plan_v.from_previous,
                is_major_update=plan_v.major,
                base_environment_id=plan_v.environment_id,
                files=uploads,
                files_to_delete=plan_v.delete_item_ids,
                maximum_memory=plan_v.maximum_memory,
                outbound_network_policy=plan_v.outbound_network_policy,
                required_metadata=plan_v.required_metadata,
            )
            sizes = {f.path: f.size for f in spec.files}
            result.files_uploaded = len(uploads)
            result.bytes_uploaded = sum(sizes.get(p, 0) for p in plan_v.upload)
            result.files_deleted = len(plan_v.delete_item_ids)
            self.log(
                f"  ~ {spec.key}: version {version.label} ({len(uploads)} uploaded, "
                f"{len(plan_v.delete_item_ids)} deleted; {plan_v.reason})"
            )
            if wants_build(spec, version.dependencies):
                started_build = self._start_build(spec.key, task_id, version.id)
        elif task.check_build and version is not None:
            retry = spec.dependency_build == "always"
            started_build = self._ensure_build(spec.key, task_id, version.id, retry_failed=retry)

        if version is not None and (task.version is not None or task.write_record):
            record = make_record(spec, task, self.run, build=started_build)
            self.client.update_version(task_id, version.id, description=encode_record(record))
            result.version_id = version.id
            result.version_label = version.label
        elif version is not None:
            result.version_id = version.id
            result.version_label = version.label

    def _start_build(self, key: str, task_id: str, version_id: str) -> bool:
        self.client.start_dependency_build(task_id, version_id)
        with self._lock:
            self.builds.append(BuildWatch(key=key, task_id=task_id, version_id=version_id))
        self.log(f"  {key}: dependency build started")
        return True

    def _ensure_build(
        self, key: str, task_id: str, version_id: str, *, retry_failed: bool = False
    ) -> bool:
        """Start the build unless one exists (a rerun after a crash between the two writes),
        or, with retry_failed, unless the one that exists did not fail."""
        existing = self.client.get_dependency_build(task_id, version_id)
        if existing is None or (retry_failed and existing.build_status == "failed"):
            return self._start_build(key, task_id, version_id)
        with self._lock:
            self.builds.append(
                BuildWatch(
                    key=key, task_id=task_id, version_id=version_id, status=existing.build_status
                )
            )
        return True

    def _delete(self, task: TaskPlan, result: TaskResult) -> None:
        if not task.delete or task.remote is None:
            return
        try:
            self.client.delete_custom_task(task.remote.task.id)
        except ApiError as exc:
            if exc.status == 404:  # already gone: the desired state
                return
            raise
        self.log(f"  - {task.key}: deleted task {task.remote.task.id}")
