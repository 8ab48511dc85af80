"""A cache of file digests in `.ctask-sync/`, so unchanged files are not read again each run.

An entry is trusted only when the file's size, mtime, ctime, inode and device all equal what
was recorded. ctime cannot be set from user space, so an edit whose mtime is put back with
`touch -d`/`os.utime` still misses. Git's racy-clean rule covers edits that the timestamps
cannot show: a file whose mtime or ctime is not strictly older than the *fence* (the file
system's own clock, read from a probe file written before any file is looked at) is hashed
but never recorded, so a later edit within the same clock tick cannot hide behind it.

The cache file carries a checksum; a file that fails to parse or to check is ignored and
rebuilt, never trusted in part. Nothing here can change a digest: a miss costs one read.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import Any, TypeVar, overload

import msgspec

from ctask_sync.manifest.files import FileEntry, file_digest

STATE_DIR = ".ctask-sync"  # at the repository root, beside the embedded emulator's state
CACHE_NAME = "digests.json"
FENCE_NAME = "digests.fence"
_MAGIC = "ctask-sync digest cache v1"
_HEX = re.compile(r"[0-9a-f]{64}")
_GITIGNORE = "# ctask-sync's local state (caches, embedded emulator): never commit it\n*\n"

Stamp = tuple[int, int, int, int, int]  # size, mtime_ns, ctime_ns, inode, device
T = TypeVar("T")


def stamp_of(st: os.stat_result) -> Stamp:
    """What must be unchanged for a recorded digest to hold."""
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev)


class StampRecord(
    msgspec.Struct, array_like=True, frozen=True, forbid_unknown_fields=True, gc=False
):
    """A Stamp as the task cache's file holds it (the same five-number array), decoded into
    a value the garbage collector does not track: 80,000 tuples at 10,000 tasks made it
    sweep ~100 ms in every run."""

    size: int
    mtime_ns: int
    ctime_ns: int
    inode: int
    device: int

    def stamp(self) -> Stamp:
        return (self.size, self.mtime_ns, self.ctime_ns, self.inode, self.device)


class DigestCache(msgspec.Struct):
    """Digests by absolute path; `digest()` answers from it or reads the file."""

    state_dir: Path | None  # None: a cache that records nothing (no writable state folder)
    # None until a file is digested: a run whose tasks all come from the task cache
    # (taskcache.py) never reads digests.json (megabytes, at 10,000 tasks).
    loaded: dict[str, tuple[Stamp, str]] | None = None
    fence_ns: int | None = None  # the file system's clock before any file was looked at
    seen: dict[str, tuple[Stamp, str]] = msgspec.field(default_factory=dict)
    # What the task cache vouched for, made entries of `seen` only when digests.json is
    # written: a run answered by the task cache never writes it, and skips ~60,000 entries.
    vouched: list[tuple[dict[str, StampRecord], tuple[FileEntry, ...]]] = msgspec.field(
        default_factory=list
    )
    hits: int = 0
    misses: int = 0

    @classmethod
    def open(cls, repo_root: Path) -> DigestCache:
        """The cache of `<repo_root>/.ctask-sync/digests.json` (read when first needed), with
        this run's fence set."""
        state_dir = Path(repo_root) / STATE_DIR
        cache = cls(state_dir=state_dir)
        cache.fence_ns = _write_fence(state_dir)
        return cache

    @property
    def known(self) -> dict[str, tuple[Stamp, str]]:
        """The valid entries of the cache file ({} for a missing, damaged or foreign one)."""
        if self.loaded is None:
            self.loaded = {} if self.state_dir is None else _load(self.state_dir / CACHE_NAME)
        return self.loaded

    def digest(self, path: str, st: os.stat_result) -> str:
        """ "sha256:<hex>" of the file at path, whose os.stat (taken before reading) is st."""
        stamp = stamp_of(st)
        old = self.known.get(path)
        if old is not None and old[0] == stamp:
            self.hits += 1
            hex_digest = old[1]
        else:
            self.misses += 1
            hex_digest = file_digest(path).removeprefix("sha256:")
        if self._settled(st):
            self.seen[path] = (stamp, hex_digest)
        return f"sha256:{hex_digest}"

    def vouch(self, stamps: dict[str, StampRecord], files: tuple[FileEntry, ...]) -> None:
        """Keep the digests of files another cache vouched for (taskcache.py: the same stamps,
        the same fence rule); `stamps` holds every file's stamp by its FileEntry.path."""
        self.vouched.append((stamps, files))

    def _settled(self, st: os.stat_result) -> bool:
        # Racy-clean: only a file last changed strictly before the fence may be recorded.
        fence = self.fence_ns
        return fence is not None and st.st_mtime_ns < fence and st.st_ctime_ns < fence

    def save(self, *, scope: Path | None = None) -> None:
        """Write what this run saw; entries outside `scope` (a narrower run) are kept.

        Best effort: a read-only checkout just runs without a cache."""
        if self.state_dir is None or self.fence_ns is None:
            return
        if self.hits + self.misses == 0:
            # Every digest came from the task cache, which holds the same stamps: the file
            # needs no rewrite. Entries of deleted files stay until a run digests a file; a
            # stale entry is harmless, since every entry is checked against its stamps.
            return
        seen = self.seen
        for stamps, files in self.vouched:
            for file in files:
                digest = file.digest.removeprefix("sha256:")
                # a digest taken this run is as good, and stays
                seen.setdefault(file.source, (stamps[file.path].stamp(), digest))
        self.vouched = []
        prefix = None if scope is None else str(scope).rstrip(os.sep) + os.sep
        entries = dict(seen)
        if prefix is not None:
            for path, value in self.known.items():
                if not path.startswith(prefix):
                    entries.setdefault(path, value)
        if entries == self.known:
            return  # nothing new: skip rewriting a file that can be megabytes long
        data = {path: [*stamp, digest] for path, (stamp, digest) in sorted(entries.items())}
        write_checked(self.state_dir / CACHE_NAME, _MAGIC, data)


def _load(path: Path) -> dict[str, tuple[Stamp, str]]:
    """The entries of a valid cache file; {} for a missing, damaged or foreign one."""
    return _entries(read_checked(path, _MAGIC))


def write_checked(path: Path, magic: str, data: Any) -> None:
    """Write data as JSON under a `<magic> <sha256 of the body>` line, atomically; best effort
    (a read-only checkout just runs without its caches)."""
    try:
        body = msgspec.json.encode(data)  # compact UTF-8 JSON, twice the standard library's speed
    except (TypeError, ValueError):
        # not JSON (a file name that is not UTF-8, an integer wider than 64 bits): no cache
        # this run rather than a wrong one
        return
    checksum = hashlib.sha256(body).hexdigest()
    try:
        write_atomic(path, f"{magic} {checksum}\n{body.decode('utf-8')}")
    except OSError:
        return


@overload
def read_checked(path: Path, magic: str) -> Any: ...
@overload
def read_checked(path: Path, magic: str, schema: type[T]) -> T | None: ...
def read_checked(path: Path, magic: str, schema: type[T] | None = None) -> T | None:
    """What write_checked wrote under this magic, decoded as `schema` (untyped without one);
    None for a missing, damaged or foreign file, or one the schema refuses (never trusted in
    part)."""
    try:
        raw = path.read_bytes()
    except OSError:
        return None
    header, _, body = raw.partition(b"\n")
    found, _, checksum = header.rpartition(b" ")
    if found != magic.encode("utf-8") or hashlib.sha256(body).hexdigest().encode() != checksum:
        return None
    try:
        # 2x the standard library's speed on these megabytes untyped, 3-4x that typed
        if schema is None:
            return msgspec.json.decode(body)  # type: ignore[no-any-return]
        return msgspec.json.decode(body, type=schema)
    except (ValueError, RecursionError):  # msgspec.ValidationError is a ValueError
        return None


def _entries(raw: Any) -> dict[str, tuple[Stamp, str]]:
    if not isinstance(raw, dict):
        return {}
    out: dict[str, tuple[Stamp, str]] = {}
    for path, value in raw.items():
        if not (isinstance(value, list) and len(value) == 6):
            return {}  # one bad entry means the file is not what we wrote: trust none of it
        *numbers, digest = value
        if not all(type(n) is int and n >= 0 for n in numbers):
            return {}
        if not (isinstance(digest, str) and _HEX.fullmatch(digest)):
            return {}
        size, mtime, ctime, inode, device = numbers
        out[path] = ((size, mtime, ctime, inode, device), digest)
    return out


def _write_fence(state_dir: Path) -> int | None:
    """The file system's 'now', from a probe file's mtime; None when the folder is not writable."""
    try:
        state_dir.mkdir(parents=True, exist_ok=True)
        ignore = state_dir / ".gitignore"
        if not ignore.exists():
            ignore.write_text(_GITIGNORE)
        fence = state_dir / FENCE_NAME
        with open(fence, "w") as handle:
            handle.write("written before any file is hashed; its mtime is the cache's fence\n")
        return os.stat(fence).st_mtime_ns
    except OSError:
        return None


def write_atomic(path: Path, text: str) -> None:
    # A crash mid-write leaves the old file or none, never half of one.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".digests-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
