"""Execute a Plan: tasks concurrently (bounded), the steps of one task in order (one `match`
over typed steps), then wait for every dependency build together.

A write whose outcome is unknown (timeout, dropped connection) is never re-sent blindly: the
task's remote state is read again and its plan recomputed, which converges because the plan is
a pure function of what DataRobot holds."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from msgspec.structs import replace

from ctask_sync.datarobot.client import DataRobotClient
from ctask_sync.datarobot.upload import UploadFile
from ctask_sync.engine import apply_consumers as consumers
from ctask_sync.engine.builds import BuildWatch, record_outcomes, wait_for_builds
from ctask_sync.engine.model import RemoteVersion
from ctask_sync.engine.plan import TARGET_TYPES, wants_build
from ctask_sync.engine.records import RunInfo, make_record
from ctask_sync.engine.remote import remote_version, with_marker
from ctask_sync.engine.results import TaskResult
from ctask_sync.engine.steps import (
    AwaitBuild,
    CreateTask,
    CreateVersion,
    DeleteTask,
    Keep,
    Plan,
    RecordBuildOutcome,
    Refuse,
    ShareTask,
    StartBuild,
    Step,
    TaskPlan,
    UpdateBlueprints,
    UpdateTask,
    WriteRecord,
)
from ctask_sync.engine.syncrecord import Owner, SyncRecord, encode_record
from ctask_sync.errors import ApiError, CtaskSyncError, OutcomeUnknownError
from ctask_sync.manifest.spec import TaskSpec

Log = Callable[[str], None]
Replan = Callable[[str], TaskPlan]  # key -> a fresh plan for that task from a fresh remote read

# How often one task is re-planned after writes with unknown outcomes before giving up.
MAX_REPLANS = 2

__all__ = ["Applier", "RunInfo", "TaskResult", "result_of"]


@dataclass
class _Progress:
    """One task's state while its steps run: what the next step acts on."""

    task_id: str | None
    version: RemoteVersion | None
    record: SyncRecord | None
    new_version: bool = False
    build: BuildWatch | None = None
    shared: tuple[str, ...] = ()  # the usernames the record says ctask-sync shared with
    created_by: str | None = None


def result_of(task: TaskPlan) -> TaskResult:
    """The result of a task before (or without) applying it."""
    latest = task.remote.latest if task.remote else None
    return TaskResult(
        key=task.key,
        action=task.action,
        name=task.name,
        task_id=task.task_id,
        version_id=latest.id if latest else None,
        version_label=latest.label if latest else None,
        manifest=str(task.spec.manifest_path) if task.spec else None,
        folder=str(task.spec.folder) if task.spec else None,
        warnings=task.warnings,
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
        progress: Log | None = None,
    ) -> None:
        self.client = client
        self.progress = progress  # told the build wait's state every round
        self.run = run
        self.log = log
        self.replan = replan
        self.concurrency = concurrency
        self.builds: list[BuildWatch] = []
        self._lock = threading.Lock()

    def apply(self, plan: Plan) -> list[TaskResult]:
        """Run every task's steps; one result per task, in plan order. Builds started or
        found running are in self.builds, for wait()."""
        with ThreadPoolExecutor(max_workers=self.concurrency) as pool:
            return list(pool.map(self._apply_guarded, plan.tasks))

    def wait(self, results: list[TaskResult], *, wait: bool, build_timeout: float) -> None:
        """Wait for every build together (unless wait is False), write each final outcome
        into its version's sync record, and put the builds' states into results."""
        lost: CtaskSyncError | None = None
        if self.builds and wait:
            try:
                wait_for_builds(
                    self.client,
                    self.builds,
                    timeout=build_timeout,
                    log=self.log,
                    concurrency=self.concurrency,
                    progress=self.progress,
                )
            except CtaskSyncError as exc:
                # DataRobot stopped answering mid-wait: what was written stands and is
                # reported (the JSON, the action's outputs); unfinished builds are errors
                lost = exc
            record_outcomes(self.client, self.builds, self.log, concurrency=self.concurrency)
        watched = {b.key: b for b in self.builds}
        for result in results:
            watch = watched.get(result.key)
            if watch is not None:
                result.build_status = watch.status if wait else "submitted"
                result.build_log_tail = watch.log_tail
                if lost is not None and not watch.final and result.error is None:
                    result.error = (
                        "the dependency build's outcome is unknown (run again: the next run "
                        f"reads the build's status and continues): {lost}"
                    )

    def _apply_guarded(self, task: TaskPlan) -> TaskResult:
        result = result_of(task)
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
        remote = task.remote
        state = _Progress(
            task_id=task.task_id,
            version=remote.latest if remote else None,
            record=remote.record if remote else None,
            shared=remote.record.shared if remote and remote.record else (),
            created_by=remote.task.created_by if remote else None,
        )
        # What exists remotely is reported even when a later step fails: a task created
        # whose first version was refused is in DataRobot, and the outputs must say so.
        try:
            for step in task.steps:
                self._run_step(task, step, state, result)
        finally:
            result.task_id = state.task_id
            if state.version is not None:
                result.version_id = state.version.id
                result.version_label = state.version.label

    def _run_step(self, task: TaskPlan, step: Step, state: _Progress, result: TaskResult) -> None:
        spec = task.spec
        match step:
            case Keep() | Refuse():
                pass
            case DeleteTask():
                result.deleted = self._delete(task)
            case CreateTask():
                assert spec is not None
                state.task_id, state.created_by = self._create_task(spec)
            case UpdateTask(changes=changes):
                assert spec is not None and state.task_id is not None
                self._update_task(spec, state.task_id, changes)
            case CreateVersion():
                assert spec is not None
                self._create_version(spec, step, state, result)
            case StartBuild(retry=retry):
                assert spec is not None
                self._start_build(spec, state, retry=retry)
            case AwaitBuild():
                self._watch(task.key, state, status="processing")
            case WriteRecord():
                assert spec is not None
                self._write_record(spec, task, state)
            case RecordBuildOutcome(outcome=outcome):
                self._record_outcome(state, outcome)
            case ShareTask():
                self._share(task.key, step, state, result)
            case UpdateBlueprints():
                assert state.task_id is not None and state.version is not None
                done, failed = consumers.follow(
                    self.client, task.key, state.task_id, state.version, step, self.log
                )
                result.blueprints_updated = tuple(done)
                if failed:
                    result.error = "; ".join(failed)

    def _share(self, key: str, step: ShareTask, state: _Progress, result: TaskResult) -> None:
        """Reconcile the access list; a refusal is the task's error, not the end of its steps
        (the record that follows keeps what was shared before)."""
        assert state.task_id is not None
        try:
            shared = consumers.share(
                self.client,
                key,
                state.task_id,
                step,
                recorded=state.shared,
                creator=state.created_by,
                log=self.log,
            )
        except CtaskSyncError as exc:
            result.error = f"sharing: {exc}"
            self.log(f"  {key}: error: sharing: {exc}")
            return
        state.shared = shared.recorded
        result.share_changes = shared.changes
        result.warnings = (
            *result.warnings,
            *(w for w in shared.warnings if w not in result.warnings),
        )

    def _create_task(self, spec: TaskSpec) -> tuple[str, str | None]:
        owner = Owner(namespace=self.run.context.namespace, key=spec.key)
        created = self.client.create_custom_task(
            name=spec.name,
            target_type=TARGET_TYPES[spec.target_type],
            language=spec.language,
            description=with_marker(spec.description, owner),
        )
        self.log(f"  + {spec.key}: created task {created.id}")
        return created.id, created.created_by

    def _update_task(self, spec: TaskSpec, task_id: str, changes: dict[str, str]) -> None:
        owner = Owner(namespace=self.run.context.namespace, key=spec.key)
        description = changes.get("description")
        self.client.update_custom_task(
            task_id,
            name=changes.get("name"),
            language=changes.get("language"),
            description=with_marker(description, owner) if description is not None else None,
        )
        self.log(f"  ~ {spec.key}: updated {', '.join(sorted(changes))}")

    def _create_version(
        self, spec: TaskSpec, step: CreateVersion, state: _Progress, result: TaskResult
    ) -> None:
        assert state.task_id is not None
        uploads = [UploadFile(path=p, source=spec.folder / p) for p in step.upload]
        version = self.client.create_version(
            state.task_id,
            from_previous=step.from_previous,
            is_major_update=step.major,
            base_environment_id=step.environment_id,
            files=uploads,
            files_to_delete=step.delete_item_ids,
            maximum_memory=step.maximum_memory,
            outbound_network_policy=step.outbound_network_policy,
            required_metadata=step.required_metadata,
        )
        state.version, state.new_version = remote_version(version), True
        sizes = {f.path: f.size for f in spec.files}
        result.files_uploaded = len(uploads)
        result.bytes_uploaded = sum(sizes.get(p, 0) for p in step.upload)
        result.files_deleted = len(step.delete_item_ids)
        result.version_created = True
        self.log(
            f"  ~ {spec.key}: version {version.label} ({len(uploads)} uploaded, "
            f"{len(step.delete_item_ids)} deleted; {step.reason})"
        )

    def _start_build(self, spec: TaskSpec, state: _Progress, *, retry: bool) -> None:
        version = state.version
        assert state.task_id is not None and version is not None
        if not wants_build(spec, version.dependencies):
            return  # DataRobot found no dependencies in the new version: nothing to build
        self.client.start_dependency_build(state.task_id, version.id)
        self._watch(spec.key, state, status="submitted")
        self.log(f"  {spec.key}: dependency build {'restarted' if retry else 'started'}")

    def _watch(self, key: str, state: _Progress, *, status: str) -> None:
        assert state.task_id is not None and state.version is not None
        state.build = BuildWatch(
            key=key,
            task_id=state.task_id,
            version_id=state.version.id,
            version_label=state.version.label,
            status=status,
            record=state.record,
        )
        with self._lock:
            self.builds.append(state.build)

    def _write_record(self, spec: TaskSpec, task: TaskPlan, state: _Progress) -> None:
        version = state.version
        assert state.task_id is not None and version is not None
        previous = None if state.new_version else state.record
        record = replace(make_record(spec, task, self.run, previous=previous), shared=state.shared)
        if state.build is not None:  # a build was started by this run: its outcome is to come
            record = replace(record, build=True, build_outcome=None)
        elif task.build == "success" and not state.new_version:
            record = replace(record, build=True, build_outcome="success")
        self.client.update_version(state.task_id, version.id, description=encode_record(record))
        state.record = record
        if state.build is not None:
            state.build.record = record

    def _record_outcome(self, state: _Progress, outcome: str) -> None:
        assert state.task_id is not None and state.version is not None
        if state.record is None:
            return
        record = replace(state.record, build=True, build_outcome=outcome)
        self.client.update_version(
            state.task_id, state.version.id, description=encode_record(record)
        )
        state.record = record

    def _delete(self, task: TaskPlan) -> bool:
        if task.remote is None:
            return False
        try:
            self.client.delete_custom_task(task.remote.task.id)
        except ApiError as exc:
            if exc.status == 404:  # already gone: the desired state
                return True
            if exc.status == 409:
                raise consumers.in_use_error(
                    task.remote.task.id, exc, dict(task.blockers)
                ) from None
            raise
        self.log(f"  - {task.key}: deleted task {task.remote.task.id}")
        return True
