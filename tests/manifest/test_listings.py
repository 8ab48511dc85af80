"""The cache of folder listings in .ctask-sync/ (listings.py): an unchanged folder is not listed
again, and no change to a folder's entries is ever answered from the cache.

The invalidation tests change a folder's entries and put its mtime back, so that its size and
mtime are what the cache recorded and only its ctime tells; each first *forges* the cached
listing of a folder (a task's name dropped from it, under a valid checksum): had the cache
answered, that task would be missing, so finding it proves a miss.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pytest
from pytest_mock import MockerFixture

from ctask_sync.git import ignored_paths
from ctask_sync.manifest import digests as digests_module
from ctask_sync.manifest.digests import STATE_DIR, DigestCache
from ctask_sync.manifest.discovery import discover, find_manifests
from ctask_sync.manifest.listings import CACHE_NAME, MAGIC, FolderCache
from ctask_sync.manifest.spec import Discovery

from .conftest import write_task
from .test_taskcache import OLD_NS, settle, varied_tree


def cache_file(repo: Path) -> Path:
    return repo / STATE_DIR / CACHE_NAME


def read_cache(repo: Path) -> dict[str, object]:
    _header, _, body = cache_file(repo).read_text().partition("\n")
    data: dict[str, object] = json.loads(body)
    return data


def records(repo: Path) -> dict[str, list[object]]:
    folders = read_cache(repo)["folders"]
    assert isinstance(folders, dict)
    return folders


def write_cache(repo: Path, data: dict[str, object]) -> None:
    """Write data under a valid checksum, as only this module would."""
    body = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    checksum = hashlib.sha256(body.encode()).hexdigest()
    cache_file(repo).write_text(f"{MAGIC} {checksum}\n{body}")


def forge(repo: Path, folder: Path, dropped: str) -> None:
    """Drop the subfolder `dropped` from the cached listing of folder."""
    data = read_cache(repo)
    folders = data["folders"]
    assert isinstance(folders, dict)
    record = folders[str(folder)]
    assert dropped in record[5], record
    record[5] = [n for n in record[5] if n != dropped]
    write_cache(repo, data)


def found(discovery: Discovery, repo: Path) -> list[str]:
    """The manifests found, relative to repo; no errors allowed."""
    assert not discovery.errors, [f.format() for f in discovery.errors]
    return [m.relative_to(repo).as_posix() for m in discovery.manifest_paths]


def put_back(folder: Path, before: os.stat_result) -> None:
    """folder's mtime as it was, and proof that only its ctime can tell it changed."""
    os.utime(folder, ns=(before.st_atime_ns, before.st_mtime_ns), follow_symlinks=False)
    after = os.lstat(folder)
    assert (after.st_size, after.st_mtime_ns, after.st_ino) == (
        before.st_size,
        before.st_mtime_ns,
        before.st_ino,
    )
    assert after.st_ctime_ns != before.st_ctime_ns


def tick(path: Path) -> None:
    """Wait until the file system's clock has passed path's ctime (racy-clean), as it has for
    a folder that was not changed in the last moments."""
    changed = os.lstat(path).st_ctime_ns
    probe = path.parent / "clock-probe"
    while True:
        probe.write_text("tick\n")
        if os.stat(probe).st_mtime_ns > changed:
            probe.unlink()
            return
        time.sleep(0.002)


@pytest.fixture
def tasks(repo: Path) -> Path:
    """tasks/a and tasks/b settled and searched once, so the cache lists `tasks`; then the
    listing of `tasks` forged to leave b out."""
    write_task(repo, "tasks/a")
    write_task(repo, "tasks/b")
    settle(repo)
    assert found(discover(repo), repo) == ["tasks/a/ctask.yaml", "tasks/b/ctask.yaml"]
    forge(repo, repo / "tasks", "b")
    return repo / "tasks"


def test_an_unchanged_folder_is_answered_from_the_cache(repo: Path, tasks: Path) -> None:
    assert found(discover(repo), repo) == ["tasks/a/ctask.yaml"]  # the forged listing


def test_a_task_folder_added_in_the_same_second_is_found(repo: Path, tasks: Path) -> None:
    before = os.lstat(tasks)
    write_task(repo, "tasks/c")
    put_back(tasks, before)

    assert found(discover(repo), repo) == [
        "tasks/a/ctask.yaml",
        "tasks/b/ctask.yaml",
        "tasks/c/ctask.yaml",
    ]


def test_a_task_folder_removed_in_the_same_second_is_not_looked_for(
    repo: Path, tasks: Path
) -> None:
    before = os.lstat(tasks)
    shutil.rmtree(tasks / "a")  # a listing from the cache would name it: "cannot list folder"
    put_back(tasks, before)

    assert found(discover(repo), repo) == ["tasks/b/ctask.yaml"]


def test_a_task_folder_renamed_in_the_same_second_is_found_by_its_new_name(
    repo: Path, tasks: Path
) -> None:
    before = os.lstat(tasks)
    (tasks / "a").rename(tasks / "c")  # a name of the same length
    put_back(tasks, before)

    assert found(discover(repo), repo) == ["tasks/b/ctask.yaml", "tasks/c/ctask.yaml"]


def test_a_manifest_added_in_the_same_second_is_found(repo: Path, tasks: Path) -> None:
    folder = tasks / "a" / "sub"
    folder.mkdir()
    settle(repo)
    assert found(discover(repo), repo) == ["tasks/a/ctask.yaml", "tasks/b/ctask.yaml"]
    forge(repo, tasks, "b")
    before = os.lstat(folder)
    (folder / "ctask.yaml").write_text("name: nested\n")
    put_back(folder, before)

    discovery = discover(repo)

    assert [m.relative_to(repo).as_posix() for m in discovery.manifest_paths] == [
        "tasks/a/ctask.yaml",
        "tasks/a/sub/ctask.yaml",  # b is still forged out: `tasks` did not change
    ]
    assert any("nested inside" in f.message for f in discovery.errors)


def test_a_file_replaced_by_a_folder_of_its_name_is_searched(repo: Path, tasks: Path) -> None:
    (tasks / "c").write_text("a file, then a folder\n")
    settle(repo)
    discover(repo)
    forge(repo, tasks, "b")
    before = os.lstat(tasks)
    (tasks / "c").unlink()
    write_task(repo, "tasks/c")
    put_back(tasks, before)

    assert found(discover(repo), repo) == [
        "tasks/a/ctask.yaml",
        "tasks/b/ctask.yaml",
        "tasks/c/ctask.yaml",
    ]


def test_a_folder_replaced_by_a_symlink_is_not_followed(repo: Path, tasks: Path) -> None:
    elsewhere = repo / "elsewhere"
    elsewhere.mkdir()
    settle(repo)
    discover(repo)
    forge(repo, tasks, "b")
    before = os.lstat(tasks)
    (tasks / "a").rename(elsewhere / "a")
    (tasks / "a").symlink_to(elsewhere / "a", target_is_directory=True)
    put_back(tasks, before)

    # a listing from the cache would name `a` a folder, and listing it would follow the link
    assert found(discover(repo), repo) == ["elsewhere/a/ctask.yaml", "tasks/b/ctask.yaml"]


def test_a_nested_sync_root_added_in_the_same_second_is_not_searched(
    repo: Path, tasks: Path
) -> None:
    before = os.lstat(tasks / "a")
    (tasks / "a" / "ctask-sync.yaml").write_text("namespace: other\n")
    put_back(tasks / "a", before)

    assert found(discover(repo, stop_at_roots=True), repo) == []  # b is still forged out


def test_a_gitignore_change_prunes_a_folder_whose_listing_is_cached(
    repo: Path, tasks: Path
) -> None:
    write_task(repo, "tasks/c")
    settle(repo)
    discover(repo)
    forge(repo, tasks, "b")
    (repo / ".gitignore").write_text("tasks/c/\n")  # nothing in `tasks` changed

    assert found(discover(repo), repo) == ["tasks/a/ctask.yaml"]


def test_a_folder_changed_after_the_fence_is_not_recorded(repo: Path) -> None:
    write_task(repo, "tasks/a")
    settle(repo)
    future = time.time_ns() + 3600 * 10**9  # racily clean: may change unseen
    os.utime(repo / "tasks", ns=(future, future))

    discover(repo)

    assert str(repo / "tasks") not in records(repo)
    assert str(repo / "tasks" / "a") in records(repo)


def test_a_folder_whose_ctime_is_not_older_than_the_fence_is_not_recorded(
    repo: Path, mocker: MockerFixture
) -> None:
    write_task(repo, "tasks/a")
    settle(repo)  # every mtime old, every ctime recent
    # a clock that stands just after the mtimes: only the ctimes are not older than it
    real = digests_module._write_fence
    mocker.patch.object(
        digests_module, "_write_fence", side_effect=lambda state: real(state) and OLD_NS + 1
    )

    discover(repo)

    assert (repo / STATE_DIR).is_dir()  # the file could have been written
    assert not cache_file(repo).exists()


@pytest.mark.parametrize(
    "damage", ["byte flipped", "garbage", "other names", "a stamp of four numbers", "a flag"]
)
def test_a_damaged_or_foreign_cache_file_is_ignored_whole(
    repo: Path, tasks: Path, damage: str
) -> None:
    text = cache_file(repo).read_text()
    header, _, body = text.partition("\n")
    if damage == "byte flipped":
        cache_file(repo).write_text(f"{header}\n{body.replace('[', '(', 1)}")
    elif damage == "garbage":
        cache_file(repo).write_bytes(os.urandom(512))
    else:
        data = read_cache(repo)
        folders = data["folders"]
        assert isinstance(folders, dict)
        if damage == "other names":
            names = data["names"]
            assert isinstance(names, dict)
            names["manifest"] = "ctask.yml"
        elif damage == "a stamp of four numbers":
            record = folders[str(tasks)]
            folders[str(tasks)] = record[:3] + record[4:]
        else:
            folders[str(tasks)][6] = 1  # a number where a flag belongs
        write_cache(repo, data)

    assert found(discover(repo), repo) == ["tasks/a/ctask.yaml", "tasks/b/ctask.yaml"]


def test_a_run_that_lists_nothing_anew_leaves_the_file_alone(repo: Path, tasks: Path) -> None:
    before = os.stat(cache_file(repo))

    discover(repo)

    after = os.stat(cache_file(repo))
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_a_narrower_search_keeps_the_records_outside_it(repo: Path, tasks: Path) -> None:
    write_task(repo, "other/x")
    (tasks / "a" / "new").mkdir()
    settle(repo)
    discover(repo)
    forge(repo, repo / "other", "x")
    forge(repo, tasks, "b")
    (tasks / "a" / "new" / "notes.txt").write_text("a change the narrower search records\n")
    tick(tasks / "a" / "new")

    discover(tasks / "a", repo_root=repo)

    assert str(tasks / "a" / "new") in records(repo)  # the file was written
    assert found(discover(repo), repo) == ["tasks/a/ctask.yaml"]  # both forged listings kept


def test_a_folder_name_that_is_not_utf8_keeps_only_its_folder_unrecorded(repo: Path) -> None:
    write_task(repo, "tasks/a")
    odd = repo / "tasks" / os.fsdecode(b"caf\xe9")
    odd.mkdir()
    settle(repo)

    discover(repo)

    recorded = records(repo)
    assert str(repo / "tasks") not in recorded  # it names the odd folder
    assert str(repo / "tasks" / "a") in recorded


class _ArrivesLate(Future[frozenset[str]]):
    """git's ignore listing, still on its way for the whole walk (done() stays False)."""

    def done(self) -> bool:
        return False


def test_the_search_says_the_same_from_the_cache_as_from_fresh_listings(repo: Path) -> None:
    varied_tree(repo)
    write_task(repo, ".venv/lib/t")
    write_task(repo, "scratch/t")
    (repo / ".gitignore").write_text("scratch/\n")
    (repo / "tasks" / "link").symlink_to(repo / "tasks" / "plain", target_is_directory=True)
    (repo / "unreadable").mkdir()
    settle(repo)
    root = repo.resolve()
    ignored = ignored_paths(root, in_git=True)
    digests = DigestCache.open(root)

    def search(late: bool) -> tuple[Any, int, int]:
        listings = FolderCache.open(digests)
        pending = _ArrivesLate()
        pending.set_result(ignored)
        result = find_manifests(root, pending if late else ignored, listings=listings)
        assert listings is not None
        listings.save(scope=str(root))
        return result, listings.hits, listings.misses

    os.chmod(repo / "unreadable", 0)
    try:
        fresh, fresh_hits, _ = search(late=False)
        cached, hits, _ = search(late=False)
        cached_late, _, _ = search(late=True)
        cache_file(repo).unlink()
        again, _, _ = search(late=True)
    finally:
        os.chmod(repo / "unreadable", 0o755)

    manifests, findings = fresh
    if os.geteuid() != 0:  # root lists any folder
        assert [f.path for f in findings] == ["unreadable"]
    assert len(manifests) >= 10
    assert fresh_hits == 0 and hits > 10
    assert cached == fresh
    assert cached_late == fresh
    assert again == fresh
