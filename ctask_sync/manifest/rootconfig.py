"""The sync root: the folder one run syncs, marked by a committed `ctask-sync.yaml`.

The root is the nearest folder at or above PATH that holds `ctask-sync.yaml` (never above the
git top level), else the git top level (PATH itself outside git). Its config names the
namespace, so a laptop, a fresh clone and CI resolve the same one for the same root."""

from __future__ import annotations

from pathlib import Path

import msgspec

from ctask_sync.errors import ConfigError, ManifestError
from ctask_sync.git import git_toplevel
from ctask_sync.manifest import schemacheck
from ctask_sync.manifest.spec import Finding, display_path
from ctask_sync.manifest.yamlpos import Pos, YamlProblem, load

__all__ = ["LOCAL_NAMESPACE", "ROOT_CONFIG_NAME", "SyncRoot", "find_root", "resolve_namespace"]
# The embedded emulator needs no namespace from the user: its tasks live on this machine only.
LOCAL_NAMESPACE = "local"
_MAX_CONFIG_BYTES = 64 * 1024
# A folder holding this file is another sync root: its tasks are not this root's.
ROOT_CONFIG_NAME = "ctask-sync.yaml"


class SyncRoot(msgspec.Struct, frozen=True):
    folder: Path  # absolute
    repo_root: Path  # the git top level (folder itself outside git)
    config_file: Path | None  # None: no ctask-sync.yaml, the root is the git top level
    namespace: str | None  # from ctask-sync.yaml

    @property
    def name(self) -> str:
        """The root as sync records name it: its path below the git top level, "." for the top."""
        try:
            rel = self.folder.relative_to(self.repo_root).as_posix()
        except ValueError:
            return "."
        return rel or "."


def find_root(path: Path) -> SyncRoot:
    """The sync root of path, its ctask-sync.yaml loaded and validated (ManifestError when not)."""
    start = Path(path).resolve()
    toplevel = git_toplevel(start)
    current = start
    while True:
        config = current / ROOT_CONFIG_NAME
        if config.exists():
            return SyncRoot(
                folder=current,
                repo_root=toplevel or current,
                config_file=config,
                namespace=load_namespace(config),
            )
        if current == toplevel or current.parent == current:
            break
        current = current.parent
    folder = toplevel or start
    return SyncRoot(folder=folder, repo_root=folder, config_file=None, namespace=None)


def _finding(config: Path, message: str, pos: Pos | None = None) -> Finding:
    return Finding(
        display_path(config),
        pos.line if pos else None,
        pos.column if pos else None,
        "error",
        message,
    )


def load_namespace(config: Path) -> str:
    """The namespace of a ctask-sync.yaml, after checking it against its schema."""
    findings: list[Finding] = []
    try:
        if not config.is_file():
            raise OSError(f"{ROOT_CONFIG_NAME} is not a regular file")
        with open(config, "rb") as handle:
            data = handle.read(_MAX_CONFIG_BYTES + 1)
        if len(data) > _MAX_CONFIG_BYTES:
            raise OSError("larger than 64 KiB: is this really a ctask-sync.yaml?")
        text = data.decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        findings.append(_finding(config, f"cannot read the root config: {why}"))
        raise _invalid(findings) from exc
    try:
        doc = load(text)
    except YamlProblem as exc:
        findings.append(_finding(config, exc.message, exc.pos))
        raise _invalid(findings) from exc
    findings.extend(_finding(config, p.message, p.pos) for p in doc.problems)
    if not isinstance(doc.value, dict):
        findings.append(
            _finding(
                config,
                "ctask-sync.yaml must be a mapping holding at least `namespace: <owner/name>` "
                "(run `ctask-sync init` to write one)",
            )
        )
    else:
        problems = schemacheck.check(doc, schemacheck.ROOT_SCHEMA_RESOURCE)
        findings.extend(_finding(config, p.message, p.pos) for p in problems)
    if findings:
        raise _invalid(findings)
    namespace: str = doc.value["namespace"]
    return namespace


def _invalid(findings: list[Finding]) -> ManifestError:
    return ManifestError(
        f"{len(findings)} problem{'' if len(findings) == 1 else 's'} in the root config; "
        "nothing was written to DataRobot:\n" + "\n".join(f.format() for f in findings),
        findings=list[object](findings),
    )


def resolve_namespace(explicit: str | None, root: SyncRoot, *, embedded: bool) -> tuple[str, str]:
    """(namespace, where it came from): --namespace or CTASK_SYNC_NAMESPACE (passed in as
    explicit), then ctask-sync.yaml, then, for the embedded emulator only, a local default."""
    if explicit:
        return explicit, "--namespace or CTASK_SYNC_NAMESPACE"
    if root.namespace:
        assert root.config_file is not None
        return root.namespace, display_path(root.config_file)
    if embedded:
        return LOCAL_NAMESPACE, "the embedded emulator's default"
    raise ConfigError(
        f"no namespace for {display_path(root.folder)}: no {ROOT_CONFIG_NAME} at or above it, "
        "no --namespace and no CTASK_SYNC_NAMESPACE",
        hint=f"run `ctask-sync init {display_path(root.folder)}` to write {ROOT_CONFIG_NAME} "
        "with the namespace that owns this root's tasks, and commit it",
    )


def root_config_findings(starts: list[Path]) -> list[Finding]:
    """The problems of each ctask-sync.yaml that governs one of `starts` (the nearest at or
    above it, up to the git top level), each file once: `plan` and `apply` stop on them, so
    `validate` and the action's validate-only runs (a fork's pull request) report them with the
    manifests'."""
    governing: dict[Path, Path | None] = {}  # folder -> its root config, memoised upwards
    configs: dict[Path, None] = {}
    for start in starts:
        config = _governing_config(start.resolve(), governing)
        if config is not None:
            configs.setdefault(config)
    findings: list[Finding] = []
    for config in configs:
        try:
            load_namespace(config)
        except ManifestError as error:
            findings.extend(f for f in error.findings if isinstance(f, Finding))
    return findings


def _governing_config(folder: Path, governing: dict[Path, Path | None]) -> Path | None:
    """find_root's walk: up to the folder holding `.git` (the git top level) or to /."""
    climbed: list[Path] = []
    current = folder
    found: Path | None = None
    while True:
        if current in governing:
            found = governing[current]
            break
        climbed.append(current)
        if (current / ROOT_CONFIG_NAME).exists():
            found = current / ROOT_CONFIG_NAME
            break
        if current.parent == current or (current / ".git").exists():
            break
        current = current.parent
    for passed in climbed:
        governing[passed] = found
    return found
