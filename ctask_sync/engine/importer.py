"""`ctask-sync import`: existing DataRobot tasks -> task folders with a complete ctask.yaml.

Read-only on DataRobot (one list, one zip per task). Every check runs before the first file is
written, and a folder that exists is never written into: each task lands in a new folder, made
under a temporary name and renamed into place once complete. The manifest names the task with
`adopt:`, so the next apply takes it over instead of creating a second one."""

from __future__ import annotations

import fnmatch
import re
import shutil
import tempfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from ctask_sync.datarobot.client import DataRobotClient
from ctask_sync.datarobot.models import CustomTask, CustomTaskVersion
from ctask_sync.engine.plan import TARGET_TYPES
from ctask_sync.engine.remote import owner_of, remote_custom_task, user_description
from ctask_sync.engine.syncrecord import Owner, latest_record
from ctask_sync.errors import CtaskSyncError
from ctask_sync.manifest.discovery import discover
from ctask_sync.manifest.files import MANIFEST_NAME
from ctask_sync.manifest.spec import display_path
from ctask_sync.words import plural


@dataclass(frozen=True)
class Imported:
    task_id: str
    name: str
    folder: Path
    files: int
    warnings: tuple[str, ...] = ()


def _owner(task: CustomTask) -> Owner | None:
    remote = remote_custom_task(task)
    return owner_of(remote, latest_record(remote))


def select(
    tasks: Sequence[CustomTask],
    task_ids: Sequence[str],
    *,
    unowned: bool,
    name_filter: str | None,
) -> list[CustomTask]:
    """The tasks to import: those named by id (each must exist and be unowned), plus with
    unowned every task no namespace owns whose name matches name_filter."""
    by_id = {t.id: t for t in tasks}
    problems: list[str] = []
    chosen: dict[str, CustomTask] = {}
    for task_id in task_ids:
        task = by_id.get(task_id)
        if task is None:
            problems.append(f"task {task_id} is not in DataRobot (or this token cannot see it)")
            continue
        owner = _owner(task)
        if owner is not None:
            problems.append(
                f"task {task_id} ({task.name!r}) is synced already by namespace "
                f"{owner.namespace} as key {owner.key}: it has a folder in that namespace's root"
            )
            continue
        chosen[task.id] = task
    if unowned:
        for task in tasks:
            if _owner(task) is not None:
                continue
            if name_filter is None or fnmatch.fnmatchcase(task.name, name_filter):
                chosen.setdefault(task.id, task)
    if problems:
        raise CtaskSyncError(
            "nothing was imported:\n  " + "\n  ".join(problems),
            hint="check the ids with `ctask-sync import --unowned` or in DataRobot",
        )
    return sorted(chosen.values(), key=lambda t: (t.name, t.id))


def folder_name(name: str, task_id: str) -> str:
    """A folder name from a task's display name: lower case, words joined by '-'."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug[:60].strip("-") or f"task-{task_id}"


def _folders(tasks: Sequence[CustomTask], dest: Path) -> dict[str, Path]:
    taken: set[str] = set()
    folders: dict[str, Path] = {}
    clashes: list[str] = []
    for task in tasks:
        base = folder_name(task.name, task.id)
        name, n = base, 2
        while name in taken:
            name, n = f"{base}-{n}", n + 1
        taken.add(name)
        folders[task.id] = dest / name
        if (dest / name).exists():
            clashes.append(f"{display_path(dest / name)} (for task {task.id}, {task.name!r})")
    if clashes:
        raise CtaskSyncError(
            "nothing was imported: import never writes into a folder that exists:\n  "
            + "\n  ".join(clashes),
            hint="import into another folder (ctask-sync import OTHER_FOLDER ...), or move "
            "those folders away",
        )
    return folders


def _version(task: CustomTask) -> CustomTaskVersion:
    latest = task.latest_version
    if latest is None or not latest.base_environment_id:
        raise CtaskSyncError(
            f"task {task.id} ({task.name!r}) has no version with an environment: there is "
            "nothing to import",
            hint="import it once it has a version, or create it from a new folder instead",
        )
    if task.target_type.lower() not in TARGET_TYPES:
        raise CtaskSyncError(f"task {task.id}: target type {task.target_type!r} is not supported")
    return latest


def manifest_data(task: CustomTask, latest: CustomTaskVersion, key: str) -> dict[str, Any]:
    """A complete ctask.yaml for task, in the order docs/manifest.md shows."""
    language = (task.language or "").lower()
    data: dict[str, Any] = {
        "adopt": task.id,
        "key": key,
        "name": task.name,
        "target_type": task.target_type.lower(),
        "language": language if language in ("python", "r") else "other",
        "description": user_description(task.description),
        "environment": {"id": latest.base_environment_id},
    }
    if latest.maximum_memory is not None:
        data["maximum_memory"] = latest.maximum_memory
    if latest.outbound_network_policy is not None:
        data["outbound_network_policy"] = latest.outbound_network_policy
    if latest.required_metadata:
        data["required_metadata"] = dict(latest.required_metadata)
    return data


def _extract(archive: Path, into: Path, task: CustomTask) -> int:
    """Unzip a version into a new folder; a path that would escape it, or a ctask.yaml that
    would clash with ours, is an error."""
    count = 0
    with zipfile.ZipFile(archive) as zf:
        for info in zf.infolist():
            if info.is_dir():
                continue
            rel = PurePosixPath(info.filename)
            if rel.is_absolute() or ".." in rel.parts or "\\" in info.filename:
                raise CtaskSyncError(f"task {task.id}: the zip holds an unsafe path {rel}")
            if rel.as_posix() == MANIFEST_NAME:
                raise CtaskSyncError(
                    f"task {task.id}: its files hold a {MANIFEST_NAME} of their own; "
                    "ctask-sync cannot write its manifest beside it"
                )
            target = into / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(info) as src, open(target, "wb") as out:
                shutil.copyfileobj(src, out)
            count += 1
    return count


def _key(folder: Path, repo_root: Path) -> str:
    try:
        return folder.relative_to(repo_root).as_posix()
    except ValueError:
        return folder.name


def _unmatched(folder: Path, repo_root: Path, downloaded: set[str]) -> tuple[str, ...]:
    """Warnings when the folder would not upload exactly what the task holds."""
    found = discover(folder, repo_root=repo_root)
    problems = [f.format() for f in found.errors]
    uploaded = {f.path for t in found.tasks for f in t.files}
    skipped = sorted(downloaded - uploaded)
    if skipped:
        problems.append(
            f"{plural(len(skipped), 'file')} {'is' if len(skipped) == 1 else 'are'} ignored by "
            "default or by .gitignore and would not be "
            f"uploaded ({', '.join(skipped[:5])}): the next apply makes a version without them "
            "unless files.include lists them"
        )
    return tuple(problems)


def import_tasks(
    client: DataRobotClient, tasks: Sequence[CustomTask], dest: Path, repo_root: Path
) -> list[Imported]:
    """Download each task's latest version into a new folder under dest with its manifest."""
    folders = _folders(tasks, dest)
    versions = {t.id: _version(t) for t in tasks}
    done: list[Imported] = []
    dest.mkdir(parents=True, exist_ok=True)
    for task in tasks:
        folder = folders[task.id]
        latest = versions[task.id]
        with tempfile.TemporaryDirectory(prefix=".ctask-sync-import-", dir=dest) as tmp:
            archive = Path(tmp) / "latest.zip"
            client.download_version(task.id, latest.id, archive)
            staged = Path(tmp) / "task"
            staged.mkdir()
            count = _extract(archive, staged, task)
            names = {p.relative_to(staged).as_posix() for p in staged.rglob("*") if p.is_file()}
            data = manifest_data(task, latest, _key(folder, repo_root))
            text = (
                f"# Imported from DataRobot task {task.id} by `ctask-sync import`: the next\n"
                "# apply takes that task over (adopt:) instead of creating a new one.\n"
                + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
            )
            (staged / MANIFEST_NAME).write_text(text, "utf-8")
            if folder.exists():  # made meanwhile: never written into, never replaced
                raise CtaskSyncError(f"{display_path(folder)} appeared during the import")
            staged.rename(folder)  # the folder appears complete, or not at all
        warnings = _unmatched(folder, repo_root, names)
        done.append(Imported(task.id, task.name, folder, count, warnings))
    return done
