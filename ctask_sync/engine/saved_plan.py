"""Saved plans: `plan --out FILE` and `apply --plan FILE` (Terraform's `-out` and `apply PLAN`).

The file holds the plan as its JSON report shows it, the options it was made with, and the state
it was computed from: per task, a fingerprint of what DataRobot held (task id, latest version id,
a digest of the task and its latest version as listed, the build state) and of the repository
(the files' content digest and a digest of the manifest's settings), plus the commit. apply
recomputes the plan and refuses, before any write, unless every fingerprint and the plan itself
are the same; since the plan is a pure function of those inputs, the plan applied is the plan
saved."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import msgspec

from ctask_sync import __version__
from ctask_sync.engine.steps import Plan, TaskPlan
from ctask_sync.errors import ConfigError, CtaskSyncError

FORMAT = "ctask-sync-plan"
FORMAT_VERSION = 1


@dataclass(frozen=True)
class SavedOptions:
    """The options a plan was made with; apply --plan uses these, not its own flags."""

    targets: tuple[str, ...] = ()
    allow_delete: bool = False
    allow_rollback: bool = False
    major: bool = False
    tag: str | None = None


@dataclass(frozen=True)
class SavedPlan:
    path: str  # as the user named it, for messages
    endpoint: str
    namespace: str
    commit: str | None
    options: SavedOptions
    remote: dict[str, dict[str, Any]]  # key -> fingerprint of DataRobot's side
    local: dict[str, dict[str, Any]]  # key -> fingerprint of the repository's side
    report: dict[str, Any]  # the plan's JSON report


def _digest(data: object) -> str:
    raw = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str).encode()
    return f"sha256:{hashlib.sha256(raw).hexdigest()}"


def remote_fingerprint(task: TaskPlan) -> dict[str, Any] | None:
    """What DataRobot held for the task when planned; None when it held nothing."""
    if task.remote is None:
        return None
    latest = task.remote.latest
    record = task.remote.record
    return {
        "task_id": task.remote.task.id,
        "latest_version_id": latest.id if latest else None,
        "latest_version_label": latest.label if latest else None,
        "record_content": record.content if record else None,
        # the task as listed, latest version (its items and record) included: any edit shows
        "digest": _digest(msgspec.to_builtins(task.remote.task)),
        "build": task.build,
    }


def local_fingerprint(task: TaskPlan) -> dict[str, Any] | None:
    """What the repository held for the task when planned; None when its manifest is gone."""
    spec = task.spec
    if spec is None:
        return None
    settings = msgspec.structs.asdict(spec)
    for unshown in ("files", "folder", "manifest_path"):
        settings.pop(unshown)
    # its parts as dicts too, nested as dataclasses.asdict gave them
    settings["environment"] = asdict(spec.environment)
    if spec.share is not None:
        settings["share"] = [msgspec.structs.asdict(entry) for entry in spec.share]
    return {"content": spec.content, "manifest": _digest(settings)}


def to_json(
    plan: Plan, report: dict[str, Any], endpoint: str, options: SavedOptions
) -> dict[str, Any]:
    """The saved plan file's contents."""
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "tool_version": __version__,
        "endpoint": endpoint,
        "namespace": plan.context.namespace,
        "commit": plan.context.commit,
        "options": asdict(options) | {"targets": list(options.targets)},
        "remote": {t.key: remote_fingerprint(t) for t in plan.tasks},
        "local": {t.key: local_fingerprint(t) for t in plan.tasks},
        "plan": report,
    }


def load(path: str) -> SavedPlan:
    """Read a saved plan, refusing one from another format or ctask-sync version."""
    try:
        data = json.loads(Path(path).read_text("utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read the saved plan {path}: {exc.strerror}") from exc
    except ValueError as exc:
        raise ConfigError(
            f"{path} is not a saved plan (not JSON: {exc})",
            hint="make one with `ctask-sync plan --out FILE`",
        ) from exc
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ConfigError(
            f"{path} is not a saved ctask-sync plan",
            hint="make one with `ctask-sync plan --out FILE`",
        )
    made_by = (data.get("format_version"), data.get("tool_version"))
    if made_by != (FORMAT_VERSION, __version__):
        raise ConfigError(
            f"{path} was saved by ctask-sync {data.get('tool_version')} (plan format "
            f"{data.get('format_version')}); this is ctask-sync {__version__} (format "
            f"{FORMAT_VERSION})",
            hint="run `ctask-sync plan --out FILE` again with this version",
        )
    try:
        opts = data["options"]
        return SavedPlan(
            path=path,
            endpoint=str(data["endpoint"]),
            namespace=str(data["namespace"]),
            commit=data.get("commit"),
            options=SavedOptions(
                targets=tuple(str(t) for t in opts.get("targets") or ()),
                allow_delete=bool(opts.get("allow_delete")),
                allow_rollback=bool(opts.get("allow_rollback")),
                major=bool(opts.get("major")),
                tag=opts.get("tag"),
            ),
            remote=dict(data["remote"]),
            local=dict(data["local"]),
            report=dict(data["plan"]),
        )
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise ConfigError(f"{path}: a damaged saved plan ({exc})") from exc


def check_target(saved: SavedPlan, endpoint: str, namespace: str) -> None:
    """Refuse a plan saved for another endpoint or namespace (before reading DataRobot)."""
    for what, planned, now in (
        ("endpoint", saved.endpoint, endpoint),
        ("namespace", saved.namespace, namespace),
    ):
        if planned != now:
            raise ConfigError(
                f"{saved.path} was planned for {what} {planned}, but this run's {what} is {now}; "
                "nothing was written",
                hint=f"apply it with the {what} it was planned for, or plan again",
            )


def _what_changed(saved: SavedPlan, plan: Plan) -> list[str]:
    changes: list[str] = []
    if saved.commit != plan.context.commit:
        changes.append(f"the repository's commit was {saved.commit}, now {plan.context.commit}")
    now = {t.key: t for t in plan.tasks}
    for key in sorted(set(saved.remote) | set(now)):
        task = now.get(key)
        if task is None:
            changes.append(f"{key}: no longer in the plan")
            continue
        if key not in saved.remote:
            changes.append(f"{key}: not in the saved plan (new in the repository or DataRobot)")
            continue
        if saved.remote[key] != remote_fingerprint(task):
            changes.append(f"{key}: changed in DataRobot{_remote_detail(saved.remote[key], task)}")
        if saved.local.get(key) != local_fingerprint(task):
            changes.append(f"{key}: changed in the repository (manifest or files)")
    return changes


def _remote_detail(before: dict[str, Any] | None, task: TaskPlan) -> str:
    after = remote_fingerprint(task)
    if before is None or after is None:
        return " (created)" if after else " (deleted)"
    if before["task_id"] != after["task_id"]:
        return f" (task {before['task_id']} is now {after['task_id']})"
    if before["latest_version_id"] != after["latest_version_id"]:
        return (
            f" (latest version {before['latest_version_label']} is now "
            f"{after['latest_version_label']})"
        )
    if before["build"] != after["build"]:
        return f" (dependency build {before['build']} is now {after['build']})"
    return " (the task or its latest version was edited)"


def check_unchanged(saved: SavedPlan, plan: Plan) -> None:
    """Refuse, before any write, unless what the plan was computed from is what it was saved
    from (the caller, which renders the report, then compares it: `check_report`)."""
    changes = _what_changed(saved, plan)
    if changes:
        raise _stale(saved, changes)


def check_report(saved: SavedPlan, report: dict[str, Any]) -> None:
    """Refuse, before any write, unless the plan's report now is the saved one."""
    # compared as the file holds it (JSON has no tuples)
    if json.loads(json.dumps(report, default=str)) != saved.report:
        raise _stale(saved, ["the plan computed now differs from the saved one"])


def _stale(saved: SavedPlan, changes: list[str]) -> CtaskSyncError:
    return CtaskSyncError(
        f"the saved plan {saved.path} is stale; nothing was written. Changed since it was "
        "made:\n  " + "\n  ".join(changes),
        hint="run `ctask-sync plan --out FILE` again, review it, and apply that",
    )
