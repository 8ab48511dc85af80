"""Find every ctask.yaml under a root, check each and across them: a Discovery."""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from ctask_sync.errors import CtaskSyncError
from ctask_sync.git import git_toplevel, ignored_paths
from ctask_sync.manifest import taskcache
from ctask_sync.manifest.digests import DigestCache
from ctask_sync.manifest.files import MANIFEST_NAME, is_default_ignored
from ctask_sync.manifest.listings import FolderCache, list_folder
from ctask_sync.manifest.manifest import Checked, check_manifest
from ctask_sync.manifest.rootconfig import ROOT_CONFIG_NAME
from ctask_sync.manifest.spec import Discovery, Finding, display_path
from ctask_sync.manifest.taskcache import parent_of
from ctask_sync.manifest.yamlpos import Pos

__all__ = ["discover", "find_manifests"]


def find_manifests(
    root: Path,
    ignored: frozenset[str] | Future[frozenset[str]],
    *,
    stop_at_roots: bool = False,
    listings: FolderCache | None = None,
) -> tuple[list[Path], list[Finding]]:
    """Every ctask.yaml under root (see _manifest_names), in Path order."""
    names, findings = _manifest_names(root, ignored, stop_at_roots=stop_at_roots, listings=listings)
    return [Path(m) for m in names], findings


def _manifest_names(
    root: Path,
    ignored: frozenset[str] | Future[frozenset[str]],
    *,
    stop_at_roots: bool,
    listings: FolderCache | None = None,
) -> tuple[list[str], list[Finding]]:
    """Every ctask.yaml under root as an absolute path string, in Path order, skipping .git,
    ignored folders and unfollowed symlinks (and, with stop_at_roots, folders below root that
    hold their own ctask-sync.yaml).

    `ignored` may still be on its way (git lists it in its own process): the walk starts
    without it, prunes by it from the moment it is there, and what it would have pruned is
    dropped at the end, so the answer is the same either way. Folders are listed by
    `listings` (listings.py) when given, else afresh."""
    pruning = ignored if isinstance(ignored, frozenset) else None
    # the folders that hold an ignored path: only their entries need looking up in `pruning`
    holding = _parents(pruning)
    dir_ignored: dict[str, bool] = {}  # folder name -> default-ignored (subfolder names repeat)
    found: list[str] = []
    walked: list[str] = []  # every folder below top the walk went into
    unlisted: list[tuple[str, str]] = []  # (folder, why) of folders that could not be listed
    top = str(root)
    stack = [top]
    read = list_folder if listings is None else listings.listing
    while stack:
        current = stack.pop()
        if pruning is None and isinstance(ignored, Future) and ignored.done():
            pruning = ignored.result()
            holding = _parents(pruning)
        try:
            listing = read(current)
        except OSError as exc:
            unlisted.append((current, str(exc.strerror or exc)))
            continue
        # A folder below root with its own ctask-sync.yaml is another root (seen here, from
        # the listing, rather than by one extra stat per folder).
        if stop_at_roots and listing.root_config and current != top:
            continue
        prune = pruning if current in holding else None
        # an entry's path as os.scandir makes it (os.path.join of the folder and the name)
        prefix = current if current.endswith(os.sep) else current + os.sep
        if listing.manifest:
            path = prefix + MANIFEST_NAME
            if prune is None or path not in prune:
                found.append(path)
        for name in listing.folders:
            if name == ".git":
                continue
            skip = dir_ignored.get(name)
            if skip is None:
                skip = dir_ignored[name] = is_default_ignored(name, is_dir=True)
            if skip:
                continue
            path = prefix + name
            if prune is None or path not in prune:
                stack.append(path)
                walked.append(path)
    if pruning is None:
        assert isinstance(ignored, Future)
        pruning = ignored.result()
    # Only a manifest or a walked folder that git ignores can drop anything (all that is
    # dropped lies in or under one): mostly none, and then nothing needs climbing.
    if (
        not isinstance(ignored, frozenset)
        and pruning
        and not (pruning.isdisjoint(found) and pruning.isdisjoint(walked))
    ):
        found = [m for m in found if not _under_ignored(m, top, pruning)]
        unlisted = [(f, why) for f, why in unlisted if not _under_ignored(f, top, pruning)]
    findings = [
        Finding(
            display_path(folder),
            None,
            None,
            "error",
            f"cannot list folder: {why}; ctask.yaml files in it would be missed",
        )
        for folder, why in unlisted
    ]
    return sorted(found, key=_path_order), findings


def _parents(paths: frozenset[str] | None) -> frozenset[str]:
    # an entry's path is `<folder it was listed in>/<name>`, so dirname gives that folder back
    return frozenset() if paths is None else frozenset(os.path.dirname(p) for p in paths)


def _under_ignored(path: str, top: str, ignored: frozenset[str]) -> bool:
    """Whether path, or a folder between it and top, is one git ignores."""
    while path != top and len(path) > len(top):
        if path in ignored:
            return True
        path = parent_of(path)
    return False


def _path_order(path: str) -> str:
    # Path's order (by components), without making a Path of each: NUL, the one character
    # no name holds, sorts before all others, so a name sorts before its longer namesakes
    return path.replace(os.sep, "\0")


def _cross_check(
    results: list[Checked],
    names: list[str],
    shown: Callable[[Path], str],
    root_of: Callable[[str], str] | None = None,
) -> None:
    """Checks across manifests (named, in the same order, by `names`): task folders that
    nest, keys used twice in one sync root (`root_of` names a manifest's root; None: one root)."""
    # strings, not Paths; the nearest task folder at or above each folder is remembered, as
    # most task folders share their parent
    folders = {parent_of(n): r for r, n in zip(results, names, strict=True) if r.is_task_folder}
    nearest: dict[str, Checked | None] = {}

    def holder(folder: str) -> Checked | None:
        """The result of the task folder at or nearest above folder."""
        climbed = []
        found: Checked | None = None
        while True:
            if folder in nearest:
                found = nearest[folder]
                break
            found = folders.get(folder)
            climbed.append(folder)
            up = parent_of(folder)
            if found is not None or up == folder:
                break
            folder = up
        for seen in climbed:
            nearest[seen] = found
        return found

    for result, name in zip(results, names, strict=True):
        if not result.is_task_folder:
            continue
        outer = holder(parent_of(parent_of(name)))
        if outer is not None and outer is not result:
            parent = parent_of(str(outer.manifest))
            message = (
                f"task folder {display_path(result.manifest.parent)} is nested inside "
                f"task folder {display_path(parent)} ({shown(outer.manifest)}): task "
                "folders cannot nest, because DRUM searches for custom.py recursively; "
                "move one of them"
            )
            _fail(result, message, None)
            outer.spec = None
            outer.conflict = (_finding(outer, message, None), result.manifest)
    first_by_key: dict[tuple[str, str], Checked] = {}
    for result, name in zip(results, names, strict=True):
        if result.key is None:
            continue
        root = root_of(parent_of(name)) if root_of is not None else ""
        first = first_by_key.setdefault((root, result.key), result)
        if first is not result:
            message = (
                f"duplicate key '{result.key}': {shown(first.manifest)} uses it too; "
                "keys must be unique in a sync root (set a different 'key')"
            )
            _fail(result, message, result.key_pos)
            first.spec = None
            other = (
                f"duplicate key '{result.key}': {shown(result.manifest)} uses it too; "
                "keys must be unique in a sync root (set a different 'key')"
            )
            first.conflict = (_finding(first, other, first.key_pos), result.manifest)


def _root_finder(top: str) -> Callable[[str], str]:
    """folder -> the nearest folder at or above it, up to top, holding a ctask-sync.yaml (top
    when none does); remembered per folder, as task folders share their parents."""
    nearest: dict[str, str] = {}

    def root_of(folder: str) -> str:
        climbed = []
        while folder not in nearest:
            climbed.append(folder)
            up = parent_of(folder)
            if folder == top or up == folder or not folder.startswith(top):
                nearest[folder] = top
            elif os.path.isfile(os.path.join(folder, ROOT_CONFIG_NAME)):
                nearest[folder] = folder
            else:
                folder = up
        for seen in climbed:
            nearest[seen] = nearest[folder]
        return nearest[folder]

    return root_of


def _finding(result: Checked, message: str, pos: Pos | None) -> Finding:
    return Finding(
        display_path(result.manifest),
        pos.line if pos else None,
        pos.column if pos else None,
        "error",
        message,
        result.key,
    )


def _fail(result: Checked, message: str, pos: Pos | None) -> None:
    result.findings.append(_finding(result, message, pos))
    result.spec = None


def _finding_order(finding: Finding) -> tuple[bool, bool, int, int]:
    about_manifest = finding.path.endswith(MANIFEST_NAME)
    return (not about_manifest, finding.line is None, finding.line or 0, finding.column or 0)


def discover(
    root: Path,
    *,
    repo_root: Path | None = None,
    only: frozenset[Path] | None = None,
    digest: bool = True,
    stop_at_roots: bool = False,
    alongside: Callable[[], object] | None = None,
) -> Discovery:
    """Find every ctask.yaml under root, validate all of them, select their files.

    Every problem of every manifest becomes a Finding; TaskSpecs are built only for valid
    manifests, and a manifest involved in a cross-manifest problem (nesting, duplicate key)
    yields none. With `only` (absolute manifest paths, as pre-commit passes them), every
    manifest is still checked, so that keys stay unique, but only those are reported.
    `digest=False` skips reading file contents (validate needs sizes, not digests).
    `alongside` runs in a background thread once git has listed the ignored files.
    Raises CtaskSyncError only when root itself cannot be searched."""
    root = Path(root)
    if not root.exists():
        raise CtaskSyncError(f"{root}: no such folder", hint="pass the folder that holds tasks")
    if not root.is_dir():
        raise CtaskSyncError(
            f"{root}: not a folder", hint="pass the folder that holds the ctask.yaml files"
        )
    root = root.resolve()
    toplevel = git_toplevel(root)
    base = Path(repo_root).resolve() if repo_root is not None else (toplevel or root)
    pool = ThreadPoolExecutor(max_workers=1)
    try:
        # git lists the ignored files in its own process while this one reads the caches;
        # `alongside` (the session's `git status`) runs after it, never competing with it
        listing = pool.submit(ignored_paths, root, in_git=toplevel is not None)
        if alongside is not None:
            pool.submit(alongside)
        # Digests of files unchanged since the last run come from .ctask-sync/ (digests.py),
        # whole tasks unchanged since the last run too (taskcache.py), and the listings of
        # unchanged folders (listings.py).
        digests = DigestCache.open(base) if digest else None
        cache = None if digests is None else taskcache.TaskCache.open(base, digests)
        # folders unchanged since the last run are not listed again (listings.py)
        listings = None if digests is None else FolderCache.open(digests)
        names, walk_findings = _manifest_names(
            root, listing, stop_at_roots=stop_at_roots, listings=listings
        )
        if listings is not None:
            listings.save(scope=str(root))
        manifests = [Path(m) for m in names]
        ignored = listing.result()
        if digests is None:
            results = [check_manifest(m, base, ignored, digest=False) for m in manifests]
        else:
            results = taskcache.check_all(
                manifests,
                names,
                cache,
                ignored,
                digests,
                lambda m: check_manifest(m, base, ignored, digests=digests),
                scope=root,
                walked=listings.seen if listings is not None else {},
            )
            digests.save(scope=root)
    finally:
        pool.shutdown(wait=True)
    # A walk into nested sync roots (validate's) checks each root's keys on their own, as
    # plan and apply do: one key may be in two roots of different namespaces.
    _cross_check(results, names, display_path, None if stop_at_roots else _root_finder(str(root)))
    if only is not None:
        results = [r for r in results if r.manifest in only]
        manifests = [m for m in manifests if m in only]
        for result in results:
            if result.conflict is not None and result.conflict[1] not in only:
                result.findings.append(result.conflict[0])
    discovery = Discovery(root=root, manifest_paths=manifests, repo_root=base)
    discovery.findings.extend(walk_findings)
    for result in results:
        # File order within a manifest; findings about other files (symlinks, ...) last.
        discovery.findings.extend(sorted(result.findings, key=_finding_order))
        if result.spec is not None:
            discovery.tasks.append(result.spec)
    discovery.tasks.sort(key=lambda t: t.key)
    return discovery
