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
carries a checksum; a damaged or foreign one is ignored whole, never trusted in part.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from ctask_sync import __version__
from ctask_sync.manifest.digests import DigestCache, Stamp, read_checked, stamp_of, write_checked
from ctask_sync.manifest.files import FileEntry, is_default_ignored
from ctask_sync.manifest.manifest import Checked
from ctask_sync.manifest.schemacheck import SCHEMA_RESOURCE
from ctask_sync.manifest.spec import EnvironmentRef, Finding, ShareEntry, TaskSpec
from ctask_sync.manifest.yamlpos import Pos

CACHE_NAME = "tasks.json"
_MAGIC = "ctask-sync task cache v1"

# path relative to the task folder -> stamp, for the manifest, its folders and their files
Stamps = dict[str, Stamp]


def code_key() -> dict[str, Any]:
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


@dataclass
class TaskCache:
    """Validated tasks by absolute manifest path; see the module docstring for when they hold."""

    path: Path
    key: dict[str, Any]
    fence_ns: int
    known: dict[str, Any] = field(default_factory=dict)
    seen: dict[str, Any] = field(default_factory=dict)
    hits: int = 0
    misses: int = 0

    @classmethod
    def open(cls, repo_root: Path, digests: DigestCache) -> TaskCache | None:
        """The cache beside digests.json; None when the digest cache has no fence."""
        if digests.fence_ns is None or digests.state_dir is None:
            return None
        key = {**code_key(), "repo_root": str(repo_root), "cwd": os.getcwd()}
        path = digests.state_dir / CACHE_NAME
        return cls(path=path, key=key, fence_ns=digests.fence_ns, known=_load(path, key))

    def check(
        self,
        manifest: Path,
        ignored_inside: tuple[str, ...],
        digests: DigestCache,
        validate: Callable[[Path], Checked],
    ) -> Checked:
        """The cached result for manifest when it still holds, else `validate(manifest)`."""
        entry = self.known.get(str(manifest))
        if entry is not None:
            restored = self._restore(manifest, entry, ignored_inside, digests)
            if restored is not None:
                self.hits += 1
                self.seen[str(manifest)] = entry
                return restored
        self.misses += 1
        stamps = _walk_stamps(manifest, frozenset(ignored_inside))
        checked = validate(manifest)
        fresh = self._entry(checked, stamps, ignored_inside)
        if fresh is not None:
            self.seen[str(manifest)] = fresh
        return checked

    def _restore(
        self,
        manifest: Path,
        entry: dict[str, Any],
        ignored_inside: tuple[str, ...],
        digests: DigestCache,
    ) -> Checked | None:
        try:
            if entry["ignored"] != list(ignored_inside):
                return None
            stamps: dict[str, list[int]] = entry["stamps"]
            folder = str(manifest.parent)
            stat = os.stat  # the hot loop of an unchanged run: 7 stats a task, every run
            for rel, recorded in stamps.items():
                try:
                    st = stat(folder if rel == "." else f"{folder}/{rel}")
                except OSError:
                    return None
                size, mtime, ctime, inode, device = recorded
                if (
                    st.st_mtime_ns != mtime
                    or st.st_size != size
                    or st.st_ctime_ns != ctime
                    or st.st_ino != inode
                    or st.st_dev != device
                ):
                    return None
            checked = _decode(manifest, entry["checked"])
            assert checked.spec is not None
            remembered = [(f.source, _stamp(stamps[f.path]), f.digest) for f in checked.spec.files]
        except (KeyError, TypeError, ValueError, IndexError, AttributeError):
            self.known = {}  # not what this module wrote: trust none of it
            return None
        for path, stamp, digest in remembered:
            digests.remember(path, stamp, digest)
        return checked

    def _entry(
        self, checked: Checked, stamps: Stamps | None, ignored_inside: tuple[str, ...]
    ) -> dict[str, Any] | None:
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
        return {
            "stamps": {path: list(s) for path, s in stamps.items()},
            "ignored": list(ignored_inside),
            "checked": _encode(checked),
        }

    def save(self, *, scope: Path) -> None:
        """Write what this run saw (entries outside `scope` are kept); best effort."""
        prefix = str(scope).rstrip(os.sep) + os.sep
        entries = dict(self.seen)
        for path, value in self.known.items():
            if not path.startswith(prefix):
                entries.setdefault(path, value)
        if entries == self.known:
            return
        write_checked(self.path, _MAGIC, {"key": self.key, "tasks": entries})


def ignored_by_folder(
    manifests: Iterable[Path], ignored: frozenset[str]
) -> dict[str, tuple[str, ...]]:
    """git's ignored paths grouped by the task folder that holds them (sorted)."""
    folders = {str(m.parent) for m in manifests}
    grouped: dict[str, list[str]] = {}
    for path in ignored:
        parent = os.path.dirname(path)
        while parent and parent not in folders:
            up = os.path.dirname(parent)
            parent = "" if up == parent else up
        if parent:
            grouped.setdefault(parent, []).append(path)
    return {folder: tuple(sorted(paths)) for folder, paths in grouped.items()}


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


def _stamp(values: list[int]) -> Stamp:
    size, mtime, ctime, inode, device = values
    return (size, mtime, ctime, inode, device)


def _encode(checked: Checked) -> dict[str, Any]:
    spec = checked.spec
    assert spec is not None
    env = spec.environment
    return {
        "key": checked.key,
        "key_pos": None
        if checked.key_pos is None
        else [checked.key_pos.line, checked.key_pos.column],
        "findings": [
            [f.path, f.line, f.column, f.severity, f.message, f.key] for f in checked.findings
        ],
        "spec": {
            "key": spec.key,
            "name": spec.name,
            "target_type": spec.target_type,
            "language": spec.language,
            "description": spec.description,
            "environment": [env.id, env.name, env.version_id, env.where],
            "maximum_memory": spec.maximum_memory,
            "outbound_network_policy": spec.outbound_network_policy,
            "required_metadata": spec.required_metadata,
            "dependency_build": spec.dependency_build,
            "files": [[f.path, f.size, f.digest] for f in spec.files],
            "adopt": spec.adopt,
            "blueprints": spec.blueprints,
            "share": None
            if spec.share is None
            else [[s.username, s.role, s.can_share] for s in spec.share],
        },
    }


def _decode(manifest: Path, raw: dict[str, Any]) -> Checked:
    spec = raw["spec"]
    folder = manifest.parent
    prefix = str(folder)
    env_id, env_name, env_version, env_where = spec["environment"]
    share = spec["share"]
    task = TaskSpec(
        key=spec["key"],
        name=spec["name"],
        target_type=spec["target_type"],
        language=spec["language"],
        description=spec["description"],
        environment=EnvironmentRef(env_id, env_name, env_version, env_where),
        maximum_memory=spec["maximum_memory"],
        outbound_network_policy=spec["outbound_network_policy"],
        required_metadata=dict(spec["required_metadata"]),
        dependency_build=spec["dependency_build"],
        folder=folder,
        manifest_path=manifest,
        files=tuple(
            FileEntry(p, f"{prefix}/{p}", size, digest) for p, size, digest in spec["files"]
        ),
        adopt=spec["adopt"],
        blueprints=spec["blueprints"],
        share=None if share is None else tuple(ShareEntry(u, r, bool(c)) for u, r, c in share),
    )
    findings: list[Finding] = [Finding(*values) for values in raw["findings"]]
    key_pos = raw["key_pos"]
    return Checked(
        manifest=manifest,
        findings=findings,
        spec=task,
        key=raw["key"],
        key_pos=None if key_pos is None else Pos(*key_pos),
    )


def _load(path: Path, key: dict[str, Any]) -> dict[str, Any]:
    """The entries of a valid cache file written under the same key; {} otherwise."""
    raw = read_checked(path, _MAGIC)
    if not isinstance(raw, dict) or raw.get("key") != key or not isinstance(raw.get("tasks"), dict):
        return {}
    tasks: dict[str, Any] = raw["tasks"]
    return tasks


def check_all(
    manifests: list[Path],
    cache: TaskCache | None,
    ignored: frozenset[str],
    digests: DigestCache,
    validate: Callable[[Path], Checked],
    *,
    scope: Path,
) -> list[Checked]:
    """`validate` each manifest, or take its result from the cache when it still holds."""
    if cache is None:
        return [validate(m) for m in manifests]
    by_folder = ignored_by_folder(manifests, ignored)
    results = [
        cache.check(m, by_folder.get(str(m.parent), ()), digests, validate) for m in manifests
    ]
    cache.save(scope=scope)
    return results
