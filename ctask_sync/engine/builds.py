"""Wait for many dependency builds together, with backoff and one deadline for all of them."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from msgspec.structs import replace

from ctask_sync.datarobot.buildlog import build_log_tail
from ctask_sync.datarobot.client import DataRobotClient
from ctask_sync.datarobot.models import DependencyBuild
from ctask_sync.engine.syncrecord import SyncRecord, encode_record
from ctask_sync.errors import ApiError, CtaskSyncError
from ctask_sync.words import plural

Log = Callable[[str], None]


@dataclass
class BuildWatch:
    key: str
    task_id: str
    version_id: str
    version_label: str = ""
    status: str = "submitted"  # DataRobot's buildStatus, or "timeout" at the deadline
    log_tail: str | None = None
    record: SyncRecord | None = None  # the version's sync record, to write the outcome into

    @property
    def final(self) -> bool:
        return self.status in ("success", "failed")


def _sleep(seconds: float) -> None:
    time.sleep(seconds)


def wait_for_builds(
    client: DataRobotClient,
    builds: list[BuildWatch],
    *,
    timeout: float,
    log: Log,
    concurrency: int,  # Settings.concurrency: the one default
    first_delay: float = 0.5,
    growth: float = 1.25,
    max_delay: float = 10.0,
    progress_every: float = 10.0,
    progress: Callable[[str], None] | None = None,
) -> None:
    """Poll every unfinished build until all are terminal or the deadline passes.

    Each round polls all pending builds at once (a round costs one request's latency, not one
    per build), then waits a little longer than the round before. Statuses are updated in place;
    builds still running at the deadline get status "timeout". A failed build's log tail is
    fetched so the user sees why without opening DataRobot. progress, when given, is told the
    state after every round (it decides how often to show it) instead of the log every
    progress_every seconds."""
    pending = [b for b in builds if b.status not in ("success", "failed")]
    if not pending:
        return
    start = time.monotonic()
    deadline = start + timeout
    delay = first_delay
    last_progress = start
    log(f"waiting for {plural(len(pending), 'dependency build')} (deadline {timeout:.0f}s)")
    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        while pending:
            polled = list(pool.map(lambda w: _poll(client, w), pending))
            for watch, build in zip(list(pending), polled, strict=True):
                if build is None:
                    continue
                watch.status = build.build_status
                if build.is_terminal:
                    pending.remove(watch)
                    log(f"  {watch.key}: dependency build {watch.status}")
                    if watch.status == "failed":
                        watch.log_tail = _log_tail(client, watch)
            now = time.monotonic()
            if progress is not None:
                progress(progress_line(builds, now - start))
            if not pending:
                return
            if now >= deadline:
                for watch in pending:
                    watch.status = "timeout"
                log(f"  deadline reached: {plural(len(pending), 'build')} still running")
                return
            if progress is None and now - last_progress >= progress_every:
                done = len(builds) - len(pending)
                waited = now - start
                log(f"  {done}/{len(builds)} builds done, {len(pending)} running ({waited:.0f}s)")
                last_progress = now
            _sleep(min(delay, max(deadline - now, 0.0)))
            delay = min(delay * growth, max_delay)


def progress_line(builds: list[BuildWatch], waited: float) -> str:
    """`Waiting for 3 dependency builds: 1 succeeded, 2 running (40 s)`."""
    counts = {"succeeded": 0, "failed": 0, "running": 0}
    for watch in builds:
        if watch.status == "success":
            counts["succeeded"] += 1
        elif watch.status == "failed":
            counts["failed"] += 1
        else:
            counts["running"] += 1
    parts = ", ".join(f"{n} {what}" for what, n in counts.items() if n)
    return f"Waiting for {plural(len(builds), 'dependency build')}: {parts} ({waited:.0f} s)"


def _poll(client: DataRobotClient, watch: BuildWatch) -> DependencyBuild | None:
    return client.get_dependency_build(watch.task_id, watch.version_id)


def _log_tail(client: DataRobotClient, watch: BuildWatch) -> str | None:
    try:
        return build_log_tail(client.get_dependency_build_log(watch.task_id, watch.version_id))
    except ApiError as exc:
        return f"(build log unavailable: {exc.api_message})"


def record_outcomes(
    client: DataRobotClient, builds: list[BuildWatch], log: Log, *, concurrency: int = 8
) -> None:
    """Write each final outcome into its version's sync record (one PATCH per build, all at
    once), so a later run knows it without asking DataRobot. A failure here loses nothing:
    the next run reads the build's status instead, so it is logged, not raised."""

    def one(watch: BuildWatch) -> None:
        if not watch.final or watch.record is None:
            return
        record = replace(watch.record, build=True, build_outcome=watch.status)
        try:
            client.update_version(
                watch.task_id, watch.version_id, description=encode_record(record)
            )
        except CtaskSyncError as exc:
            log(f"  {watch.key}: build outcome not recorded ({exc}); the next run reads it")
            return
        watch.record = record

    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        list(pool.map(one, builds))
