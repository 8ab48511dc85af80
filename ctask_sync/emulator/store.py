"""The emulator's state behind one lock, optionally persisted to a directory.

Persistence writes `state.json` atomically (temp file + rename) after every committed change,
so a killed emulator restarts with every write that was acknowledged."""

from __future__ import annotations

import json
import os
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ctask_sync.emulator.blobs import BlobStore, DirBlobStore
from ctask_sync.emulator.model import State
from ctask_sync.emulator.seed import seed_state

STATE_FILE = "state.json"


class Store:
    """Owns the State; `read()` and `write()` are the only ways to reach it."""

    def __init__(self, state_dir: Path | None) -> None:
        self._lock = threading.RLock()
        self._dir = state_dir
        if state_dir is None:
            self.blobs: BlobStore = BlobStore()
            self._state = seed_state()
            return
        state_dir.mkdir(parents=True, exist_ok=True)
        self.blobs = DirBlobStore(state_dir / "blobs")
        path = state_dir / STATE_FILE
        if path.exists():
            self._state = State.from_dict(json.loads(path.read_text(encoding="utf-8")))
        else:
            self._state = seed_state()
            self._save()

    @contextmanager
    def read(self) -> Iterator[State]:
        """Hold the lock to read a consistent state."""
        with self._lock:
            yield self._state

    @contextmanager
    def write(self) -> Iterator[State]:
        """Hold the lock to change the state; persisted when the block ends without error.

        Handlers validate before they mutate, so an error leaves the state untouched."""
        with self._lock:
            yield self._state
            self._save()

    def reset(self) -> None:
        """Back to the seed: environments only, no tasks, no blobs."""
        with self._lock:
            self._state = seed_state()
            self.blobs.clear()
            self._save()

    def _save(self) -> None:
        if self._dir is None:
            return
        text = json.dumps(self._state.to_dict(), separators=(",", ":"))
        fd, tmp = tempfile.mkstemp(dir=self._dir, prefix=".state-", suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(text)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, self._dir / STATE_FILE)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
