"""The sync record's `dirty` says whether a tracked file differed from HEAD when the version was
made; untracked files elsewhere in the repository do not make a run dirty. (It comes from the
run's one `git status`, not from a `git diff` of its own.) The official client reads it back."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import datarobot as dr

from ctask_sync.emulator.testing import SENTINEL_TOKEN
from ctask_sync.engine.syncrecord import decode_record
from tests.testing.clirun import Run

from .conftest import commit_all, write_task


def recorded_dirty(emulator: Any, key: str) -> bool:
    dr.Client(endpoint=emulator.endpoint, token=SENTINEL_TOKEN)
    (task,) = [t for t in dr.CustomTask.list() if t.description.endswith(f"key={key}]")]
    assert task.latest_version is not None
    record = decode_record(task.latest_version.description)
    assert record is not None
    return record.dirty


def test_an_untracked_file_elsewhere_leaves_the_record_clean(
    cli: Callable[..., Run], repo: Path, emulator: Any
) -> None:
    write_task(repo, "a")
    commit_all(repo)
    (repo / "notes.txt").write_text("scratch, never committed\n")

    assert cli("apply", str(repo)).code == 0
    assert recorded_dirty(emulator, "a") is False


def test_a_modified_tracked_file_anywhere_makes_the_record_dirty(
    cli: Callable[..., Run], repo: Path, emulator: Any
) -> None:
    write_task(repo, "a")
    (repo / "README.md").write_text("committed\n")
    commit_all(repo)
    (repo / "README.md").write_text("edited, not committed\n")  # outside the task folder

    assert cli("apply", str(repo)).code == 0
    assert recorded_dirty(emulator, "a") is True
