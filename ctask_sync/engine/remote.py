"""Remote bookkeeping: who owns a task (the ownership marker, the last line of its
description) and the remote state, one paged list of every task filtered to the tasks that a
namespace owns. What a version holds is the sync record (`syncrecord.py`).

Custom tasks have no labels or user-settable ids, so the marker lives in free text: versioned
and found by a delimited pattern, so text a user adds around it is tolerated. Anyone can edit a
task's description, so ownership is read from the latest version's record first: a task whose
marker was edited away is still recognised, and gets its marker back."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import quote, unquote

from ctask_sync.datarobot.client import DataRobotClient
from ctask_sync.datarobot.models import CustomTask, CustomTaskVersion
from ctask_sync.engine.model import RemoteCustomTask, RemoteItem, RemoteVersion
from ctask_sync.engine.syncrecord import Owner, SyncRecord, decode_record, latest_record

_MARKER_START = "[ctask-sync:v1 namespace="
_MARKER_RE = re.compile("^" + re.escape(_MARKER_START) + r"(\S+) key=(\S+)\]\s*$", re.MULTILINE)
_BLANK_RUN_RE = re.compile(r"\n{3,}")


def marker(owner: Owner) -> str:
    """The last line of an owned task's description."""
    namespace, key = quote(owner.namespace, safe="/"), quote(owner.key, safe="/")
    return f"[ctask-sync:v1 namespace={namespace} key={key}]"


def with_marker(description: str, owner: Owner) -> str:
    """The task description to send: the user's text, then the marker on its own last line."""
    text = user_description(description)
    return f"{text}\n\n{marker(owner)}" if text else marker(owner)


def read_marker(description: str) -> Owner | None:
    """The owner named by the last marker in description, if any."""
    last = _last_marker(description or "")
    if last is None:
        return None
    namespace, key = last.group(1), last.group(2)
    # unquote only what was quoted: most namespaces and keys need none
    return Owner(
        namespace=unquote(namespace) if "%" in namespace else namespace,
        key=unquote(key) if "%" in key else key,
    )


def _last_marker(description: str) -> re.Match[str] | None:
    """The last match of _MARKER_RE. A match starts a line with _MARKER_START and ends on that
    line (or in the blank lines after it), so only the last line so starting can hold it; the
    pattern runs over the whole text only when that line does not match."""
    start = description.rfind("\n" + _MARKER_START) + 1
    if not start and not description.startswith(_MARKER_START):
        return None  # no line starts a marker
    match = _MARKER_RE.match(description, start)
    if match is not None:
        return match
    matches = list(_MARKER_RE.finditer(description))
    return matches[-1] if matches else None


def user_description(description: str) -> str:
    """The description without our marker lines, blank runs collapsed: what the manifest's
    description is compared to (the same normalisation applies to both sides)."""
    text = description or ""
    # Each substitution only where it can match: twice per task and plan, 10,000 at a time.
    if _MARKER_START in text:
        text = _MARKER_RE.sub("", text)
    if "\n\n\n" in text:
        text = _BLANK_RUN_RE.sub("\n\n", text)
    return text.strip()


def owner_of(task: RemoteCustomTask, record: SyncRecord | None) -> Owner | None:
    """Who owns task: the latest version's record when it names an owner (version
    descriptions are not edited in the UI, and survive edits of the task's), else the marker."""
    if record is not None and record.owner is not None:
        return record.owner
    return read_marker(task.description)


@dataclass(frozen=True)
class RemoteTask:
    """One owned custom task as DataRobot reports it."""

    task: RemoteCustomTask
    key: str
    record: SyncRecord | None  # of the latest version
    marker_ok: bool = True  # False: the description's marker was edited away (or never written)
    adopting: bool = False  # named by a manifest's `adopt:`; not ours until apply marks it

    @property
    def latest(self) -> RemoteVersion | None:
        return self.task.latest_version

    @property
    def root(self) -> str | None:
        """The sync root that last synced it; None when no record says (older records)."""
        return self.record.root if self.record is not None else None


def remote_version(version: CustomTaskVersion) -> RemoteVersion:
    return RemoteVersion(
        id=version.id,
        label=version.label,
        is_frozen=version.is_frozen,
        description=version.description,
        base_environment_id=version.base_environment_id,
        maximum_memory=version.maximum_memory,
        outbound_network_policy=version.outbound_network_policy,
        required_metadata=dict(version.required_metadata),
        dependencies=version.dependencies,
        items=tuple(RemoteItem(id=i.id, file_path=i.file_path) for i in version.items),
    )


def remote_custom_task(task: CustomTask) -> RemoteCustomTask:
    """The client's model of a task in the engine's own values."""
    latest = task.latest_version
    return RemoteCustomTask(
        id=task.id,
        name=task.name,
        target_type=task.target_type,
        language=task.language,
        description=task.description,
        created=task.created,
        latest_version=remote_version(latest) if latest is not None else None,
        created_by=task.created_by,
    )


@dataclass
class RemoteState:
    namespace: str
    tasks: dict[str, RemoteTask] = field(default_factory=dict)  # key -> the kept task
    duplicates: list[RemoteTask] = field(default_factory=list)  # same key, created by a race
    foreign: list[RemoteCustomTask] = field(default_factory=list)  # tasks this namespace lacks
    # tasks of this namespace that another sync root synced (two roots sharing a namespace)
    other_roots: list[RemoteTask] = field(default_factory=list)

    @property
    def foreign_names(self) -> set[str]:
        return {t.name for t in self.foreign}


def to_remote_task(task: RemoteCustomTask, owner: Owner, record: SyncRecord | None) -> RemoteTask:
    """task as owned by owner; marker_ok says whether its description still says so."""
    return RemoteTask(
        task=task,
        key=owner.key,
        record=record,
        marker_ok=read_marker(task.description) == owner,
    )


def _listed(
    task: CustomTask,
) -> tuple[RemoteCustomTask, SyncRecord | None, Owner | None, Owner | None]:
    """A listed task in the engine's values, its latest record, its owner (`owner_of`) and the
    owner its marker names: worked out once per task, in the thread that read its page (at
    10,000 tasks this is a visible share of a plan, done while later pages are on their way)."""
    remote = remote_custom_task(task)
    record = latest_record(remote)
    marked = read_marker(remote.description)
    owner = record.owner if record is not None else None
    return remote, record, owner if owner is not None else marked, marked


def _recorded_owner(client: DataRobotClient, task: RemoteCustomTask) -> Owner | None:
    """The owner named by the newest version of task that carries a record. Asked only of a
    marked task whose latest version carries none (a version made by hand): its marker alone
    is editable text, and a marker pasted from another task must not move the task to that
    task's owner, who would sync it as a duplicate of their own and delete one of the two."""
    versions = client.list_versions(task.id)
    for version in sorted(versions, key=lambda v: (v.version_major, v.version_minor), reverse=True):
        record = decode_record(version.description)
        if record is not None and record.owner is not None:
            return record.owner
    return None


def read_remote_state(
    client: DataRobotClient, namespace: str, root: str | None = None
) -> RemoteState:
    """One paged list of every custom task, filtered to those that namespace owns (by the
    latest version's record, else by the marker).

    With root, tasks whose record names another sync root go to other_roots: a root never
    changes or deletes another root's tasks. When a race made two tasks for one key, the oldest
    is kept (deterministically: created time, then id) and the others are listed as
    duplicates."""
    state = RemoteState(namespace=namespace)
    owned: dict[str, list[RemoteTask]] = {}
    for task, record, owner, marked in client.map_custom_tasks(_listed):
        if record is None and marked is not None and task.latest_version is not None:
            owner = _recorded_owner(client, task) or marked
        if owner is None or owner.namespace != namespace:
            state.foreign.append(task)
            continue
        remote = RemoteTask(task=task, key=owner.key, record=record, marker_ok=marked == owner)
        owned.setdefault(owner.key, []).append(remote)
    for key, tasks in owned.items():
        mine: list[RemoteTask] = []
        for remote in tasks:
            elsewhere = root is not None and remote.root is not None and remote.root != root
            (state.other_roots if elsewhere else mine).append(remote)
        if not mine:
            continue
        mine.sort(key=lambda t: (t.task.created, t.task.id))
        state.tasks[key] = mine[0]
        state.duplicates.extend(mine[1:])
    return state
