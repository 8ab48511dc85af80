"""One run's session: settings and manifests validated, the namespace resolved, a client
connected (to DataRobot, or to the embedded emulator), the plan's context set.

Nothing here plans or writes; sync.py runs plan, apply, status and cleanup in a session."""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ctask_sync import git as gitinfo
from ctask_sync.datarobot.client import DataRobotClient
from ctask_sync.datarobot.concurrency import DEFAULT_CAP, DEFAULT_START, Concurrency
from ctask_sync.datarobot.endpoint import shown_url
from ctask_sync.datarobot.retry import RetryPolicy
from ctask_sync.engine.detect import resolve_environments
from ctask_sync.engine.remote import RemoteState
from ctask_sync.engine.results import RunningBuild, TaskResult
from ctask_sync.engine.scope import Scope
from ctask_sync.engine.shard import in_shard
from ctask_sync.engine.steps import PlanContext
from ctask_sync.errors import ConfigError, CtaskSyncError, ManifestError
from ctask_sync.git import GitInfo
from ctask_sync.manifest.discovery import discover
from ctask_sync.manifest.rootconfig import SyncRoot, find_root, resolve_namespace
from ctask_sync.manifest.spec import Discovery, TaskSpec
from ctask_sync.manifest.worktree import uncommitted_warnings
from ctask_sync.settings import Settings
from ctask_sync.words import plural

Log = Callable[[str], None]

EMBEDDED_STATE = ".ctask-sync"
EMBEDDED_TOKEN = "embedded-emulator"  # the embedded emulator accepts any token


@dataclass(frozen=True)
class Feedback:
    """Where long work reports itself while it runs (cli/ passes stderr writers; None: silent):
    notify gets retries and a silent endpoint, build_progress the build wait's state,
    interrupted what an apply stopped during the build wait had done and left running."""

    notify: Log | None = None
    build_progress: Log | None = None
    interrupted: Callable[[list[TaskResult], list[RunningBuild]], None] | None = None


@dataclass
class Session:
    """Everything one run learned before planning."""

    options: Settings
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


@dataclass(frozen=True)
class Validated:
    git: GitInfo
    root: SyncRoot
    discovery: Discovery
    uncommitted: dict[str, str] | None  # gitinfo.uncommitted_files of the repository


def validate(options: Settings, root: SyncRoot | None = None) -> Validated:
    """Every manifest of PATH's whole sync root (`root`, when already found), validated before
    any write."""
    path = Path(options.path)
    if not path.is_dir():
        raise ConfigError(f"{path}: no such folder", hint="pass the repository folder to sync")
    root = root or find_root(path)
    # `git status` stats every tracked file; it runs in its own process on the other core
    # while this one validates (a quarter of a second at 10,000 tasks).
    repo_root = gitinfo.repo_root(root.folder)
    status: list[dict[str, str] | None] = []
    discovery = discover(
        root.folder,
        repo_root=repo_root,
        stop_at_roots=True,
        alongside=lambda: status.append(gitinfo.uncommitted_files(repo_root)),
    )
    # empty when it raised in the background: then again here, where an error is seen
    uncommitted = status[0] if status else gitinfo.uncommitted_files(repo_root)
    # the record's "dirty": a tracked file differs from HEAD (untracked files do not count)
    dirty = None if uncommitted is None else "modified" in uncommitted.values()
    git = gitinfo.read(root.folder, dirty=dirty)
    if discovery.errors:
        lines = [f.format() for f in discovery.errors]
        raise ManifestError(
            f"{plural(len(discovery.errors), 'problem')} in manifests; "
            "nothing was written to DataRobot:\n" + "\n".join(lines),
            findings=list(discovery.findings),
        )
    return Validated(git, root, discovery, uncommitted)


def scope_of(options: Settings, root: SyncRoot, discovery: Discovery) -> Scope:
    """The root's keys, and the ones this run shows: under PATH and in this shard."""
    path = _enclosing_task(Path(options.path).resolve(), discovery)
    shard = in_scope(options)
    under = str(path).rstrip(os.sep) + os.sep  # a string prefix: Path.parents costs 10x more
    shown = [
        s.key
        for s in discovery.tasks
        if (path == s.folder or str(s.folder).startswith(under)) and (shard is None or shard(s.key))
    ]
    narrowed = path.relative_to(root.folder).as_posix() if path != root.folder else None
    return Scope(
        root=root.name,
        keys=frozenset(s.key for s in discovery.tasks),
        shown=frozenset(shown),
        folder=narrowed,
    )


def _enclosing_task(path: Path, discovery: Discovery) -> Path:
    """path, or the task folder that holds it: run from a task's sub-folder (lib/, say), a run
    is about that task, as git is about the repository from any folder in it. Without this it
    would find no task there and say so with exit 0, which scripts read as "in sync"."""
    inside = str(path) + os.sep
    for spec in discovery.tasks:
        if inside.startswith(str(spec.folder) + os.sep):
            return spec.folder
    return path


def _embedded_state(root: Path) -> Path:
    """The embedded emulator's state folder, made and kept out of git (`*` in its .gitignore)."""
    state = root / EMBEDDED_STATE
    (state / "emulator").mkdir(parents=True, exist_ok=True)
    ignore = state / ".gitignore"
    if not ignore.exists():
        ignore.write_text("*\n", "utf-8")
    return state / "emulator"


def _relative(path: Path) -> str:
    """path relative to the working directory when under it."""
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)


def endpoint_line(options: Settings, root: Path) -> str:
    """The first line of every run: where it syncs to."""
    if options.endpoint:
        return f"Endpoint: {shown_url(options.endpoint)}"
    state = _relative(root / EMBEDDED_STATE / "emulator")
    return (
        f"Endpoint: the embedded DataRobot emulator (state in {state}); "
        "set DATAROBOT_ENDPOINT and DATAROBOT_API_TOKEN to sync with DataRobot."
    )


@contextlib.contextmanager
def connect(
    options: Settings, root: Path, notify: Log | None = None
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
            # the endpoint every report and saved plan names: its credentials hidden
            yield client, shown_url(options.endpoint)
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


def concurrency_of(options: Settings) -> Concurrency:
    """The adaptive request limit's start and cap. By default it adapts from 8 to 32; an explicit
    --concurrency alone is a fixed limit (one at a time stays one at a time)."""
    start = max(1, options.concurrency or DEFAULT_START)
    fixed_or_default = options.concurrency if options.concurrency is not None else DEFAULT_CAP
    cap = max(1, options.max_concurrency or fixed_or_default)
    return Concurrency(start=min(start, cap), cap=cap)  # the cap wins: it is the safety bound


def in_scope(options: Settings) -> Callable[[str], bool] | None:
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


@dataclass(frozen=True)
class _Early:
    """A client connected, and the task list's pages on their way, before validation."""

    root: SyncRoot
    client: DataRobotClient
    endpoint: str


def _connect_early(
    options: Settings, notify: Log | None, stack: contextlib.ExitStack
) -> _Early | None:
    """Connect and start the one paged list of tasks now, to overlap validation (issue 17),
    when that cannot change what the run says or does: an endpoint and token set (the embedded
    emulator starts only for a valid root), the root and namespace found. Otherwise None, and
    whatever stood in the way is raised again later in its usual place, after the manifests'
    problems."""
    if not options.endpoint or not options.token or not Path(options.path).is_dir():
        return None
    try:
        root = find_root(Path(options.path))
        resolve_namespace(options.namespace, root, embedded=False)  # raised again later
        client, endpoint = stack.enter_context(connect(options, root.folder, notify))
    except CtaskSyncError:
        return None
    client.read_ahead_custom_tasks()
    return _Early(root=root, client=client, endpoint=endpoint)


@contextlib.contextmanager
def open_session(options: Settings, log: Log, feedback: Feedback) -> Iterator[Session]:
    with contextlib.ExitStack() as stack:
        early = _connect_early(options, feedback.notify, stack)
        validated = validate(options, early.root if early is not None else None)
        git, root, discovery = validated.git, validated.root, validated.discovery
        scope = scope_of(options, root, discovery)
        specs = [s for s in discovery.tasks if s.key in scope.shown]
        namespace, source = resolve_namespace(
            options.namespace, root, embedded=not options.endpoint
        )
        log(endpoint_line(options, root.folder))
        log(f"Namespace: {namespace} (from {source}); root: {root.name}")
        for warning in uncommitted_warnings(validated.uncommitted, specs):
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
            root_dir=str(root.folder),
        )
        if early is not None:
            client, endpoint = early.client, early.endpoint
        else:
            client, endpoint = stack.enter_context(connect(options, root.folder, feedback.notify))
        # an endpoint that does not answer is otherwise silent until the read timeout
        with after_silence(2.0, f"Connecting to {shown_url(client.endpoint)} …", feedback.notify):
            environments = client.list_execution_environments() if specs else []
        yield Session(
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


@contextlib.contextmanager
def after_silence(seconds: float, message: str, notify: Log | None) -> Iterator[None]:
    """Say message once when the block has run `seconds` without finishing (an endpoint that
    does not answer); nothing when it finishes sooner."""
    if notify is None:
        yield
        return
    timer = threading.Timer(seconds, notify, args=(message,))
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
