"""The engine's front door: one call each for plan, apply, status and cleanup.

cli/ and github/ call only these. The data path runs one way (DESIGN.md): discover and
validate every manifest (no network before all are valid; session.py) -> one paged list of
DataRobot's tasks -> change detection -> a pure plan -> apply -> typed outcomes (outcomes.py),
which report/ renders. The JSON shapes of the reports are documented in report/reports.py."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

from ctask_sync.datarobot.client import DataRobotClient
from ctask_sync.datarobot.models import ExecutionEnvironment
from ctask_sync.engine import adopt as adoption
from ctask_sync.engine import late, plan_consumers
from ctask_sync.engine import scope as scoping
from ctask_sync.engine.consumers import read_consumers, read_grants
from ctask_sync.engine.detect import (
    build_needs_request,
    build_state,
    file_diff,
    recorded_build,
    recorded_diff,
)
from ctask_sync.engine.model import Detected, FileDiff
from ctask_sync.engine.outcomes import ApplyOutcome, PlanOutcome
from ctask_sync.engine.plan import build_plan, plan_task
from ctask_sync.engine.remote import RemoteState, read_remote_state
from ctask_sync.engine.results import RunningBuild, TaskResult
from ctask_sync.engine.session import (
    Feedback,
    Log,
    Session,
    connect,
    endpoint_line,
    in_scope,
    open_session,
)
from ctask_sync.engine.steps import Plan, TaskPlan
from ctask_sync.engine.targets import check_targets
from ctask_sync.errors import ApiError, ConfigError, CtaskSyncError
from ctask_sync.manifest.rootconfig import find_root
from ctask_sync.manifest.spec import TaskSpec
from ctask_sync.settings import Settings
from ctask_sync.words import plural

if TYPE_CHECKING:  # imported where apply runs: plan, status and cleanup do without them
    from ctask_sync.engine.apply import Applier
    from ctask_sync.engine.saved_plan import SavedPlan

__all__ = ["Feedback", "apply", "cleanup", "environments", "plan"]


def _detect(session: Session, remote: RemoteState, specs: list[TaskSpec]) -> Detected:
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

    def one(spec: TaskSpec, diff: FileDiff | None = None) -> None:
        current = remote.tasks.get(spec.key)
        if diff is None:
            diff = file_diff(spec, current, session.client, session.git)
        found.diffs[spec.key] = diff
        build = build_state(spec, current, session.client)
        if build is not None:
            found.builds[spec.key] = build
        if spec.share is not None and current is not None:
            found.access[spec.key] = read_grants(session.client, current.task.id)

    # Most tasks of a run are answered by their sync record alone; a thread-pool task each
    # would cost more than the answer (10,000 of them: about a second), so they are answered
    # here and only the tasks that ask git or DataRobot go to the pool.
    asking: list[TaskSpec] = []
    for spec in specs:
        held = remote.tasks.get(spec.key)
        diff = recorded_diff(spec, held)
        if (
            diff is None
            or (spec.share is not None and held is not None)
            or build_needs_request(spec, held)
        ):
            asking.append(spec)
            continue
        # one(spec, diff) without asking again what was just asked: no request, no grants
        found.diffs[spec.key] = diff
        build = recorded_build(spec, held)
        if build is not None:
            found.builds[spec.key] = build
    if asking:
        # As many threads as the request limit may grow to; the limit gates the requests.
        with ThreadPoolExecutor(max_workers=session.client.limit.setting.cap) as pool:
            list(pool.map(one, asking))
    return found


def _remote(session: Session) -> tuple[RemoteState, dict[str, str]]:
    """What DataRobot holds for this run (one paged list), adoptions made, narrowed to the
    run's scope; and the keys refused before any diff (bad `adopt:`, another root's key)."""
    full = read_remote_state(session.client, session.namespace, session.scope.root)
    refusals = adoption.adopt(session.specs, full)
    refusals.update(scoping.other_root_refusals(full, session.scope))
    return scoping.narrow(full, session.scope), refusals


def _plan(session: Session) -> Plan:
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
        in_scope=in_scope(session.options),
        environment_names=session.environment_names,
    )
    the_plan = _with_consumers(session, the_plan)
    the_plan = plan_consumers.with_sharing(the_plan, found.access)
    warnings = (*found.warnings, *scoping.other_root_warnings(remote, session.scope.root))
    the_plan = Plan(context=the_plan.context, tasks=the_plan.tasks, warnings=warnings)
    return adoption.warn_namesakes(the_plan, adoption.namesakes(the_plan, remote))


def _with_consumers(session: Session, the_plan: Plan) -> Plan:
    """Read the user blueprints (one paged list, at most) only when the plan or a flag needs
    them: see engine/consumers.py for the cost."""
    wanted = plan_consumers.consumers_wanted(the_plan, asked=session.options.consumers)
    if wanted:
        consumers = read_consumers(session.client, wanted)
        the_plan = plan_consumers.with_consumers(the_plan, consumers, wanted)
    return plan_consumers.preview_warnings(the_plan)


def _replan(session: Session, key: str) -> TaskPlan:
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


def environments(options: Settings, log: Log = print) -> list[ExecutionEnvironment]:
    """The execution environments the token's user can see, from the endpoint `plan` uses."""
    root = find_root(Path(options.path)).folder
    log(endpoint_line(options, root))
    with connect(options, root) as (client, _endpoint):
        return client.list_execution_environments()


def plan(options: Settings, log: Log = print, *, feedback: Feedback | None = None) -> PlanOutcome:
    """Validate, read remote state, compute the plan. Raises ManifestError with findings."""
    with open_session(options, log, feedback or Feedback()) as session:
        return PlanOutcome(_plan(session), session.root, session.endpoint)


def _with_saved_options(options: Settings, saved: SavedPlan | None) -> Settings:
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
    options: Settings,
    log: Log = print,
    *,
    show_plan: Callable[[PlanOutcome], bool] | None = None,
    saved: SavedPlan | None = None,
    feedback: Feedback | None = None,
) -> ApplyOutcome:
    """Plan and apply; waits on dependency builds unless options.wait is False.

    show_plan shows the plan (report/ renders it) and says whether to go on (a confirmation);
    False ends the run before any write; None goes on without showing it. With saved (apply
    --plan), the plan is applied only when its target and every fingerprint are the saved
    ones, with the options it was made with (show_plan compares the saved report: cli/)."""
    # only apply writes: its machinery (builds, records, uploads) is loaded here (start-up)
    from ctask_sync.engine.apply import Applier, RunInfo, result_of
    from ctask_sync.engine.saved_plan import check_target, check_unchanged

    options = _with_saved_options(options, saved)
    feedback = feedback or Feedback()
    with open_session(options, log, feedback) as session:
        if saved is not None:
            check_target(saved, session.endpoint, session.namespace)
        the_plan = _plan(session)
        namesakes = adoption.namesakes(the_plan, session.remote or RemoteState(session.namespace))
        if namesakes and not options.allow_duplicate_name:
            the_plan = adoption.refuse_namesakes(the_plan, namesakes)
        if saved is not None:
            check_unchanged(saved, the_plan)
        shown = PlanOutcome(the_plan, session.root, session.endpoint)
        if show_plan is not None and not show_plan(shown):
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
                if feedback.interrupted is not None:
                    feedback.interrupted(results, _still_running(applier))
                raise
        stats = session.client.stats
        return ApplyOutcome(
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
    options: Settings, log: Log = print, *, yes: bool = True, notify: Log | None = None
) -> list[str]:
    """Delete every task options.namespace owns; returns the deleted keys.

    Needs no manifests: a closed pull request's preview namespace is torn down from its name."""
    # cleanup's own (it words a 409: the blueprints using a task); plan never loads it
    from ctask_sync.engine.apply_consumers import in_use_error

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
    with connect(options, root, notify) as (client, _endpoint):
        state = read_remote_state(client, options.namespace)
        scope = in_scope(options)
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
