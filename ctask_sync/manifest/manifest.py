"""Load one ctask.yaml (with positions), check it and its files, build its TaskSpec."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

import msgspec

from ctask_sync.manifest import checks, drum, schemacheck
from ctask_sync.manifest.digests import DigestCache
from ctask_sync.manifest.files import MANIFEST_NAME, FileEntry, select_files
from ctask_sync.manifest.globs import GlobError, check_pattern, compile_all
from ctask_sync.manifest.spec import (
    EnvironmentRef,
    Finding,
    ShareEntry,
    TaskSpec,
    display_path,
    parse_size,
)
from ctask_sync.manifest.yamlpos import Document, Pos, YamlProblem, load

__all__ = ["Checked", "check_manifest"]

# A manifest is a few hundred bytes; refusing huge ones keeps a stray file from eating memory.
MAX_MANIFEST_BYTES = 1024 * 1024

_KEY_RE = re.compile(r"^[^\s/\x00-\x1f\x7f]([^\x00-\x1f\x7f]*[^\s/\x00-\x1f\x7f])?$")


class Checked(msgspec.Struct):
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


def check_manifest(
    manifest: Path,
    repo_root: Path,
    ignored: frozenset[str],
    *,
    digest: bool = True,
    digests: DigestCache | None = None,
) -> Checked:
    """One manifest's own checks (cross-manifest ones are discovery's) and, if valid, its spec."""
    b = _Builder(manifest)
    folder = manifest.parent
    checked = Checked(manifest=manifest, findings=b.findings)
    loaded = _load_mapping(b, checked)
    if loaded is None:
        return checked
    doc, data = loaded

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

    memory = _memory(b, doc, data) if ("maximum_memory",) not in bad_paths else None
    selected: tuple[FileEntry, ...] = ()
    if ("files",) not in bad_paths:
        selected = _files(b, doc, data, ignored, digest=digest, digests=digests)
    _check_task_files(b, doc, data, selected)
    share = _share(b, doc, data) if ("share",) not in bad_paths else None
    if not b.failed:
        checked.spec = _spec(b, doc, data, key, memory, selected, share)
    return checked


def _load_mapping(b: _Builder, checked: Checked) -> tuple[Document, dict[str, Any]] | None:
    """The manifest's YAML document and its top-level mapping; None (reported) when unreadable."""
    text = _read_text(b)
    if text is None:
        checked.is_task_folder = not b.manifest.is_dir()
        return None
    try:
        doc = load(text)
    except YamlProblem as exc:
        b.error(exc.message, exc.pos)
        return None
    for problem in doc.problems:
        b.error(problem.message, problem.pos)
    data = doc.value
    if data is None:
        b.error(
            "the manifest is empty: it needs at least name, target_type, language and "
            "environment (see docs/manifest.md)"
        )
        return None
    if not isinstance(data, dict):
        b.error(
            "the manifest must be a mapping of keys (name: ...), "
            f"not {schemacheck.type_name(data)}",
            doc.pos(()),
        )
        return None
    return doc, data


def _memory(b: _Builder, doc: Document, data: dict[str, Any]) -> int | None:
    """`maximum_memory` in bytes (None when absent or not a size, which is reported)."""
    if data.get("maximum_memory") is None:
        return None
    try:
        return parse_size(data["maximum_memory"])
    except ValueError as exc:
        b.error(
            f"maximum_memory: {schemacheck.show(data['maximum_memory'])} {exc}",
            doc.pos(("maximum_memory",)),
        )
        return None


def _files(
    b: _Builder,
    doc: Document,
    data: dict[str, Any],
    ignored: frozenset[str],
    *,
    digest: bool,
    digests: DigestCache | None,
) -> tuple[FileEntry, ...]:
    """The task's files when `files:` and its globs are valid, else none."""
    files_section: dict[str, Any] = data.get("files") or {}
    if not isinstance(files_section, dict):
        return ()
    include_ok = _check_globs(b, doc, "include", files_section.get("include") or [])
    exclude_ok = _check_globs(b, doc, "exclude", files_section.get("exclude") or [])
    if not (include_ok and exclude_ok):
        return ()
    folder = b.manifest.parent
    return _select(b, doc, folder, files_section, ignored, digest=digest, digests=digests)


def _spec(
    b: _Builder,
    doc: Document,
    data: dict[str, Any],
    key: str,
    memory: int | None,
    selected: tuple[FileEntry, ...],
    share: tuple[ShareEntry, ...] | None,
) -> TaskSpec:
    """The TaskSpec of a manifest that passed every check."""
    environment = data["environment"]
    return TaskSpec(
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
        folder=b.manifest.parent,
        manifest_path=b.manifest,
        files=selected,
        adopt=data.get("adopt"),
        blueprints=data.get("blueprints") or "leave",
        share=share,
    )


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
