"""The sync record: what a version holds, in the version's description (a version cannot be
labelled, so the record is free text found by a delimited pattern, and text a user adds around
it is tolerated). Anyone can edit a task's description, but not a version's, so the record also
names the owner (namespace, key, root): a task whose marker was edited away is still
recognised. Read once per listed task, 10,000 at a time: the common case is kept cheap."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec

from ctask_sync.engine.model import RemoteCustomTask

VERSION_DESCRIPTION_LIMIT = 10_000  # DataRobot's limit on a version description
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


def record_folder(folder: Path, root_dir: Path | None) -> str | None:
    """A task folder as a record names it: relative to the sync root."""
    if root_dir is None:
        return None
    try:
        return folder.relative_to(root_dir).as_posix() or "."
    except ValueError:
        return None
