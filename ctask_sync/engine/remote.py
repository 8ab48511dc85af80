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

import msgspec

from ctask_sync.datarobot.client import DataRobotClient
from ctask_sync.datarobot.models import CustomTask, CustomTaskVersion
from ctask_sync.engine.model import RemoteCustomTask, RemoteItem, RemoteVersion

VERSION_DESCRIPTION_LIMIT = 10_000  # DataRobot's limit on a version description
_MARKER_START = "[ctask-sync:v1 namespace="
_MARKER_RE = re.compile("^" + re.escape(_MARKER_START) + r"(\S+) key=(\S+)\]\s*$", re.MULTILINE)
_BLANK_RUN_RE = re.compile(r"\n{3,}")
_RECORD_START = "--- ctask-sync record v1 (written by ctask-sync; do not edit) ---"
_RECORD_END = "--- end of ctask-sync record ---"
_RECORD_RE = re.compile(
    re.escape(_RECORD_START) + r"\s*\n(.*?)\n\s*" + re.escape(_RECORD_END), re.DOTALL
)
_OUTCOMES = ("success", "failed")  # a dependency build's final outcomes, as records name them
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


# gc=False: a record holds strings, tuples and a dict of strings, never a cycle.
class SyncRecord(msgspec.Struct, frozen=True, gc=False):
    """What ctask-sync wrote into a version's description (a Struct: one is read per listed
    task, 10,000 at a time; change one with msgspec.structs.replace)."""

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


class _WireRecord(msgspec.Struct, gc=False):
    """A record as `encode_record` writes it, typed strictly: a body it takes decodes straight
    into these fields; any other body (a field of another kind, typed into the UI or written by
    a later version) is read by `_general_record`, so both reads give the same answer
    (tests/engine/test_record_decode.py)."""

    tool: str
    content: str
    settings: str
    commit: str | None = None
    ref: str | None = None
    time: int | None = None
    tag: str | None = None
    files: dict[str, str] | None = None
    build: bool = False
    build_outcome: str | None = None
    dirty: bool = False
    parents: list[str] | None = None
    namespace: str | None = None
    key: str | None = None
    root: str | None = None
    folder: str | None = None
    shared: list[str] | None = None


_WIRE_DECODER = msgspec.json.Decoder(_WireRecord)


def decode_record(description: str | None) -> SyncRecord | None:
    """The record in a version description, or None when there is none or it is damaged."""
    body = _record_body(description or "")
    if body is None:
        return None
    try:
        wire = _WIRE_DECODER.decode(body)  # once per listed task: 10,000 at a time
    except (msgspec.DecodeError, RecursionError):  # ValidationError is a DecodeError
        return _general_record(body)
    return SyncRecord(
        tool=wire.tool,
        commit=wire.commit,
        ref=wire.ref,
        commit_time=wire.time,
        tag=wire.tag,
        content=wire.content,
        settings=wire.settings,
        files=wire.files,
        build=wire.build,
        build_outcome=wire.build_outcome if wire.build_outcome in _OUTCOMES else None,
        dirty=wire.dirty,
        parents=tuple(wire.parents) if wire.parents else (),
        namespace=wire.namespace,
        key=wire.key,
        root=wire.root,
        folder=wire.folder,
        shared=tuple(wire.shared) if wire.shared else (),
    )


def _general_record(body: str) -> SyncRecord | None:
    """The record in body read from untyped JSON, each field converted as it allows."""
    try:
        data = msgspec.json.decode(body)
        if not isinstance(data, dict):
            return None  # JSON, but not a record (a list, say, typed into the description)
        get = data.get
        files = get("files")
        if files is not None and not (
            isinstance(files, dict) and all(isinstance(v, str) for v in files.values())
        ):
            return None
        namespace, key, root, folder = get("namespace"), get("key"), get("root"), get("folder")
        for text in (namespace, key, root, folder):
            if text is not None and not isinstance(text, str):
                return None
        outcome, parents, shared = get("build_outcome"), get("parents"), get("shared")
        return SyncRecord(
            tool=str(data["tool"]),
            commit=get("commit"),
            ref=get("ref"),
            commit_time=get("time"),
            tag=get("tag"),
            content=str(data["content"]),
            settings=str(data["settings"]),
            files=files,
            build=bool(get("build", False)),
            build_outcome=str(outcome) if outcome in _OUTCOMES else None,
            dirty=bool(get("dirty", False)),
            parents=tuple(map(str, parents)) if parents else (),
            namespace=namespace,
            key=key,
            root=root,
            folder=folder,
            shared=tuple(map(str, shared)) if shared else (),
        )
    except (ValueError, KeyError, TypeError, RecursionError):  # deep: typed in the UI
        return None


def _record_body(description: str) -> str | None:
    """What _RECORD_RE's group finds in description. The record as encode_record writes it (the
    start line, one line of JSON, the end line) is found with two string searches: the regex's
    lazy body costs more than the JSON decoding, at 10,000 tasks a visible share of a plan."""
    start = description.find(_RECORD_START)
    if start < 0:
        return None  # the pattern starts with _RECORD_START
    begin = start + len(_RECORD_START)
    # A newline, then no whitespace: the pattern's `\s*\n` is just that newline, and its lazy
    # body ends at the first newline after it, if _RECORD_END follows that newline at once.
    if description[begin : begin + 1] == "\n" and not description[begin + 1 : begin + 2].isspace():
        end = description.find("\n", begin + 1)
        if end > 0 and description.startswith(_RECORD_END, end + 1):
            return description[begin + 1 : end]
    match = _RECORD_RE.search(description)
    return match.group(1) if match else None


def latest_record(task: RemoteCustomTask) -> SyncRecord | None:
    latest = task.latest_version
    return decode_record(latest.description) if latest else None


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
