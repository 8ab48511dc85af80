"""The engine's front door: one call each for plan, apply, status and cleanup.

cli.py and github.py call only these. The data path runs one way (DESIGN.md): discover and
validate every manifest (no network before all are valid) -> one paged list of DataRobot's
tasks -> change detection -> a pure plan -> apply -> reports.

PlanReport.to_dict() shape (report.py; also what `plan --json FILE` writes):
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

import contextlib
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from ctask_sync import git as gitinfo
from ctask_sync.datarobot.client import DataRobotClient
from ctask_sync.datarobot.concurrency import DEFAULT_CAP, DEFAULT_START, Concurrency
from ctask_sync.datarobot.models import ExecutionEnvironment
from ctask_sync.datarobot.retry import RetryPolicy
from ctask_sync.engine import adopt as adoption
from ctask_sync.engine import late, plan_consumers
from ctask_sync.engine import scope as scoping
from ctask_sync.engine.apply import Applier, RunInfo, TaskResult, result_of
from ctask_sync.engine.apply_consumers import in_use_error
from ctask_sync.engine.consumers import read_consumers, read_grants
from ctask_sync.engine.detect import build_state, file_diff, resolve_environments
from ctask_sync.engine.model import Detected
from ctask_sync.engine.plan import build_plan, plan_task
from ctask_sync.engine.remote import RemoteState, read_remote_state
from ctask_sync.engine.results import RunningBuild
from ctask_sync.engine.saved_plan import SavedPlan, check_target, check_unchanged
from ctask_sync.engine.scope import Scope
from ctask_sync.engine.shard import in_shard
from ctask_sync.engine.steps import Plan, PlanContext, TaskPlan
from ctask_sync.engine.targets import check_targets
from ctask_sync.errors import ApiError, ConfigError, CtaskSyncError, ManifestError
from ctask_sync.git import GitInfo
from ctask_sync.manifest.discovery import discover
from ctask_sync.manifest.rootconfig import SyncRoot, find_root, resolve_namespace
from ctask_sync.manifest.spec import Discovery, TaskSpec
from ctask_sync.manifest.worktree import uncommitted_warnings
from ctask_sync.report import reports as report
from ctask_sync.report.progress import after_silence
from ctask_sync.report.reports import ApplyReport, PlanReport
from ctask_sync.report.words import plural
from ctask_sync.settings import Settings

Log = Callable[[str], None]

EMBEDDED_STATE = ".ctask-sync"
EMBEDDED_TOKEN = "embedded-emulator"  # the embedded emulator accepts any token


# The run's settings (ctask_sync/settings.py), built by cli/ from argv and by github/ from the
# action's inputs; the engine reads no argv, environment or inputs itself.
SyncOptions = Settings


@dataclass(frozen=True)
class Feedback:
    """Where long work reports itself while it runs (cli/ passes stderr writers; None: silent):
    notify gets retries and a silent endpoint, build_progress the build wait's state."""

    notify: Log | None = None
    build_progress: Log | None = None


@dataclass
class _Session:
    """Everything one run learned before planning."""

    options: SyncOptions
    git: GitInfo
    root: Path  # the git top level: paths in reports are relative to it
    sync_root: SyncRoot
    scope: Scope
    specs: list[TaskSpec]  # the shown ones: under PATH and in this shard
    namespace: str
    client: DataRobotClient
    endpoint: str
    environment_ids: dict[str, str]
    context: PlanContext
    remote: RemoteState | None = None
    environment_names: dict[str, str] = field(default_factory=dict)  # id -> name
    all_keys: set[str] = field(default_factory=set)  # every manifest's key, in scope or not


def _validate(options: SyncOptions) -> tuple[GitInfo, SyncRoot, Discovery]:
    """Every manifest of PATH's whole sync root, validated before any request."""
    path = Path(options.path)
    if not path.is_dir():
        raise ConfigError(f"{path}: no such folder", hint="pass the repository folder to sync")
    root = find_root(path)
    git = gitinfo.read(root.folder)
    discovery = discover(root.folder, repo_root=git.repo_root, stop_at_roots=True)
    if discovery.errors:
        lines = [f.format() for f in discovery.errors]
        raise ManifestError(
            f"{plural(len(discovery.errors), 'problem')} in manifests; "
            "nothing was sent to DataRobot:\n" + "\n".join(lines),
            findings=list(discovery.findings),
        )
    return git, root, discovery


def _scope(options: SyncOptions, root: SyncRoot, discovery: Discovery) -> Scope:
    """The root's keys, and the ones this run shows: under PATH and in this shard."""
    path = Path(options.path).resolve()
    shard = _in_scope(options)
    shown = [
        s.key
        for s in discovery.tasks
        if (path == s.folder or path in s.folder.parents) and (shard is None or shard(s.key))
    ]
    narrowed = path.relative_to(root.folder).as_posix() if path != root.folder else None
    return Scope(
        root=root.name,
        keys=frozenset(s.key for s in discovery.tasks),
        shown=frozenset(shown),
        folder=narrowed,
    )


def _embedded_state(root: Path) -> Path:
    """The embedded emulator's state folder, made and kept out of git (`*` in its .gitignore)."""
    state = root / EMBEDDED_STATE
    (state / "emulator").mkdir(parents=True, exist_ok=True)
    ignore = state / ".gitignore"
    if not ignore.exists():
        ignore.write_text("*\n", "utf-8")
    return state / "emulator"


def endpoint_line(options: SyncOptions, root: Path) -> str:
    """The first line of every run: where it syncs to."""
    if options.endpoint:
        return f"Endpoint: {options.endpoint}"
    state = report.display_path(root / EMBEDDED_STATE / "emulator")
    return (
        f"Endpoint: the embedded DataRobot emulator (state in {state}); "
        "set DATAROBOT_ENDPOINT and DATAROBOT_API_TOKEN to sync with DataRobot."
    )


@contextlib.contextmanager
def connect(
    options: SyncOptions, root: Path, log: Log, notify: Log | None = None
) -> Iterator[tuple[DataRobotClient, str]]:
    if options.endpoint:
        if not options.token:
            raise ConfigError(
                "DATAROBOT_API_TOKEN is not set",
                hint="export your DataRobot API key as DATAROBOT_API_TOKEN (never pass it on argv)",
            )
        client = DataRobotClient(
            options.endpoint,
            options.token,
            ca_bundle=options.ca_bundle,
            timeout=options.timeout,
            retry=RetryPolicy(max_total=options.retry_max_seconds, on_retry=notify),
            concurrency=concurrency_of(options),
        )
        try:
            yield client, options.endpoint
        finally:
            client.close()
        return
    from ctask_sync.emulator import EmulatorSettings, start_emulator

    state = _embedded_state(root)
    with start_emulator(EmulatorSettings(state_dir=state), host="127.0.0.1", port=0) as emu:
        client = DataRobotClient(
            emu.endpoint, options.token or EMBEDDED_TOKEN, concurrency=concurrency_of(options)
        )
        try:
            yield client, "embedded emulator"
        finally:
            client.close()


def concurrency_of(options: SyncOptions) -> Concurrency:
    """The adaptive request limit's start and cap. By default it adapts from 8 to 32; an explicit
    --concurrency alone is a fixed limit (one at a time stays one at a time)."""
    start = max(1, options.concurrency or DEFAULT_START)
    fixed_or_default = options.concurrency if options.concurrency is not None else DEFAULT_CAP
    cap = max(1, options.max_concurrency or fixed_or_default)
    return Concurrency(start=min(start, cap), cap=cap)  # the cap wins: it is the safety bound


def _in_scope(options: SyncOptions) -> Callable[[str], bool] | None:
    """The keys this run may touch: its shard's, and the --target keys when given."""
    if options.shard is None and not options.targets:
        return None
    targets = set(options.targets)
    shard = options.shard

    def wanted(key: str) -> bool:
        if targets and key not in targets:
            return False
        return shard is None or in_shard(key, *shard)

    return wanted


def _detect(session: _Session, remote: RemoteState, specs: list[TaskSpec]) -> Detected:
    """The I/O half of planning (git, downloads, build states), tasks in parallel."""
    # one ancestry verdict per recorded commit, before the parallel part (it may git fetch)
    verdicts = late.verdicts(
        (t.record for t in remote.tasks.values()),
        session.git,
        allow_rollback=session.options.allow_rollback,
    )
    found = Detected(warnings=tuple(v.warning for v in verdicts.values() if v.warning))
    for key, current in remote.tasks.items():
        commit = current.record.commit if current.record else None
        refusal = verdicts[commit].refusal if commit in verdicts else None
        if refusal:
            # also for a task whose manifest is gone: a newer commit may have created it, and
            # a late run with --allow-delete must not delete it
            found.refusals[key] = refusal

    def one(spec: TaskSpec) -> None:
        current = remote.tasks.get(spec.key)
        found.diffs[spec.key] = file_diff(spec, current, session.client, session.git)
        build = build_state(spec, current, session.client)
        if build is not None:
            found.builds[spec.key] = build
        if spec.share is not None and current is not None:
            found.access[spec.key] = read_grants(session.client, current.task.id)

    # As many threads as the request limit may grow to; the limit itself gates the requests.
    with ThreadPoolExecutor(max_workers=session.client.limit.setting.cap) as pool:
        list(pool.map(one, specs))
    return found


def _remote(session: _Session) -> tuple[RemoteState, dict[str, str]]:
    """What DataRobot holds for this run (one paged list), adoptions made, narrowed to the
    run's scope; and the keys refused before any diff (bad `adopt:`, another root's key)."""
    full = read_remote_state(session.client, session.namespace, session.scope.root)
    refusals = adoption.adopt(session.specs, full)
    refusals.update(scoping.other_root_refusals(full, session.scope))
    return scoping.narrow(full, session.scope), refusals


def _plan(session: _Session) -> Plan:
    remote, refusals = _remote(session)
    session.remote = remote
    check_targets(session.options.targets, session.all_keys | set(remote.tasks))
    found = _detect(session, remote, session.specs)
    found.refusals.update(refusals)
    the_plan = build_plan(
        session.specs,
        remote,
        found,
        session.environment_ids,
        session.context,
        in_scope=_in_scope(session.options),
        environment_names=session.environment_names,
    )
    the_plan = _with_consumers(session, the_plan)
    the_plan = plan_consumers.with_sharing(the_plan, found.access)
    warnings = (*found.warnings, *scoping.other_root_warnings(remote, session.scope.root))
    the_plan = Plan(context=the_plan.context, tasks=the_plan.tasks, warnings=warnings)
    return adoption.warn_namesakes(the_plan, adoption.namesakes(the_plan, remote))


def _with_consumers(session: _Session, the_plan: Plan) -> Plan:
    """Read the user blueprints (one paged list, at most) only when the plan or a flag needs
    them: see engine/consumers.py for the cost."""
    wanted = plan_consumers.consumers_wanted(the_plan, asked=session.options.consumers)
    if wanted:
        consumers = read_consumers(session.client, wanted)
        the_plan = plan_consumers.with_consumers(the_plan, consumers, wanted)
    return plan_consumers.preview_warnings(the_plan)


def _replan(session: _Session, key: str) -> TaskPlan:
    """A fresh plan for one task from a fresh read (after a write whose outcome is unknown)."""
    remote, _refusals = _remote(session)
    spec = next(s for s in session.specs if s.key == key)
    current = remote.tasks.get(key)
    task = plan_task(
        spec,
        current,
        file_diff(spec, current, session.client, session.git),
        session.environment_ids[key],
        session.context,
        build=build_state(spec, current, session.client),
        environment_names=session.environment_names,
    )
    if spec.share is None or current is None:
        return task
    # sharing is replanned too; blueprints follow only a version whose creation was confirmed
    access = {key: read_grants(session.client, current.task.id)}
    one = plan_consumers.with_sharing(Plan(context=session.context, tasks=(task,)), access)
    return one.tasks[0]


@contextlib.contextmanager
def _session(options: SyncOptions, log: Log, feedback: Feedback) -> Iterator[_Session]:
    git, root, discovery = _validate(options)
    scope = _scope(options, root, discovery)
    specs = [s for s in discovery.tasks if s.key in scope.shown]
    namespace, source = resolve_namespace(options.namespace, root, embedded=not options.endpoint)
    log(endpoint_line(options, root.folder))
    log(f"Namespace: {namespace} (from {source}); root: {root.name}")
    for warning in uncommitted_warnings(git.repo_root, specs):
        log(warning.format())
    context = PlanContext(
        namespace=namespace,
        commit=options.commit or git.commit,
        ref=options.ref or git.ref,
        commit_time=git.commit_time,
        tag=options.tag,
        major=options.major or bool(options.tag),
        allow_delete=options.allow_delete,
        allow_rollback=options.allow_rollback,
        touch_blueprints=options.touch_blueprints,
    )
    with connect(options, root.folder, log, feedback.notify) as (client, endpoint):
        # an endpoint that does not answer is otherwise silent until the read timeout
        with after_silence(2.0, f"Connecting to {client.endpoint} …", feedback.notify):
            environments = client.list_execution_environments() if specs else []
        yield _Session(
            options=options,
            git=git,
            root=git.repo_root,
            sync_root=root,
            scope=scope,
            specs=specs,
            namespace=namespace,
            client=client,
            endpoint=endpoint,
            environment_ids=resolve_environments(specs, environments),
            context=context,
            environment_names={env.id: env.name for env in environments},
            all_keys={s.key for s in discovery.tasks},
        )


def environments(options: SyncOptions, log: Log = print) -> list[ExecutionEnvironment]:
    """The execution environments the token's user can see, from the endpoint `plan` uses."""
    root = find_root(Path(options.path)).folder
    log(endpoint_line(options, root))
    with connect(options, root, log) as (client, _endpoint):
        return client.list_execution_environments()


def plan(options: SyncOptions, log: Log = print, *, feedback: Feedback | None = None) -> PlanReport:
    """Validate, read remote state, compute the plan. Raises ManifestError with findings."""
    with _session(options, log, feedback or Feedback()) as session:
        return PlanReport(_plan(session), session.root, session.endpoint)


def _with_saved_options(options: SyncOptions, saved: SavedPlan | None) -> SyncOptions:
    """apply --plan runs with the options the plan was made with."""
    if saved is None:
        return options
    return options.replace(
        targets=saved.options.targets,
        allow_delete=saved.options.allow_delete,
        allow_rollback=saved.options.allow_rollback,
        major=saved.options.major,
        tag=saved.options.tag,
    )


def apply(
    options: SyncOptions,
    log: Log = print,
    *,
    show_plan: Callable[[PlanReport], bool] | None = None,
    saved: SavedPlan | None = None,
    feedback: Feedback | None = None,
) -> ApplyReport:
    """Plan and apply; waits on dependency builds unless options.wait is False.

    show_plan shows the plan (default: its text through log) and says whether to go on (a
    confirmation); False ends the run before any write. With saved (apply --plan), the plan
    is applied only when it is exactly the saved one, with the options it was made with."""
    options = _with_saved_options(options, saved)
    feedback = feedback or Feedback()
    with _session(options, log, feedback) as session:
        if saved is not None:
            check_target(saved, session.endpoint, session.namespace)
        the_plan = _plan(session)
        namesakes = adoption.namesakes(the_plan, session.remote or RemoteState(session.namespace))
        if namesakes and not options.allow_duplicate_name:
            the_plan = adoption.refuse_namesakes(the_plan, namesakes)
        shown = PlanReport(the_plan, session.root, session.endpoint)
        if saved is not None:
            check_unchanged(saved, the_plan, shown.to_dict())
        if show_plan is None:
            log(shown.text())
        elif not show_plan(shown):
            raise CtaskSyncError("apply cancelled; nothing was written")
        if the_plan.refused:
            raise CtaskSyncError(
                "apply refused; nothing was written:\n"
                + "\n".join(f"  {t.key}: {t.reason}" for t in the_plan.refused)
            )
        run = RunInfo(
            session.context,
            dirty=session.git.dirty,
            parents=session.git.parents,
            root=session.scope.root,
            root_dir=session.sync_root.folder,
        )
        results: list[TaskResult] = [result_of(t) for t in the_plan.tasks]
        if the_plan.has_changes or any(t.bookkeeping for t in the_plan.tasks):
            log("")
            log("Applying:")
            applier = Applier(
                session.client,
                run,
                log,
                replan=lambda key: _replan(session, key),
                concurrency=session.client.limit.setting.cap,
                progress=feedback.build_progress,
            )
            results = applier.apply(the_plan)
            try:
                applier.wait(results, wait=options.wait, build_timeout=options.build_timeout)
            except KeyboardInterrupt:
                log(report.interrupted_text(results, _still_running(applier)))
                raise
        stats = session.client.stats
        return ApplyReport(
            plan=the_plan,
            results=results,
            root=session.root,
            endpoint=session.endpoint,
            requests={
                "reads": stats.reads,
                "writes": stats.writes,
                "bytes_uploaded": stats.bytes_uploaded,
            },
        )


def _still_running(applier: Applier) -> list[RunningBuild]:
    return [
        RunningBuild(key=b.key, version_label=b.version_label, status=b.status)
        for b in applier.builds
        if not b.final
    ]


def _blueprint_names(client: DataRobotClient) -> dict[str, str]:
    """Names of the token's user blueprints, to word what blocks a deletion (one paged list)."""
    try:
        return {b.id: b.model_type for b in client.list_user_blueprints()}
    except CtaskSyncError:
        return {}  # the ids alone still say what to look at


def cleanup(
    options: SyncOptions, log: Log = print, *, yes: bool = True, notify: Log | None = None
) -> list[str]:
    """Delete every task options.namespace owns; returns the deleted keys.

    Needs no manifests: a closed pull request's preview namespace is torn down from its name."""
    if not options.namespace:
        raise ConfigError(
            "cleanup needs --namespace (or CTASK_SYNC_NAMESPACE)",
            hint="name the namespace to tear down explicitly, e.g. acme/tasks/pr-12",
        )
    root = find_root(Path(options.path)).folder
    deleted: list[str] = []
    failures: list[str] = []
    names: dict[str, str] | None = None  # blueprint id -> name, read at the first 409
    log(endpoint_line(options, root))
    log(f"Namespace: {options.namespace} (from --namespace or CTASK_SYNC_NAMESPACE)")
    with connect(options, root, log, notify) as (client, _endpoint):
        state = read_remote_state(client, options.namespace)
        scope = _in_scope(options)
        owned = [
            t
            for t in [*state.tasks.values(), *state.duplicates]
            if scope is None or scope(t.key)  # each job of a shard matrix tears down its own keys
        ]
        if not owned:
            log(f"namespace {options.namespace} owns no tasks")
        for task in sorted(owned, key=lambda t: t.key):
            if not yes:
                deleted.append(task.key)
                log(f"  - {task.key}  would delete task {task.task.id}")
                continue
            try:
                client.delete_custom_task(task.task.id)
            except CtaskSyncError as exc:
                if isinstance(exc, ApiError) and exc.status == 409:
                    names = names if names is not None else _blueprint_names(client)
                    exc = in_use_error(task.task.id, exc, names)
                failures.append(f"{task.key}: {exc}")
                log(f"  ! {task.key}: {exc}")
                continue
            deleted.append(task.key)
            log(f"  - {task.key}  deleted task {task.task.id}")
    if failures:
        raise CtaskSyncError(
            f"cleanup of {options.namespace}: {plural(len(failures), 'task')} not deleted:\n  "
            + "\n  ".join(failures)
        )
    return deleted
