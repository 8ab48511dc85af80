"""The emulator's state behind one lock, optionally persisted to a directory.

Persisted layout: `environments.json`, `images.json` (the reuse-builds record), `users.json`,
`blueprints.json` and one `tasks/<id>.json` per task, each rewritten atomically (temp file +
rename) when a write that touched it commits. A killed emulator therefore restarts with every
acknowledged write, and a write costs the size of one task, not of the whole state.

The same rule (a write that changes a task names it) keeps `listing`, the task list's cache,
right: the write drops that task's entry."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any

from ctask_sync.emulator.blobs import BlobStore, DirBlobStore
from ctask_sync.emulator.model import BlueprintRecord, EnvironmentRecord, State, TaskRecord
from ctask_sync.emulator.seed import seed_state
from ctask_sync.emulator.task_cache import TaskListCache

ENVIRONMENTS_FILE = "environments.json"
IMAGES_FILE = "images.json"
USERS_FILE = "users.json"
BLUEPRINTS_FILE = "blueprints.json"
TASKS_DIR = "tasks"


class Store:
    """Owns the State; `read()` and `write()` are the only ways to reach it. A write that
    changes a task must name it (`write(task=...)`): that persists it and refreshes `listing`."""

    def __init__(
        self,
        state_dir: Path | None,
        owner: str = "emulator-user@example.com",
        users: tuple[str, ...] = (),
    ) -> None:
        self._lock = threading.RLock()
        self._dir = state_dir
        self._seed_users = (owner, users)
        self.listing = TaskListCache()
        if state_dir is None:
            self.blobs: BlobStore = BlobStore()
            self._state = seed_state(owner, users)
            return
        state_dir.mkdir(parents=True, exist_ok=True)
        self.blobs = DirBlobStore(state_dir / "blobs")
        if (state_dir / ENVIRONMENTS_FILE).exists():
            self._state = self._load(state_dir)
            # The directory follows the settings of this run: a renamed owner or a newly
            # configured user is there without a reset.
            self._state.users.update(seed_state(owner, users).users)
            self._write_json(USERS_FILE, self._state.users)
        else:
            self._state = seed_state(owner, users)
            self._save_all()

    @contextmanager
    def read(self) -> Iterator[State]:
        """Hold the lock to read a consistent state."""
        with self._lock:
            yield self._state

    @contextmanager
    def write(
        self,
        *,
        task: str | None = None,
        environments: bool = False,
        users: bool = False,
        blueprints: bool = False,
    ) -> Iterator[State]:
        """Hold the lock to change the state; what the block changed (the task with id `task`,
        the environments, users, blueprints) is persisted when it ends without error.

        Handlers validate before they mutate, so an error leaves the state untouched."""
        with self._lock:
            images = len(self._state.built_images)
            try:
                yield self._state
            finally:
                # Even after an error: a cache entry may only outlive a write that kept the task.
                if task is not None:
                    self.listing.forget(task)
            if self._dir is None:
                return
            if task is not None:
                self._save_task(task)
            if environments:
                self._write_json(ENVIRONMENTS_FILE, self._environments_data())
            if users:
                self._write_json(USERS_FILE, self._state.users)
            if blueprints:
                self._write_json(BLUEPRINTS_FILE, self._blueprints_data())
            if len(self._state.built_images) != images:
                self._write_json(IMAGES_FILE, self._state.built_images)

    def reset(self) -> None:
        """Back to the seed: environments only, no tasks, no blobs."""
        with self._lock:
            self._state = seed_state(*self._seed_users)
            self.listing.clear()
            self.blobs.clear()
            if self._dir is not None:
                shutil.rmtree(self._dir / TASKS_DIR, ignore_errors=True)
                self._save_all()

    def _environments_data(self) -> list[dict[str, Any]]:
        return [_as_dict(e) for e in self._state.environments.values()]

    def _blueprints_data(self) -> list[dict[str, Any]]:
        return [_as_dict(b) for b in self._state.blueprints.values()]

    def _save_all(self) -> None:
        assert self._dir is not None
        (self._dir / TASKS_DIR).mkdir(exist_ok=True)
        self._write_json(ENVIRONMENTS_FILE, self._environments_data())
        self._write_json(IMAGES_FILE, self._state.built_images)
        self._write_json(USERS_FILE, self._state.users)
        self._write_json(BLUEPRINTS_FILE, self._blueprints_data())
        for task_id in self._state.tasks:
            self._save_task(task_id)

    def _save_task(self, task_id: str) -> None:
        assert self._dir is not None
        record = self._state.tasks.get(task_id)
        name = f"{TASKS_DIR}/{task_id}.json"
        if record is None:
            (self._dir / name).unlink(missing_ok=True)
        else:
            self._write_json(name, _as_dict(record))

    def _write_json(self, name: str, data: object) -> None:
        assert self._dir is not None
        target = self._dir / name
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(data, out, separators=(",", ":"))
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    @staticmethod
    def _load(state_dir: Path) -> State:
        envs = json.loads((state_dir / ENVIRONMENTS_FILE).read_text(encoding="utf-8"))
        images_path = state_dir / IMAGES_FILE
        images = json.loads(images_path.read_text("utf-8")) if images_path.exists() else {}
        users = _optional_json(state_dir / USERS_FILE, {})
        blueprints = _optional_json(state_dir / BLUEPRINTS_FILE, [])
        tasks = [
            TaskRecord.from_dict(json.loads(p.read_text(encoding="utf-8")))
            for p in (state_dir / TASKS_DIR).glob("*.json")
        ]
        # Dicts keep creation order, which listing relies on to break timestamp ties.
        tasks.sort(key=lambda t: (t.created, t.id))
        return State(
            environments={e.id: e for e in map(EnvironmentRecord.from_dict, envs)},
            tasks={t.id: t for t in tasks},
            built_images=dict(images),
            users=dict(users),
            blueprints={b.id: b for b in map(BlueprintRecord.from_dict, blueprints)},
        )


def _optional_json(path: Path, default: Any) -> Any:
    """A state file that older state directories may not have yet."""
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else default


def _as_dict(record: EnvironmentRecord | TaskRecord | BlueprintRecord) -> dict[str, Any]:
    return asdict(record)
