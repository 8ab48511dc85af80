"""Find, load (with positions) and validate ctask.yaml manifests into TaskSpecs."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Literal

from ctask_sync.errors import CtaskSyncError
from ctask_sync.git import git_toplevel, ignored_paths
from ctask_sync.manifest import checks, drum, schemacheck
from ctask_sync.manifest.digests import DigestCache
from ctask_sync.manifest.files import (
    MANIFEST_NAME,
    FileEntry,
    is_default_ignored,
    select_files,
)
from ctask_sync.manifest.globs import GlobError, check_pattern, compile_all
from ctask_sync.manifest.vocabulary import (
    Blueprints,
    DependencyBuild,
    Language,
    NetworkPolicy,
    TargetType,
)
from ctask_sync.manifest.yamlpos import Document, Pos, YamlProblem, load

__all__ = [
    "MANIFEST_NAME",
    "Discovery",
    "EnvironmentRef",
    "Finding",
    "TaskSpec",
    "discover",
    "parse_size",
]

# A manifest is a few hundred bytes; refusing huge ones keeps a stray file from eating memory.
MAX_MANIFEST_BYTES = 1024 * 1024

_KEY_RE = re.compile(r"^[^\s/\x00-\x1f\x7f]([^\x00-\x1f\x7f]*[^\s/\x00-\x1f\x7f])?$")
_SIZE_RE = re.compile(r"^([0-9]+(?:\.[0-9]+)?)\s*([KMGT]i?)?$")
_SIZE_UNITS = {
    "": 1,
    "K": 1000,
    "M": 1000**2,
    "G": 1000**3,
    "T": 1000**4,
    "Ki": 1024,
    "Mi": 1024**2,
    "Gi": 1024**3,
    "Ti": 1024**4,
}


@dataclass(frozen=True)
class EnvironmentRef:
    id: str | None = None
    name: str | None = None
    version_id: str | None = None
    # where the manifest names it, for the errors of resolving it remotely; not part of identity
    where: str | None = field(default=None, compare=False)  # "path:line:column"


@dataclass(frozen=True)
class ShareEntry:
    """One `share:` entry: a user and the role ctask-sync keeps on the task's access list."""

    username: str
    role: str  # OWNER | READ_WRITE | USER | EDITOR | READ_ONLY | CONSUMER
    can_share: bool = True


@dataclass(frozen=True)
class TaskSpec:
    key: str
    name: str
    target_type: TargetType  # manifest spelling (lower case)
    language: Language
    description: str
    environment: EnvironmentRef
    maximum_memory: int | None  # bytes
    outbound_network_policy: NetworkPolicy | None  # None: the server's default
    required_metadata: dict[str, str]
    dependency_build: DependencyBuild
    folder: Path  # absolute
    manifest_path: Path  # absolute
    files: tuple[FileEntry, ...]
    adopt: str | None = None  # id of an existing task to take over (written by `import`)
    blueprints: Blueprints = (
        "leave"  # leave | follow | releases: what apply does to pinning blueprints
    )
    share: tuple[ShareEntry, ...] | None = None  # None: the access list is left alone


@dataclass(frozen=True)
class Finding:
    path: str  # file path as shown to the user (relative to the cwd when possible)
    line: int | None
    column: int | None
    severity: Literal["error", "warning"]
    message: str
    key: str | None = None

    def format(self) -> str:
        """`path:LINE:COL: severity: message` (line and column only where known)."""
        where = self.path
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return f"{where}: {self.severity}: {self.message}"

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of `validate --json`."""
        return {
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "severity": self.severity,
            "message": self.message,
            "key": self.key,
        }


@dataclass
class Discovery:
    root: Path
    tasks: list[TaskSpec] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    # Every ctask.yaml found (valid or not), absolute, sorted; and the root keys are relative to.
    manifest_paths: list[Path] = field(default_factory=list)
    repo_root: Path | None = None

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "warning"]


def display_path(path: Path | str) -> str:
    """`path` relative to the current directory when it is under it, else absolute."""
    absolute = os.path.abspath(path)
    cwd = os.getcwd()
    if absolute == cwd:
        return "."
    if absolute.startswith(cwd.rstrip(os.sep) + os.sep):
        return Path(os.path.relpath(absolute, cwd)).as_posix()
    return absolute


def parse_size(value: int | str) -> int:
    """Bytes from an int or a size string: '4Gi', '512Mi', '2G', '1.5Gi', '1000'.

    Raises ValueError with a short reason when the value is not a whole, positive byte count."""
    if isinstance(value, bool):
        raise ValueError("is not a size")
    if isinstance(value, int):
        number = Decimal(value)
    else:
        match = _SIZE_RE.match(value.strip())
        if not match:
            raise ValueError("is not a size")
        try:
            number = Decimal(match.group(1)) * _SIZE_UNITS[match.group(2) or ""]
        except InvalidOperation as exc:
            raise ValueError("is not a size") from exc
    if number != number.to_integral_value():
        raise ValueError("is not a whole number of bytes")
    if number < 1:
        raise ValueError("must be at least 1 byte")
    return int(number)


@dataclass
class _Checked:
    """One manifest after its own checks, before the checks across manifests."""

    manifest: Path
    findings: list[Finding]
    spec: TaskSpec | None = None
    key: str | None = None
    key_pos: Pos | None = None
    is_task_folder: bool = True  # False for a directory named ctask.yaml
    # A cross-manifest error reported on the other manifest, and that manifest: shown here
    # instead when only this one is validated (pre-commit passes changed files only).
    conflict: tuple[Finding, Path] | None = None


class _Builder:
    """Collects the findings of one manifest."""

    def __init__(self, manifest: Path) -> None:
        self.manifest = manifest
        self.shown = display_path(manifest)
        self.findings: list[Finding] = []
        self.key: str | None = None

    def error(self, message: str, pos: Pos | None = None, *, path: str | None = None) -> None:
        self._add("error", message, pos, path)

    def warning(self, message: str, pos: Pos | None = None, *, path: str | None = None) -> None:
        self._add("warning", message, pos, path)

    def _add(
        self,
        severity: Literal["error", "warning"],
        message: str,
        pos: Pos | None,
        path: str | None,
    ) -> None:
        self.findings.append(
            Finding(
                path=path or self.shown,
                line=pos.line if pos else None,
                column=pos.column if pos else None,
                severity=severity,
                message=message,
                key=self.key,
            )
        )

    @property
    def failed(self) -> bool:
        return any(f.severity == "error" for f in self.findings)


def _read_text(b: _Builder) -> str | None:
    path = b.manifest
    if path.is_dir():
        b.error(f"is a directory, not a file: a manifest must be a file named {MANIFEST_NAME}")
        return None
    if path.exists() and not path.is_file():
        # Opening a FIFO would block forever; a device could be endless.
        b.error("is not a regular file (a FIFO, socket or device)")
        return None
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_MANIFEST_BYTES + 1)
    except OSError as exc:
        b.error(f"cannot read the manifest: {exc.strerror or exc}")
        return None
    if len(data) > MAX_MANIFEST_BYTES:
        b.error("the manifest is larger than 1 MiB: is this really a ctask.yaml?")
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        b.error(
            f"not valid UTF-8 (byte 0x{data[exc.start]:02x}): save the file as UTF-8",
            Pos(line, column),
        )
        return None


def _where(shown: str, pos: Pos | None) -> str:
    return f"{shown}:{pos.line}:{pos.column}" if pos else shown


def _default_key(folder: Path, repo_root: Path) -> str:
    try:
        rel = folder.relative_to(repo_root).as_posix()
    except ValueError:
        rel = ""
    return rel if rel and rel != "." else folder.name


def _check_globs(b: _Builder, doc: Document, section: str, patterns: list[str]) -> bool:
    ok = True
    for index, pattern in enumerate(patterns):
        try:
            check_pattern(pattern)
        except GlobError as exc:
            pos = doc.pos(("files", section, index))
            b.error(f"files.{section}[{index}]: '{pattern}' {exc}", pos)
            ok = False
    return ok


def _check_one(
    manifest: Path,
    repo_root: Path,
    ignored: frozenset[str],
    *,
    digest: bool = True,
    digests: DigestCache | None = None,
) -> _Checked:
    b = _Builder(manifest)
    folder = manifest.parent
    checked = _Checked(manifest=manifest, findings=b.findings)
    text = _read_text(b)
    if text is None:
        checked.is_task_folder = not manifest.is_dir()
        return checked
    try:
        doc = load(text)
    except YamlProblem as exc:
        b.error(exc.message, exc.pos)
        return checked
    for problem in doc.problems:
        b.error(problem.message, problem.pos)
    data = doc.value
    if data is None:
        b.error(
            "the manifest is empty: it needs at least name, target_type, language and "
            "environment (see docs/manifest.md)"
        )
        return checked
    if not isinstance(data, dict):
        b.error(
            "the manifest must be a mapping of keys (name: ...), "
            f"not {schemacheck.type_name(data)}",
            doc.pos(()),
        )
        return checked

    explicit_key = data.get("key")
    key = explicit_key if isinstance(explicit_key, str) else _default_key(folder, repo_root)
    b.key = key
    # A value YAML could not read was reported already; its schema error would only echo it.
    problems = [p for p in schemacheck.check(doc) if p.path not in doc.bad_values]
    for schema_problem in problems:
        b.error(schema_problem.message, schema_problem.pos)
    if explicit_key is None and not _KEY_RE.match(key):
        b.error(
            f"the folder path {key!r} cannot serve as the task key: set 'key' in the manifest "
            "(no leading or trailing '/' or spaces, no control characters)"
        )
    bad_paths = {p.path[:1] for p in problems}
    checked.key = key if ("key",) not in bad_paths else None
    checked.key_pos = doc.pos(("key",)) if "key" in data else None

    memory: int | None = None
    if ("maximum_memory",) not in bad_paths and data.get("maximum_memory") is not None:
        try:
            memory = parse_size(data["maximum_memory"])
        except ValueError as exc:
            b.error(
                f"maximum_memory: {schemacheck.show(data['maximum_memory'])} {exc}",
                doc.pos(("maximum_memory",)),
            )

    files_section: dict[str, Any] = data.get("files") or {}
    files_ok = ("files",) not in bad_paths and isinstance(files_section, dict)
    if files_ok:
        include_ok = _check_globs(b, doc, "include", files_section.get("include") or [])
        exclude_ok = _check_globs(b, doc, "exclude", files_section.get("exclude") or [])
        files_ok = include_ok and exclude_ok
    selected: tuple[FileEntry, ...] = ()
    if files_ok:
        selected = _select(b, doc, folder, files_section, ignored, digest=digest, digests=digests)

    _check_task_files(b, doc, data, selected)

    share = _share(b, doc, data) if ("share",) not in bad_paths else None
    if not b.failed:
        environment = data["environment"]
        checked.spec = TaskSpec(
            key=key,
            name=data["name"],
            target_type=data["target_type"],
            language=data["language"],
            description=data.get("description") or "",
            environment=EnvironmentRef(
                id=environment.get("id"),
                name=environment.get("name"),
                version_id=environment.get("version_id"),
                where=_where(
                    b.shown, doc.pos(("environment", "id" if "id" in environment else "name"))
                ),
            ),
            maximum_memory=memory,
            outbound_network_policy=data.get("outbound_network_policy"),
            required_metadata=dict(data.get("required_metadata") or {}),
            dependency_build=data.get("dependency_build") or "auto",
            folder=folder,
            manifest_path=manifest,
            files=selected,
            adopt=data.get("adopt"),
            blueprints=data.get("blueprints") or "leave",
            share=share,
        )
    return checked


def _share(b: _Builder, doc: Document, data: dict[str, Any]) -> tuple[ShareEntry, ...] | None:
    """The `share:` entries (None when absent); a user listed twice is an error."""
    raw = data.get("share")
    if raw is None:
        return None
    entries: list[ShareEntry] = []
    seen: set[str] = set()
    for i, item in enumerate(raw):
        username = item["username"].strip()
        if username.lower() in seen:
            b.error(f"share: {username} is listed twice", doc.pos(("share", i, "username")))
        seen.add(username.lower())
        entries.append(ShareEntry(username, item["role"], bool(item.get("can_share", True))))
    return tuple(entries)


def _check_task_files(
    b: _Builder, doc: Document, data: dict[str, Any], selected: tuple[FileEntry, ...]
) -> None:
    """What DRUM and DataRobot would refuse in the files, and files that should not go."""
    if not selected or any(f.path.endswith("/" + MANIFEST_NAME) for f in selected):
        return  # nothing to check, or a nested task folder: that error says what to do
    language = data.get("language")
    hooks = {f.path.rsplit("/", 1)[-1].lower() for f in selected if drum.is_hook(f.path)}
    if language == "python" and "custom.py" not in hooks:
        b.warning(
            "python task without custom.py: DRUM needs it for the fit/transform hooks "
            "unless the artifact alone is enough",
            doc.pos(("language",)),
        )
    elif language == "r" and "custom.r" not in hooks:
        b.warning(
            "r task without custom.R: DRUM needs it for the fit/transform hooks",
            doc.pos(("language",)),
        )
    found = [
        *drum.check_hook_files(selected, language),
        *drum.check_metadata(selected, data.get("target_type")),
        *checks.check_requirements(selected),
        *checks.check_credentials(selected),
    ]
    for finding in found:
        shown = display_path(b.manifest.parent / finding.path)
        if finding.severity == "error":
            b.error(finding.message, finding.pos, path=shown)
        else:
            b.warning(finding.message, finding.pos, path=shown)


def _select(
    b: _Builder,
    doc: Document,
    folder: Path,
    files_section: dict[str, Any],
    ignored: frozenset[str],
    *,
    digest: bool,
    digests: DigestCache | None = None,
) -> tuple[FileEntry, ...]:
    include_patterns: list[str] | None = files_section.get("include")
    exclude_patterns: list[str] = files_section.get("exclude") or []
    selection = select_files(
        folder,
        include=compile_all(include_patterns) if include_patterns else None,
        exclude=compile_all(exclude_patterns),
        ignored=ignored,
        digest=digest,
        digests=digests,
    )
    for problem in selection.problems:
        b.error(problem.message, path=display_path(folder / problem.path))
    for index in selection.unmatched_includes:
        pattern = (include_patterns or [])[index]
        b.error(
            f"files.include[{index}]: '{pattern}' matches no file "
            "(after the default ignores, .gitignore and files.exclude)",
            doc.pos(("files", "include", index)),
        )
    if not selection.files and not selection.problems:
        b.error(
            "the task has no files to upload (after the default ignores, .gitignore and "
            "files.exclude)",
            doc.key_pos(("files",)) if "files" in (doc.value or {}) else None,
        )
    return tuple(selection.files)


# A folder holding this file is another sync root: its tasks are not this root's.
ROOT_CONFIG_NAME = "ctask-sync.yaml"


def find_manifests(
    root: Path, ignored: frozenset[str], *, stop_at_roots: bool = False
) -> tuple[list[Path], list[Finding]]:
    """Every ctask.yaml under root, skipping .git, ignored folders and unfollowed symlinks
    (and, with stop_at_roots, folders below root that hold their own ctask-sync.yaml)."""
    found: list[Path] = []
    findings: list[Finding] = []
    stack = [str(root)]
    while stack:
        current = stack.pop()
        try:
            with os.scandir(current) as it:
                entries = list(it)
        except OSError as exc:
            findings.append(
                Finding(
                    display_path(current),
                    None,
                    None,
                    "error",
                    f"cannot list folder: {exc.strerror or exc}; ctask.yaml files in it "
                    "would be missed",
                )
            )
            continue
        for entry in entries:
            if entry.name == ".git" or entry.path in ignored:
                continue
            if entry.name == MANIFEST_NAME:
                found.append(Path(entry.path))
            elif entry.is_dir(follow_symlinks=False) and not is_default_ignored(
                entry.name, is_dir=True
            ):
                if stop_at_roots and os.path.exists(os.path.join(entry.path, ROOT_CONFIG_NAME)):
                    continue
                stack.append(entry.path)
    return sorted(found), findings


def _cross_check(results: list[_Checked], shown: dict[Path, str]) -> None:
    """Checks across manifests: task folders that nest, keys used twice."""
    folders = {r.manifest.parent: r for r in results if r.is_task_folder}
    for result in results:
        if not result.is_task_folder:
            continue
        for parent in result.manifest.parent.parents:
            outer = folders.get(parent)
            if outer is not None:
                message = (
                    f"task folder {display_path(result.manifest.parent)} is nested inside "
                    f"task folder {display_path(parent)} ({shown[outer.manifest]}): task "
                    "folders cannot nest, because DRUM searches for custom.py recursively; "
                    "move one of them"
                )
                _fail(result, message, None)
                outer.spec = None
                outer.conflict = (_finding(outer, message, None), result.manifest)
                break
    first_by_key: dict[str, _Checked] = {}
    for result in results:
        if result.key is None:
            continue
        first = first_by_key.setdefault(result.key, result)
        if first is not result:
            message = (
                f"duplicate key '{result.key}': {shown[first.manifest]} uses it too; "
                "keys must be unique in the repository (set a different 'key')"
            )
            _fail(result, message, result.key_pos)
            first.spec = None
            other = (
                f"duplicate key '{result.key}': {shown[result.manifest]} uses it too; "
                "keys must be unique in the repository (set a different 'key')"
            )
            first.conflict = (_finding(first, other, first.key_pos), result.manifest)


def _finding(result: _Checked, message: str, pos: Pos | None) -> Finding:
    return Finding(
        display_path(result.manifest),
        pos.line if pos else None,
        pos.column if pos else None,
        "error",
        message,
        result.key,
    )


def _fail(result: _Checked, message: str, pos: Pos | None) -> None:
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
) -> Discovery:
    """Find every ctask.yaml under root, validate all of them, select their files.

    Every problem of every manifest becomes a Finding; TaskSpecs are built only for valid
    manifests, and a manifest involved in a cross-manifest problem (nesting, duplicate key)
    yields none. With `only` (absolute manifest paths, as pre-commit passes them), every
    manifest is still checked, so that keys stay unique, but only those are reported.
    `digest=False` skips reading file contents (validate needs sizes, not digests).
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
    ignored = ignored_paths(root, in_git=toplevel is not None)
    manifests, walk_findings = find_manifests(root, ignored, stop_at_roots=stop_at_roots)
    # Digests of files unchanged since the last run come from .ctask-sync/ (digests.py).
    digests = DigestCache.open(base) if digest else None
    results = [_check_one(m, base, ignored, digest=digest, digests=digests) for m in manifests]
    if digests is not None:
        digests.save(scope=root)
    _cross_check(results, {r.manifest: display_path(r.manifest) for r in results})
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
