"""A cache of whole validated tasks in `.ctask-sync/`, so an unchanged manifest is not parsed,
schema-checked and its folder selected again on every run.

A task's entry holds its TaskSpec and its findings (warnings; a task with an error is never
cached) together with the stamps (size, mtime, ctime, inode, device) of everything its
validation could depend on, taken *before* it was validated:
- the manifest, every folder of the task (a folder's mtime and ctime change when an entry is
  added, removed or renamed) and every file in them (a superset of the selected files);
- git's ignore verdicts inside the task folder (the paths themselves, compared exactly, so any
  change of any `.gitignore`, `.git/info/exclude` or global excludes file that matters is seen);
- for the whole file: the tool's version, the schema's digest, the stamps of the validating
  code (`ctask_sync/manifest/*.py`), the repository root (default keys) and the current
  directory (findings name paths relative to it).
Any mismatch means a full validation of that task. The racy-clean rule of digests.py applies:
an entry with any stamp not strictly older than the run's fence is never recorded. The file
carries a checksum and is decoded into a strict typed schema; a damaged or foreign one, one the
schema refuses, or one with a file not stamped at its size is ignored whole, never trusted in
part. A task answered from here vouches for its files' digests to digests.py, which records
them only when it writes its own file.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterable, Mapping
from importlib import resources
from pathlib import Path
from types import MappingProxyType

import msgspec

from ctask_sync import __version__
from ctask_sync.manifest.digests import (
    DigestCache,
    Stamp,
    StampRecord,
    read_checked,
    stamp_of,
    write_checked,
)
from ctask_sync.manifest.files import FileEntry, is_default_ignored
from ctask_sync.manifest.listings import Listing
from ctask_sync.manifest.manifest import Checked
from ctask_sync.manifest.schemacheck import SCHEMA_RESOURCE
from ctask_sync.manifest.spec import EnvironmentRef, Finding, ShareEntry, TaskSpec
from ctask_sync.manifest.vocabulary import (
    Blueprints,
    DependencyBuild,
    Language,
    NetworkPolicy,
    TargetType,
)
from ctask_sync.manifest.yamlpos import Pos

CACHE_NAME = "tasks.json"
# v2: entries typed (EnvironmentRef, ShareEntry, Finding, Pos as objects); v1 files are ignored
MAGIC = "ctask-sync task cache v2"

_NOTHING_WALKED: Mapping[str, Listing] = MappingProxyType({})

# path relative to the task folder -> stamp, for the manifest, its folders and their files
Stamps = dict[str, Stamp]


class Key(msgspec.Struct, frozen=True, forbid_unknown_fields=True, gc=False):
    """What every entry depends on besides its own files."""

    tool: str
    schema: str
    code: str
    repo_root: str
    cwd: str


# The file's schema: msgspec decodes it straight into these (3-4x decoding untyped and picking
# fields, and none of it tracked by the garbage collector); a file it refuses is ignored whole.
# The frozen values of spec.py and yamlpos.py are decoded as they are and handed on as is.


class _FileRecord(
    msgspec.Struct, array_like=True, frozen=True, forbid_unknown_fields=True, gc=False
):
    """A FileEntry without its source (the task folder's path and its own)."""

    path: str
    size: int
    digest: str


class _Spec(msgspec.Struct, frozen=True, forbid_unknown_fields=True, gc=False):
    """A TaskSpec without what the manifest's path gives (folder, manifest_path, sources)."""

    key: str
    name: str
    target_type: TargetType
    language: Language
    description: str
    environment: EnvironmentRef
    maximum_memory: int | None
    outbound_network_policy: NetworkPolicy | None
    required_metadata: dict[str, str]
    dependency_build: DependencyBuild
    files: tuple[_FileRecord, ...]
    adopt: str | None
    blueprints: Blueprints
    share: tuple[ShareEntry, ...] | None
    content: str  # TaskSpec.content of these files, so an unchanged run need not work it out


class _Checked(msgspec.Struct, frozen=True, forbid_unknown_fields=True, gc=False):
    key: str | None
    key_pos: Pos | None
    findings: tuple[Finding, ...]
    spec: _Spec


class Entry(msgspec.Struct, frozen=True, forbid_unknown_fields=True, gc=False):
    """One validated task and the stamps (taken before validation) it holds under."""

    stamps: dict[str, StampRecord]  # as Stamps
    ignored: tuple[str, ...]  # git's ignored paths inside the task folder, sorted
    checked: _Checked


class _File(msgspec.Struct, frozen=True, forbid_unknown_fields=True, gc=False):
    key: Key
    tasks: dict[str, Entry]  # by absolute manifest path


def code_key() -> dict[str, str]:
    """What every entry depends on besides its own files: version, schema and validator code."""
    schema = resources.files("ctask_sync.schemas").joinpath(SCHEMA_RESOURCE).read_bytes()
    package = Path(__file__).parent
    # An editable install changes code without changing the version; its stamps catch that.
    modules = sorted(
        (p.name, st.st_size, st.st_mtime_ns) for p in package.glob("*.py") for st in [p.stat()]
    )
    return {
        "tool": __version__,
        "schema": hashlib.sha256(schema).hexdigest(),
        "code": hashlib.sha256(json.dumps(modules).encode()).hexdigest(),
    }


class TaskCache(msgspec.Struct):
    """Validated tasks by absolute manifest path; see the module docstring for when they hold."""

    path: Path
    key: Key
    fence_ns: int
    known: dict[str, Entry] = msgspec.field(default_factory=dict)
    seen: dict[str, Entry] = msgspec.field(default_factory=dict)
    hits: int = 0
    misses: int = 0

    @classmethod
    def open(cls, repo_root: Path, digests: DigestCache) -> TaskCache | None:
        """The cache beside digests.json; None when the digest cache has no fence."""
        if digests.fence_ns is None or digests.state_dir is None:
            return None
        key = Key(**code_key(), repo_root=str(repo_root), cwd=os.getcwd())
        path = digests.state_dir / CACHE_NAME
        return cls(path=path, key=key, fence_ns=digests.fence_ns, known=_load(path, key))

    def check(
        self,
        manifest: Path,
        name: str,
        ignored_inside: tuple[str, ...],
        digests: DigestCache,
        validate: Callable[[Path], Checked],
        walked: Mapping[str, Listing] = _NOTHING_WALKED,
    ) -> Checked:
        """The cached result for manifest (whose str() is name) when it still holds, else
        `validate(manifest)`. walked: the folders this run's search stamped (see _restore)."""
        entry = self.known.get(name)
        if entry is not None and entry.ignored == ignored_inside:
            restored = _restore(manifest, parent_of(name), entry, walked)
            if restored is not None:
                self.hits += 1
                self.seen[name] = entry
                assert restored.spec is not None
                # recorded only if digests.json is written this run (digests.py)
                digests.vouch(entry.stamps, restored.spec.files)
                return restored
        self.misses += 1
        stamps = _walk_stamps(manifest, frozenset(ignored_inside))
        checked = validate(manifest)
        fresh = self._entry(checked, stamps, ignored_inside)
        if fresh is not None:
            self.seen[name] = fresh
        return checked

    def _entry(
        self, checked: Checked, stamps: Stamps | None, ignored_inside: tuple[str, ...]
    ) -> Entry | None:
        """The record of a fresh validation, or None when it must not be kept."""
        if stamps is None or checked.spec is None or not checked.is_task_folder:
            return None
        if any(f.severity == "error" for f in checked.findings):
            return None
        fence = self.fence_ns
        # Racy-clean: a change in the clock tick of the fence could hide behind these stamps.
        if any(s[1] >= fence or s[2] >= fence for s in stamps.values()):
            return None
        for file in checked.spec.files:
            recorded = stamps.get(file.path)
            if recorded is None or recorded[0] != file.size:
                return None  # the folder changed while it was validated
        return Entry(
            stamps={path: StampRecord(*stamp) for path, stamp in stamps.items()},
            ignored=ignored_inside,
            checked=_encode(checked),
        )

    def save(self, *, scope: Path) -> None:
        """Write what this run saw (entries outside `scope` are kept); best effort."""
        prefix = str(scope).rstrip(os.sep) + os.sep
        entries = dict(self.seen)
        for path, value in self.known.items():
            if not path.startswith(prefix):
                entries.setdefault(path, value)
        if entries == self.known:
            return
        write_checked(self.path, MAGIC, _File(key=self.key, tasks=entries))


def ignored_by_folder(names: Iterable[str], ignored: frozenset[str]) -> dict[str, tuple[str, ...]]:
    """git's ignored paths grouped by the task folder (of the manifests named) that holds them
    (sorted)."""
    folders = {parent_of(m) for m in names}
    grouped: dict[str, list[str]] = {}
    for path in ignored:
        parent = os.path.dirname(path)
        while parent and parent not in folders:
            up = os.path.dirname(parent)
            parent = "" if up == parent else up
        if parent:
            grouped.setdefault(parent, []).append(path)
    return {folder: tuple(sorted(paths)) for folder, paths in grouped.items()}


def parent_of(path: str) -> str:
    """os.path.dirname of an absolute, normalised path (as discovery's are), at a fifth of
    its cost (10,000s of calls a run)."""
    return path.rpartition(os.sep)[0] or os.sep


def _walk_stamps(manifest: Path, ignored: frozenset[str]) -> Stamps | None:
    """Stamps of the manifest and of every folder and file that select_files could look at.

    Prunes only what select_files always prunes (default-ignored folders, git-ignored paths),
    so it never stamps less than validation reads. Keyed by the path relative to the task
    folder ("." for the folder itself), as FileEntry.path is. None when anything cannot be
    stamped."""
    folder = str(manifest.parent)
    stamps: Stamps = {}
    try:
        stamps["."] = stamp_of(os.stat(folder))
        stamps[manifest.name] = stamp_of(os.stat(manifest))
        stack = [("", folder)]
        while stack:
            rel_dir, abs_dir = stack.pop()
            with os.scandir(abs_dir) as it:
                for entry in it:
                    rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
                    if entry.path in ignored:
                        continue
                    is_dir = entry.is_dir(follow_symlinks=False)
                    if is_default_ignored(rel, is_dir=is_dir):
                        continue
                    stamps[rel] = stamp_of(entry.stat())
                    if is_dir:
                        stack.append((rel, entry.path))
    except OSError:
        return None
    return stamps


def _restore(
    manifest: Path, folder: str, entry: Entry, walked: Mapping[str, Listing]
) -> Checked | None:
    """The entry's result when every recorded stamp still holds, else None.

    A folder the search for manifests stamped this run (`walked`: lstat, taken moments ago) is
    not stat'ed again: the search only enters real folders, where lstat and stat agree, and a
    stamp that differs (a symlinked task folder) only means a fresh validation."""
    stat = os.stat  # the hot loop of an unchanged run: 7 stats a task, every run
    for rel, recorded in entry.stamps.items():
        path = folder if rel == "." else f"{folder}/{rel}"
        seen = walked.get(path)
        if seen is not None:
            if (
                seen.mtime_ns != recorded.mtime_ns
                or seen.size != recorded.size
                or seen.ctime_ns != recorded.ctime_ns
                or seen.inode != recorded.inode
                or seen.device != recorded.device
            ):
                return None
            continue
        try:
            st = stat(path)
        except OSError:
            return None
        if (
            st.st_mtime_ns != recorded.mtime_ns
            or st.st_size != recorded.size
            or st.st_ctime_ns != recorded.ctime_ns
            or st.st_ino != recorded.inode
            or st.st_dev != recorded.device
        ):
            return None
    return _decode(manifest, folder, entry)


def _encode(checked: Checked) -> _Checked:
    spec = checked.spec
    assert spec is not None
    return _Checked(
        key=checked.key,
        key_pos=checked.key_pos,
        findings=tuple(checked.findings),
        spec=_Spec(
            key=spec.key,
            name=spec.name,
            target_type=spec.target_type,
            language=spec.language,
            description=spec.description,
            environment=spec.environment,
            maximum_memory=spec.maximum_memory,
            outbound_network_policy=spec.outbound_network_policy,
            required_metadata=spec.required_metadata,
            dependency_build=spec.dependency_build,
            files=tuple(_FileRecord(f.path, f.size, f.digest) for f in spec.files),
            adopt=spec.adopt,
            blueprints=spec.blueprints,
            share=spec.share,
            content=spec.content,
        ),
    )


def _decode(manifest: Path, folder: str, entry: Entry) -> Checked:
    """The Checked of an entry whose stamps hold."""
    raw = entry.checked
    spec = raw.spec
    file = FileEntry.restored
    task = TaskSpec.restored(
        key=spec.key,
        name=spec.name,
        target_type=spec.target_type,
        language=spec.language,
        description=spec.description,
        environment=spec.environment,
        maximum_memory=spec.maximum_memory,
        outbound_network_policy=spec.outbound_network_policy,
        required_metadata=dict(spec.required_metadata),  # the entry's own stays as written
        dependency_build=spec.dependency_build,
        folder=manifest.parent,
        manifest_path=manifest,
        files=tuple([file(f.path, f"{folder}/{f.path}", f.size, f.digest) for f in spec.files]),
        adopt=spec.adopt,
        blueprints=spec.blueprints,
        share=spec.share,
        content=spec.content,
    )
    return Checked(
        manifest=manifest,
        findings=list(raw.findings),  # a fresh list: the checks across manifests append to it
        spec=task,
        key=raw.key,
        key_pos=raw.key_pos,
    )


def _load(path: Path, key: Key) -> dict[str, Entry]:
    """The entries of a valid cache file written under the same key; {} otherwise."""
    raw = read_checked(path, MAGIC, _File)
    if raw is None or raw.key != key:
        return {}
    for entry in raw.tasks.values():
        stamps = entry.stamps
        for file in entry.checked.spec.files:
            stamp = stamps.get(file.path)
            if stamp is None or stamp.size != file.size:
                return {}  # this module stamps every file at its size: trust none of it
    return raw.tasks


def check_all(
    manifests: list[Path],
    names: list[str],
    cache: TaskCache | None,
    ignored: frozenset[str],
    digests: DigestCache,
    validate: Callable[[Path], Checked],
    *,
    scope: Path,
    walked: Mapping[str, Listing] = _NOTHING_WALKED,
) -> list[Checked]:
    """`validate` each manifest, or take its result from the cache when it still holds.

    `names` are the manifests' str(), which discovery has at hand (a Path's first str() costs
    more than restoring its task)."""
    if cache is None:
        return [validate(m) for m in manifests]
    by_folder = ignored_by_folder(names, ignored)
    results = [
        cache.check(m, name, by_folder.get(parent_of(name), ()), digests, validate, walked)
        for m, name in zip(manifests, names, strict=True)
    ]
    cache.save(scope=scope)
    return results
