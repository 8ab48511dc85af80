"""Remote bookkeeping: who owns a task (the ownership marker in its description) and what a
version holds (the sync record in the version's description); reading the remote state.

Custom tasks have no labels or user-settable ids, so both live in free text. Both formats are
versioned and found by a delimited pattern, so text a user adds around them is tolerated.
Anyone can edit a task's description, so the record also names the owner (namespace, key,
root): a task whose marker was edited away is still recognised, and gets its marker back."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, unquote

from ctask_sync.datarobot.client import DataRobotClient
from ctask_sync.datarobot.models import CustomTask, CustomTaskVersion
from ctask_sync.engine.model import RemoteCustomTask, RemoteItem, RemoteVersion

VERSION_DESCRIPTION_LIMIT = 10_000  # DataRobot's limit on a version description
_MARKER_RE = re.compile(r"^\[ctask-sync:v1 namespace=(\S+) key=(\S+)\]\s*$", re.MULTILINE)
_RECORD_START = "--- ctask-sync record v1 (written by ctask-sync; do not edit) ---"
_RECORD_END = "--- end of ctask-sync record ---"
_RECORD_RE = re.compile(
    re.escape(_RECORD_START) + r"\s*\n(.*?)\n\s*" + re.escape(_RECORD_END), re.DOTALL
)
# Per-file digests are shortened in the record so more files fit; 96 bits is ample to see change.
FILE_DIGEST_CHARS = 24


@dataclass(frozen=True)
class Owner:
    namespace: str
    key: str


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
    matches = list(_MARKER_RE.finditer(description or ""))
    if not matches:
        return None
    last = matches[-1]
    return Owner(namespace=unquote(last.group(1)), key=unquote(last.group(2)))


def user_description(description: str) -> str:
    """The description without our marker lines, blank runs collapsed: what the manifest's
    description is compared to (the same normalisation applies to both sides)."""
    return re.sub(r"\n{3,}", "\n\n", _MARKER_RE.sub("", description or "")).strip()


@dataclass(frozen=True)
class SyncRecord:
    """What ctask-sync wrote into a version's description."""

    tool: str
    commit: str | None
    ref: str | None
    commit_time: int | None
    tag: str | None
    content: str  # digest over the sorted (path, content digest) pairs
    settings: str  # digest over the version-level settings
    files: dict[str, str] | None  # path -> shortened content digest, when they fit
    build: bool = False  # a dependency build was started for this version
    # the build's final outcome (success | failed), written once the wait ends; None while
    # unknown, when the next run reads the build's status (one GET) instead
    build_outcome: str | None = None
    dirty: bool = False  # synced from a working tree with uncommitted changes
    parents: tuple[str, ...] = ()  # the commit's parents: orders commits of the same second
    # who synced it (None in records written before ownership was recorded)
    namespace: str | None = None
    key: str | None = None
    root: str | None = None  # the sync root, relative to the git top level ("." for the top)
    folder: str | None = None  # the task folder, relative to the root

    @property
    def owner(self) -> Owner | None:
        if self.namespace is None or self.key is None:
            return None
        return Owner(namespace=self.namespace, key=self.key)

    shared: tuple[str, ...] = ()  # usernames a sync added to the access list (`share:`)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "tool": self.tool,
            "commit": self.commit,
            "ref": self.ref,
            "time": self.commit_time,
            "tag": self.tag,
            "content": self.content,
            "settings": self.settings,
            "build": self.build,
            "dirty": self.dirty,
            "parents": list(self.parents),
        }
        if self.shared:
            data["shared"] = list(self.shared)
        if self.files is not None:
            data["files"] = self.files
        for name in ("namespace", "key", "root", "folder"):
            if getattr(self, name) is not None:
                data[name] = getattr(self, name)
        if self.build_outcome is not None:
            data["build_outcome"] = self.build_outcome
        return data


def short_digest(digest: str) -> str:
    return digest.split(":", 1)[-1][:FILE_DIGEST_CHARS]


def encode_record(record: SyncRecord, *, prefix: str = "") -> str:
    """The version description holding record; per-file digests are dropped when they would not
    fit DataRobot's 10,000-character limit (the content digest alone still proves equality)."""

    def render(data: dict[str, Any]) -> str:
        body = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        head = f"{prefix.strip()}\n\n" if prefix.strip() else ""
        return f"{head}{_RECORD_START}\n{body}\n{_RECORD_END}"

    text = render(record.to_json())
    if len(text) > VERSION_DESCRIPTION_LIMIT:
        data = record.to_json()
        data.pop("files", None)
        text = render(data)
    return text


def decode_record(description: str | None) -> SyncRecord | None:
    """The record in a version description, or None when there is none or it is damaged."""
    match = _RECORD_RE.search(description or "")
    if not match:
        return None
    try:
        data = json.loads(match.group(1))
        files = data.get("files")
        if files is not None and not (
            isinstance(files, dict) and all(isinstance(v, str) for v in files.values())
        ):
            return None
        return SyncRecord(
            tool=str(data["tool"]),
            commit=data.get("commit"),
            ref=data.get("ref"),
            commit_time=data.get("time"),
            tag=data.get("tag"),
            content=str(data["content"]),
            settings=str(data["settings"]),
            files=files,
            build=bool(data.get("build", False)),
            build_outcome=_outcome(data.get("build_outcome")),
            dirty=bool(data.get("dirty", False)),
            parents=tuple(str(p) for p in data.get("parents") or ()),
            namespace=_optional_text(data, "namespace"),
            key=_optional_text(data, "key"),
            root=_optional_text(data, "root"),
            folder=_optional_text(data, "folder"),
            shared=tuple(str(u) for u in data.get("shared") or ()),
        )
    except (ValueError, KeyError, TypeError):
        return None


def _optional_text(data: dict[str, Any], name: str) -> str | None:
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError(f"{name} is not text")
    return value


def latest_record(task: RemoteCustomTask) -> SyncRecord | None:
    latest = task.latest_version
    return decode_record(latest.description) if latest else None


def owner_of(task: RemoteCustomTask, record: SyncRecord | None) -> Owner | None:
    """Who owns task: the latest version's record when it names an owner (version
    descriptions are not edited in the UI, and survive edits of the task's), else the marker."""
    if record is not None and record.owner is not None:
        return record.owner
    return read_marker(task.description)


def _outcome(value: object) -> str | None:
    return str(value) if value in ("success", "failed") else None


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
    # each record decoded once: at 10,000 tasks a second decoding costs a visible share
    owned: dict[str, list[tuple[RemoteCustomTask, SyncRecord | None]]] = {}
    for task in map(remote_custom_task, client.list_custom_tasks()):
        record = latest_record(task)
        owner = owner_of(task, record)
        if owner is None or owner.namespace != namespace:
            state.foreign.append(task)
            continue
        owned.setdefault(owner.key, []).append((task, record))
    for key, tasks in owned.items():
        mine: list[RemoteTask] = []
        for remote in (to_remote_task(t, Owner(namespace, key), r) for t, r in tasks):
            elsewhere = root is not None and remote.root is not None and remote.root != root
            (state.other_roots if elsewhere else mine).append(remote)
        if not mine:
            continue
        mine.sort(key=lambda t: (t.task.created, t.task.id))
        state.tasks[key] = mine[0]
        state.duplicates.extend(mine[1:])
    return state
