"""Select the files of a task folder, digest them, and keep every path inside the folder."""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import stat
from pathlib import Path
from typing import TYPE_CHECKING

import msgspec

from ctask_sync.manifest.globs import Glob, compile_all

if TYPE_CHECKING:
    from ctask_sync.manifest.digests import DigestCache

MANIFEST_NAME = "ctask.yaml"

# DESIGN.md "Default ignores"; `.gitignore` rules come on top (see gitignored.py).
DEFAULT_IGNORES: tuple[str, ...] = (
    ".git",
    "__pycache__/",
    "*.pyc",
    ".ipynb_checkpoints/",
    ".DS_Store",
    ".Rhistory",
    ".Rproj.user/",
    ".venv/",
    "venv/",
    ".env*",
    ".pytest_cache/",
    ".ctask-sync/",  # the embedded emulator's state: never part of a task
    "secrets/",  # DRUM's local user-secrets folder (drum --user-secrets-mount-path)
    ".gitignore",  # git's own files: they mean nothing to DRUM or DataRobot
    ".gitattributes",
)
DEFAULT_IGNORE_GLOBS: tuple[Glob, ...] = tuple(compile_all(DEFAULT_IGNORES))

# Names that usually hold a key or a token: uploaded, they are readable by everyone the task is
# shared with, so each one gets a warning (exclude it, or ignore the warning if it is a fixture).
CREDENTIAL_PATTERNS: tuple[str, ...] = (
    "*.pem",
    "*.key",
    "*.p12",
    "*.pfx",
    "*.jks",
    "*.keystore",
    "id_rsa*",
    "id_dsa*",
    "id_ecdsa*",
    "id_ed25519*",
    ".npmrc",
    ".pypirc",
    ".netrc",
    ".htpasswd",
    ".dockercfg",
    "credentials",
    "credentials.json",
    "*credentials*.json",
    "service-account*.json",
    "client_secret*.json",
    "*.tfvars",
)

# DataRobot accepts at most 10 GB for a serialized artifact (datarobot-api.md §9); a bigger file
# could never be used, so it is rejected before anything is read or uploaded.
MAX_FILE_SIZE = 10 * 1024**3

_CHUNK = 1024 * 1024


# gc=False: two strings and a number, never a cycle; a plan of 10,000 tasks holds ~60,000.
class FileEntry(msgspec.Struct, frozen=True, gc=False):
    """One file to upload."""

    path: str  # POSIX path relative to the task folder, e.g. "sub dir/helper.py"
    # absolute path on disk, a string: a plan of 10,000 tasks holds ~60,000 of these, and
    # making a Path of each costs more than the rest of restoring them from the task cache
    source: str
    size: int
    digest: str  # "sha256:<64 hex>" of the content

    @classmethod
    def restored(cls, path: str, source: str, size: int, digest: str) -> FileEntry:
        """FileEntry(path, source, size, digest), for the task cache's 60,000 a run."""
        return cls(path, source, size, digest)


class FileProblem(msgspec.Struct, frozen=True, gc=False):
    """A file that must not (or cannot) be uploaded; `path` is relative to the task folder."""

    path: str
    message: str


class Selection(msgspec.Struct):
    """What `select_files` found in one task folder."""

    files: list[FileEntry] = msgspec.field(default_factory=list)
    problems: list[FileProblem] = msgspec.field(default_factory=list)
    # Include patterns (by index) that selected no file at all: almost always a typo.
    unmatched_includes: list[int] = msgspec.field(default_factory=list)


def file_digest(path: Path | str) -> str:
    """ "sha256:<hex>" of a file's content, read in chunks so that GB-sized files stay cheap."""
    sha = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            sha.update(chunk)
    return f"sha256:{sha.hexdigest()}"


def content_digest(entries: list[FileEntry] | tuple[FileEntry, ...]) -> str:
    """Digest over the sorted (path, content digest) pairs: equal iff the file sets are equal."""
    pairs = sorted((e.path, e.digest) for e in entries)
    # JSON of a list of pairs is unambiguous whatever characters the paths hold.
    encoded = json.dumps(pairs, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return f"sha256:{hashlib.sha256(encoded).hexdigest()}"


def human_size(size: int) -> str:
    """1234567 -> '1.2 MB' (decimal units, like most file browsers)."""
    value = float(size)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if value < 1000 or unit == "TB":
            return f"{size} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    raise AssertionError("unreachable")


def binary_size(size: int) -> str:
    """10737418240 -> '10 GiB' (limits read best in the units they were set in)."""
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.1f}".removesuffix(".0") + f" {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def _name_regex(globs: tuple[Glob, ...]) -> re.Pattern[str]:
    # Every default ignore is one segment ("*.pyc", "venv/"), so it matches a name at any
    # depth; its compiled form is "(?:[^/]+/)*<segment>", and the segment alone matches a name.
    prefix = "(?:[^/]+/)*"
    assert all(g.regex.pattern.startswith(prefix) for g in globs)
    return re.compile("|".join(g.regex.pattern[len(prefix) :] for g in globs), re.DOTALL)


# One regex for names of files, one for names of folders (which dir-only patterns match too).
_IGNORED_FILE_NAME = _name_regex(tuple(g for g in DEFAULT_IGNORE_GLOBS if not g.dir_only))
_IGNORED_DIR_NAME = _name_regex(DEFAULT_IGNORE_GLOBS)


def is_default_ignored(rel: str, *, is_dir: bool) -> bool:
    """True when DESIGN.md's default ignores drop `rel` (relative to a task folder): when its
    name, or the name of a folder on its way, is one of them."""
    *folders, name = rel.split("/")
    if (_IGNORED_DIR_NAME if is_dir else _IGNORED_FILE_NAME).fullmatch(name):
        return True
    return any(_IGNORED_DIR_NAME.fullmatch(folder) for folder in folders)


def looks_like_credentials(rel: str) -> bool:
    """True when a file's name suggests a private key or a token (CREDENTIAL_PATTERNS)."""
    return any(g.matches(rel) for g in _credential_globs())


@functools.cache
def _credential_globs() -> tuple[Glob, ...]:
    # compiled on first use (start-up, ~3 ms): only validating a manifest asks
    return tuple(compile_all(CREDENTIAL_PATTERNS))


def _within(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


class _Rules(msgspec.Struct):
    include: list[Glob] | None
    exclude: list[Glob]
    ignored: frozenset[str]  # absolute paths that .gitignore drops
    folder: Path  # the task folder, as given (`ignored` spells paths as it does)
    real_folder: str  # and resolved, as a symlink's target is

    def dropped(self, rel: str, abs_path: str, *, is_dir: bool) -> bool:
        if rel == MANIFEST_NAME or abs_path in self.ignored:
            return True
        if is_default_ignored(rel, is_dir=is_dir):
            return True
        return any(g.matches(rel, is_dir=is_dir) for g in self.exclude)

    def why_dropped(self, rel: str) -> str | None:
        """Which rule drops the file `rel` (or a folder on its way), or None: what the walk
        would have decided had it reached `rel` itself rather than a symlink to it."""
        parts = rel.split("/")
        for end in range(1, len(parts) + 1):
            part, is_dir = "/".join(parts[:end]), end < len(parts)
            if part == MANIFEST_NAME:
                return "is the manifest, never uploaded"
            if is_default_ignored(part, is_dir=is_dir):
                return "the default ignores drop"
            if os.path.join(self.folder, part) in self.ignored:
                return "git ignores (.gitignore)"
            if any(g.matches(part, is_dir=is_dir) for g in self.exclude):
                return "files.exclude drops"
        return None


def select_files(
    folder: Path,
    *,
    include: list[Glob] | None = None,
    exclude: list[Glob] | None = None,
    ignored: frozenset[str] = frozenset(),
    digest: bool = True,
    digests: DigestCache | None = None,
) -> Selection:
    """Select, size and digest the files of one task folder.

    A file is selected when it matches an include pattern (default: all files) and neither the
    default ignores, `ignored` (absolute paths from .gitignore) nor an exclude pattern drop it.
    Problems (symlinks leaving the folder or to a file these rules drop, unreadable or special
    files, files over MAX_FILE_SIZE, non-UTF-8 names) are reported only for files that would be
    uploaded.
    With `digests`, a file whose digest that cache already knows is not read again.
    """
    real_folder = os.path.realpath(folder)
    rules = _Rules(include, exclude or [], ignored, folder, real_folder)
    selection = Selection()
    matched = [False] * len(include or [])
    stack: list[tuple[str, str]] = [("", str(folder))]
    while stack:
        rel_dir, abs_dir = stack.pop()
        try:
            with os.scandir(abs_dir) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            selection.problems.append(
                FileProblem(rel_dir or ".", f"cannot list folder: {exc.strerror or exc}")
            )
            continue
        for entry in entries:
            rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
            is_link = entry.is_symlink()
            is_dir = not is_link and entry.is_dir(follow_symlinks=False)
            if rules.dropped(rel, entry.path, is_dir=is_dir):
                continue
            if is_dir:
                stack.append((rel, entry.path))
                continue
            if include is not None:
                hits = [i for i, g in enumerate(include) if g.matches(rel)]
                if not hits:
                    continue
                for i in hits:
                    matched[i] = True
            _add_file(selection, rel, entry, rules, is_link=is_link, digest=digest, cache=digests)
    selection.files.sort(key=lambda e: e.path)
    selection.problems.sort(key=lambda p: p.path)
    selection.unmatched_includes = [i for i, hit in enumerate(matched) if not hit]
    return selection


def _ignored_target(selection: Selection, rel: str, target: str, rules: _Rules) -> bool:
    """Report a symlink whose target (resolved, inside the folder) the ignore rules drop: they
    keep secrets (.env, secrets/, git-ignored files) out of uploads; a link must not undo that."""
    if target == rules.real_folder:
        return False  # a link to the folder itself: _add_file reports a link to a folder
    target_rel = Path(os.path.relpath(target, rules.real_folder)).as_posix()
    why = rules.why_dropped(target_rel)
    if why is None:
        return False
    # spec.py imports this module; only an error needs its display_path
    from ctask_sync.manifest.spec import display_path

    target_rel = os.fsencode(target_rel).decode("utf-8", "backslashreplace")
    verdict = f"which {why}" if why.startswith("is ") else f"a file {why}"
    selection.problems.append(
        FileProblem(
            rel,
            f"is a symlink to {target_rel} in task folder {display_path(rules.folder)}, {verdict}: "
            "a symlink must not upload what the ignore rules keep out (copy the file, or "
            "un-ignore the target)",
        )
    )
    return True


def _add_file(
    selection: Selection,
    rel: str,
    entry: os.DirEntry[str],
    rules: _Rules,
    *,
    is_link: bool,
    digest: bool,
    cache: DigestCache | None = None,
) -> None:
    problems = selection.problems
    try:
        rel.encode("utf-8")
    except UnicodeEncodeError:
        shown = os.fsencode(rel).decode("utf-8", "backslashreplace")
        problems.append(FileProblem(shown, "file name is not valid UTF-8: rename the file"))
        return
    if is_link:
        target = os.path.realpath(entry.path)
        if not _within(target, rules.real_folder):
            problems.append(
                FileProblem(
                    rel,
                    f"is a symlink to {target}, outside the task folder: ctask-sync never "
                    "uploads files from outside it (copy the file into the folder instead)",
                )
            )
            return
        if _ignored_target(selection, rel, target, rules):
            return
    try:
        st = os.stat(entry.path)  # follows a symlink inside the folder to its target
    except FileNotFoundError:
        problems.append(FileProblem(rel, "is a broken symlink: its target does not exist"))
        return
    except OSError as exc:
        problems.append(FileProblem(rel, f"cannot read: {exc.strerror or exc}"))
        return
    if stat.S_ISDIR(st.st_mode):
        problems.append(
            FileProblem(
                rel,
                "is a symlink to a folder: only symlinks to files are followed "
                "(replace it with the folder itself, or exclude it)",
            )
        )
        return
    if not stat.S_ISREG(st.st_mode):
        problems.append(
            FileProblem(rel, "is not a regular file (a FIFO, socket or device): exclude it")
        )
        return
    if st.st_size > MAX_FILE_SIZE:
        problems.append(
            FileProblem(
                rel,
                f"is {st.st_size:,} bytes, over the {binary_size(MAX_FILE_SIZE)} limit "
                "DataRobot has for one file: exclude it or make it smaller",
            )
        )
        return
    file_hash = ""
    if digest:
        try:
            file_hash = cache.digest(entry.path, st) if cache else file_digest(entry.path)
        except OSError as exc:
            problems.append(FileProblem(rel, f"cannot read: {exc.strerror or exc}"))
            return
    selection.files.append(FileEntry(rel, entry.path, st.st_size, file_hash))
