"""A cache of folder listings in `.ctask-sync/`, so the search for ctask.yaml files costs one
stat per unchanged folder instead of listing it (18,000 folders at 10,000 tasks).

Of a folder's entries the search needs only the names of its subfolders (entries that are
folders themselves, not symlinks), and whether an entry named ctask.yaml or ctask-sync.yaml is
there. A folder's mtime and ctime change whenever an entry is added to it, removed or renamed
in it, and no entry changes between being a folder and not without one of these, so a record
holds while the folder's stamp (size, mtime, ctime, inode, device; taken with lstat *before*
listing it) is unchanged. Everything else the search decides (git's ignore verdicts, default
ignores, `.git`, nested sync roots) is decided again from the record each run, as from a
fresh listing. The racy-clean rule of digests.py applies: a folder whose mtime or ctime is not
strictly older than the run's fence is listed but never recorded. The file carries a
checksum and is decoded into a strict typed schema; a damaged or foreign one is ignored
whole.
"""

from __future__ import annotations

import os
from pathlib import Path

import msgspec

from ctask_sync.manifest.digests import DigestCache, read_checked, write_checked
from ctask_sync.manifest.files import MANIFEST_NAME
from ctask_sync.manifest.rootconfig import ROOT_CONFIG_NAME

__all__ = ["CACHE_NAME", "MAGIC", "FolderCache", "Listing", "list_folder"]

CACHE_NAME = "folders.json"
MAGIC = "ctask-sync folder listings v1"


class Listing(msgspec.Struct, array_like=True, frozen=True, forbid_unknown_fields=True, gc=False):
    """What the search for manifests needs of one folder's entries, and the folder's stamp
    (all zero for a listing taken without one)."""

    size: int
    mtime_ns: int
    ctime_ns: int
    inode: int
    device: int
    folders: tuple[str, ...]  # names of subfolders (not symlinks), but one named ctask.yaml
    manifest: bool  # an entry named ctask.yaml (of any kind)
    root_config: bool  # an entry named ctask-sync.yaml (of any kind)


class _Names(msgspec.Struct, frozen=True, forbid_unknown_fields=True, gc=False):
    """The names the records' flags stand for: records of other names mean nothing here."""

    manifest: str
    root_config: str


_NAMES = _Names(manifest=MANIFEST_NAME, root_config=ROOT_CONFIG_NAME)


class _File(msgspec.Struct, frozen=True, forbid_unknown_fields=True, gc=False):
    names: _Names
    folders: dict[str, Listing]  # by absolute path


def list_folder(folder: str, st: os.stat_result | None = None) -> Listing:
    """A fresh listing of folder, under its stamp st (taken before listing); OSError when it
    cannot be listed."""
    with os.scandir(folder) as it:
        entries = list(it)
    # outside the `with`, as the search always classified entries: an error of is_dir() is
    # not one of listing the folder
    folders = []
    manifest = root_config = False
    for entry in entries:
        name = entry.name
        if name == MANIFEST_NAME:
            manifest = True
            continue
        if name == ROOT_CONFIG_NAME:
            root_config = True
        if entry.is_dir(follow_symlinks=False):
            folders.append(name)
    if st is None:
        return Listing(0, 0, 0, 0, 0, tuple(folders), manifest, root_config)
    return Listing(
        st.st_size,
        st.st_mtime_ns,
        st.st_ctime_ns,
        st.st_ino,
        st.st_dev,
        tuple(folders),
        manifest,
        root_config,
    )


class FolderCache(msgspec.Struct):
    """Listings by absolute folder path; `listing()` answers from it or lists the folder."""

    path: Path
    fence_ns: int
    known: dict[str, Listing] = msgspec.field(default_factory=dict)
    seen: dict[str, Listing] = msgspec.field(default_factory=dict)
    recorded: int = 0  # listings taken this run that the file does not hold yet
    hits: int = 0
    misses: int = 0

    @classmethod
    def open(cls, digests: DigestCache) -> FolderCache | None:
        """The cache beside digests.json; None when the digest cache has no fence."""
        if digests.fence_ns is None or digests.state_dir is None:
            return None
        path = digests.state_dir / CACHE_NAME
        return cls(path=path, fence_ns=digests.fence_ns, known=_load(path))

    def listing(self, folder: str) -> Listing:
        """folder's listing, from the cache while its stamp holds; OSError when it cannot be
        listed."""
        try:
            st = os.lstat(folder)
        except OSError:
            return list_folder(folder)  # listing it says why, in the search's own words
        old = self.known.get(folder)
        if (
            old is not None
            and st.st_mtime_ns == old.mtime_ns
            and st.st_ctime_ns == old.ctime_ns
            and st.st_size == old.size
            and st.st_ino == old.inode
            and st.st_dev == old.device
        ):
            self.hits += 1
            self.seen[folder] = old
            return old
        self.misses += 1
        fresh = list_folder(folder, st)
        fence = self.fence_ns
        # Racy-clean: an entry added within the fence's clock tick could hide behind st.
        if st.st_mtime_ns < fence and st.st_ctime_ns < fence and _encodable(folder, fresh):
            self.seen[folder] = fresh
            self.recorded += 1
        return fresh

    def save(self, *, scope: str) -> None:
        """Write what this run saw (records outside `scope` are kept) when it recorded
        anything new; best effort.

        A run that only hit the cache leaves the file alone, so records of folders it did not
        reach (deleted ones, or ones git's late ignore listing pruned this time and not the
        last) stay until a run records something: harmless, as each is checked against its
        folder's stamp."""
        if self.recorded == 0:
            return
        prefix = scope.rstrip(os.sep) + os.sep
        folders = dict(self.seen)
        for path, value in self.known.items():
            if path != scope and not path.startswith(prefix):
                folders.setdefault(path, value)
        write_checked(self.path, MAGIC, _File(names=_NAMES, folders=folders))
        self.known = folders
        self.recorded = 0


def _encodable(folder: str, listing: Listing) -> bool:
    # a name that is not UTF-8 (os.fsdecode's surrogates) cannot be written as JSON: such a
    # folder is listed every run rather than keep the whole file from being written
    try:
        folder.encode("utf-8")
        "".join(listing.folders).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _load(path: Path) -> dict[str, Listing]:
    """The records of a valid cache file of the same names; {} otherwise."""
    raw = read_checked(path, MAGIC, _File)
    if raw is None or raw.names != _NAMES:
        return {}
    return raw.folders
