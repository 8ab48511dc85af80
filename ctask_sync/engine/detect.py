"""Change detection: how each task's files differ from DataRobot's latest version.

The cheapest sound source wins (DESIGN.md's chain): the sync record's content digest (no request),
its per-file digests, git history since the recorded commit, and last the exact fallback of
downloading the latest version's zip. All give the same answer; only the cost differs."""

from __future__ import annotations

import difflib
import hashlib
import tempfile
import zipfile
from collections.abc import Iterable
from pathlib import Path

from ctask_sync import git as gitinfo
from ctask_sync.datarobot.client import DataRobotClient
from ctask_sync.datarobot.models import ExecutionEnvironment
from ctask_sync.engine.model import BuildStatus, FileDiff, build_status
from ctask_sync.engine.plan import wants_build
from ctask_sync.engine.remote import RemoteTask
from ctask_sync.engine.syncrecord import SyncRecord, short_digest
from ctask_sync.errors import CtaskSyncError
from ctask_sync.git import GitInfo
from ctask_sync.manifest.spec import TaskSpec

_CHUNK = 1 << 20
# frozen: one value answers every task whose record matches (most of them, in a large run)
_RECORD_MATCHES = FileDiff(source="record")


def _diff_from_digests(
    spec: TaskSpec, remote_digests: dict[str, str], short: bool
) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    local = {f.path: (short_digest(f.digest) if short else f.digest) for f in spec.files}
    added = tuple(sorted(set(local) - set(remote_digests)))
    removed = tuple(sorted(set(remote_digests) - set(local)))
    changed = tuple(
        sorted(p for p in set(local) & set(remote_digests) if local[p] != remote_digests[p])
    )
    return added, changed, removed


def renames(
    added: tuple[str, ...],
    removed: tuple[str, ...],
    local: dict[str, str],
    remote: dict[str, str],
) -> tuple[tuple[str, str], ...]:
    """(old, new) pairs of a removed and an added path whose contents are equal; each path in
    at most one pair, matched in path order so the answer is deterministic."""
    by_digest: dict[str, list[str]] = {}
    for path in removed:
        if path in remote:
            by_digest.setdefault(remote[path], []).append(path)
    pairs: list[tuple[str, str]] = []
    for path in added:
        olds = by_digest.get(local.get(path, ""))
        if olds:
            pairs.append((olds.pop(0), path))
    return tuple(sorted(pairs))


def _digest_diff(
    spec: TaskSpec, remote_digests: dict[str, str], *, short: bool, source: str
) -> FileDiff:
    added, changed, removed = _diff_from_digests(spec, remote_digests, short)
    local = {f.path: (short_digest(f.digest) if short else f.digest) for f in spec.files}
    return FileDiff(
        added,
        changed,
        removed,
        source=source,
        renamed=renames(added, removed, local, remote_digests),
    )


def zip_digests(archive: Path) -> dict[str, str]:
    """path -> "sha256:<hex>" for every file in a downloaded version zip, read in chunks."""
    digests: dict[str, str] = {}
    with zipfile.ZipFile(archive) as zf:
        for info in zf.infolist():
            if info.is_dir():
                continue
            h = hashlib.sha256()
            with zf.open(info) as member:
                while chunk := member.read(_CHUNK):
                    h.update(chunk)
            digests[info.filename] = f"sha256:{h.hexdigest()}"
    return digests


def recorded_diff(spec: TaskSpec, remote: RemoteTask | None) -> FileDiff | None:
    """The diff when it is known without git or a request (a new task, or the sync record
    answers); None when file_diff must ask git or download the latest version."""
    latest = remote.latest if remote else None
    if remote is None or latest is None:
        return FileDiff(added=tuple(f.path for f in spec.files), source="new")
    record = remote.record
    if record is None:
        return None
    if record.content == spec.content:
        return _RECORD_MATCHES
    if record.files is not None and set(record.files) == {i.file_path for i in latest.items}:
        return _digest_diff(spec, record.files, short=True, source="record")
    return None


def file_diff(
    spec: TaskSpec,
    remote: RemoteTask | None,
    client: DataRobotClient,
    git: GitInfo,
) -> FileDiff:
    """How spec's files differ from remote's latest version."""
    known = recorded_diff(spec, remote)
    if known is not None:
        return known
    assert remote is not None and remote.latest is not None  # recorded_diff answers otherwise
    latest = remote.latest
    record = remote.record
    remote_paths = {item.file_path for item in latest.items}
    if record is not None:
        git_diff = _diff_from_git(spec, record, remote_paths, git)
        if git_diff is not None:
            return git_diff
    with tempfile.TemporaryDirectory(prefix="ctask-sync-") as tmp:
        archive = Path(tmp) / "latest.zip"
        client.download_version(remote.task.id, latest.id, archive)
        try:
            digests = zip_digests(archive)
        except zipfile.BadZipFile as exc:
            raise CtaskSyncError(
                f"{spec.key}: the zip of version {latest.label} downloaded from DataRobot is "
                f"damaged ({exc})",
                hint="run again; if it persists, check the version in DataRobot",
            ) from exc
    return _digest_diff(spec, digests, short=False, source="download")


def _diff_from_git(
    spec: TaskSpec, record: SyncRecord, remote_paths: set[str], git: GitInfo
) -> FileDiff | None:
    """Diff via git history since the recorded commit, when that commit is known locally and
    the record was written from a clean tree at it."""
    if not record.commit or record.dirty or git.commit is None:
        return None
    touched = gitinfo.changed_paths(git.repo_root, record.commit, spec.folder)
    if touched is None:
        return None
    local = {f.path for f in spec.files}
    added = tuple(sorted(local - remote_paths))
    removed = tuple(sorted(remote_paths - local))
    changed = tuple(sorted((local & remote_paths) & touched))
    # the record's per-file digests (when present) still name a renamed file's old content
    pairs: tuple[tuple[str, str], ...] = ()
    if record.files is not None:
        digests = {f.path: short_digest(f.digest) for f in spec.files}
        pairs = renames(added, removed, digests, record.files)
    return FileDiff(added, changed, removed, source="git", renamed=pairs)


def build_state(
    spec: TaskSpec, remote: RemoteTask | None, client: DataRobotClient
) -> BuildStatus | None:
    """The latest version's dependency build, when the version needs one (else None).

    A final outcome in the sync record costs no request; otherwise (a build started with
    --no-wait, a run interrupted during the wait, a record from an older ctask-sync, or no
    record) one GET of the build's status."""
    if not build_needs_request(spec, remote):
        return recorded_build(spec, remote)
    assert remote is not None and remote.latest is not None
    build = client.get_dependency_build(remote.task.id, remote.latest.id)
    return build_status(build.build_status if build is not None else None)


def build_needs_request(spec: TaskSpec, remote: RemoteTask | None) -> bool:
    """Whether build_state must ask DataRobot: the version needs a build and the sync record
    holds no final outcome."""
    latest = remote.latest if remote else None
    if remote is None or latest is None or not wants_build(spec, latest.dependencies):
        return False
    record = remote.record
    return record is None or record.build_outcome not in ("success", "failed")


def recorded_build(spec: TaskSpec, remote: RemoteTask | None) -> BuildStatus | None:
    """build_state's answer when build_needs_request is False."""
    latest = remote.latest if remote else None
    if remote is None or latest is None or not wants_build(spec, latest.dependencies):
        return None
    assert remote.record is not None
    return "success" if remote.record.build_outcome == "success" else "failed"


def _name_problem(
    name: str, matches: list[ExecutionEnvironment], by_name: dict[str, list[ExecutionEnvironment]]
) -> str:
    if matches:
        ids = ", ".join(sorted(e.id for e in matches))
        return f"{len(matches)} execution environments are named {name!r} ({ids}); give its id"
    close = difflib.get_close_matches(name, list(by_name), n=1, cutoff=0.6)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"no execution environment is named {name!r}{hint}"


def resolve_environments(
    specs: Iterable[TaskSpec], environments: list[ExecutionEnvironment]
) -> dict[str, str]:
    """key -> environment id, resolving names once per run; unknown ids or names are errors."""
    by_id = {env.id: env for env in environments}
    by_name: dict[str, list[ExecutionEnvironment]] = {}
    for env in environments:
        by_name.setdefault(env.name, []).append(env)
    resolved: dict[str, str] = {}
    problems: list[str] = []
    for spec in specs:
        ref = spec.environment
        where = f"{ref.where}: " if ref.where else ""
        if ref.id is not None:
            if ref.id not in by_id:
                problems.append(
                    f"{where}{spec.key}: environment id {ref.id} is not an execution "
                    "environment this DataRobot user can see"
                )
                continue
            env = by_id[ref.id]
        else:
            matches = by_name.get(ref.name or "", [])
            if len(matches) != 1:
                problems.append(
                    f"{where}{spec.key}: " + _name_problem(ref.name or "", matches, by_name)
                )
                continue
            env = matches[0]
        missing = sorted(set(env.required_metadata_keys) - set(spec.required_metadata))
        if missing:
            problems.append(
                f"{spec.key}: environment {env.name!r} requires metadata "
                + ", ".join(missing)
                + "; add them under required_metadata in the manifest"
            )
            continue
        resolved[spec.key] = env.id
    if problems:
        raise CtaskSyncError(
            "cannot resolve execution environments:\n  " + "\n  ".join(problems),
            hint="`ctask-sync environments` lists the names and ids this token can use",
        )
    return resolved
