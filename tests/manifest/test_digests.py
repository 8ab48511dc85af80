"""The digest cache in .ctask-sync/ (issue 17): unchanged files are not read again, and no edit,
however quick or however its timestamps are forged, ever yields a stale digest."""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

import pytest

from ctask_sync.manifest.digests import CACHE_NAME, STATE_DIR, DigestCache
from ctask_sync.manifest.discovery import discover
from ctask_sync.manifest.files import select_files
from ctask_sync.manifest.taskcache import CACHE_NAME as TASK_CACHE_NAME

from .conftest import write_task

OLD_NS = 1_600_000_000 * 10**9  # 2020: safely older than any fence


def sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def digests_of(repo: Path) -> dict[str, str]:
    found = discover(repo)
    assert not found.errors, [f.format() for f in found.errors]
    return {f"{t.key}:{f.path}": f.digest for t in found.tasks for f in t.files}


def age(path: Path) -> None:
    """Give the file an mtime well before the fence, so the cache may record it."""
    os.utime(path, ns=(OLD_NS, OLD_NS))


def recorded(repo: Path) -> dict[str, str]:
    """What a fresh load of the cache file would trust, by absolute path."""
    cache = DigestCache.open(repo)
    return {path: digest for path, (_stamp, digest) in cache.known.items()}


def test_an_unchanged_file_is_answered_from_the_cache(repo: Path) -> None:
    task = write_task(repo, "tasks/a")
    age(task / "custom.py")
    digests_of(repo)  # records it

    cache = DigestCache.open(repo)
    selection = select_files(task, digests=cache)

    assert [f.digest for f in selection.files] == [sha(b"def fit(): ...\n")]
    assert (cache.hits, cache.misses) == (1, 0)


def test_an_edit_in_the_same_second_keeping_size_and_mtime_is_seen(repo: Path) -> None:
    task = write_task(repo, "tasks/a", files={"custom.py": "value = 1\n"})
    source = task / "custom.py"
    age(source)
    assert digests_of(repo)["tasks/a:custom.py"] == sha(b"value = 1\n")
    assert recorded(repo)[str(source)] == sha(b"value = 1\n").removeprefix("sha256:")
    before = os.stat(source)

    source.write_text("value = 2\n")  # same size
    os.utime(source, ns=(before.st_atime_ns, before.st_mtime_ns))  # and the same mtime
    after = os.stat(source)
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)

    assert digests_of(repo)["tasks/a:custom.py"] == sha(b"value = 2\n")


def test_a_file_replaced_by_rename_with_equal_size_and_times_is_seen(repo: Path) -> None:
    task = write_task(repo, "tasks/a", files={"custom.py": "value = 1\n"})
    source = task / "custom.py"
    age(source)
    digests_of(repo)
    replacement = task / "custom.py.new"
    replacement.write_text("value = 3\n")
    age(replacement)
    os.replace(replacement, source)  # a new inode, as editors that save atomically make

    assert digests_of(repo)["tasks/a:custom.py"] == sha(b"value = 3\n")


def test_a_file_changed_at_or_after_the_fence_is_hashed_but_never_recorded(repo: Path) -> None:
    task = write_task(repo, "tasks/a", files={"custom.py": "x = 1\n", "helper.py": "y = 1\n"})
    age(task / "helper.py")
    future = time.time_ns() + 3600 * 10**9
    os.utime(task / "custom.py", ns=(future, future))  # racily clean: may change unseen

    digests = digests_of(repo)

    assert digests["tasks/a:custom.py"] == sha(b"x = 1\n")
    assert set(recorded(repo)) == {str(task / "helper.py")}


@pytest.mark.parametrize(
    "damage",
    [
        "truncated",
        "byte flipped",
        "garbage",
        "empty",
        "another format",
        "checksum fits, entry malformed",
    ],
)
def test_a_damaged_cache_file_is_ignored_and_rebuilt(repo: Path, damage: str) -> None:
    task = write_task(repo, "tasks/a", files={"custom.py": "value = 1\n"})
    source = task / "custom.py"
    age(source)
    digests_of(repo)
    cache_file = repo / STATE_DIR / CACHE_NAME
    good = cache_file.read_text()
    # The damaged file also claims a wrong digest for the unchanged file: it must not be used.
    wrong = hashlib.sha256(b"not the content").hexdigest()
    lied = good.replace(sha(b"value = 1\n").removeprefix("sha256:"), wrong)
    header, _, body = lied.partition("\n")
    if damage == "truncated":
        cache_file.write_text(lied[: len(lied) // 2])
    elif damage == "byte flipped":
        cache_file.write_text(lied)  # the checksum no longer fits the body
    elif damage == "garbage":
        cache_file.write_bytes(os.urandom(512))
    elif damage == "empty":
        cache_file.write_text("")
    elif damage == "another format":
        cache_file.write_text("ctask-sync digest cache v0 " + header.split()[-1] + "\n" + body)
    else:
        bad_body = body.replace(f'"{wrong}"', "12")  # not a digest, under a valid checksum
        checksum = hashlib.sha256(bad_body.encode()).hexdigest()
        cache_file.write_text(f"ctask-sync digest cache v1 {checksum}\n{bad_body}")
    assert recorded(repo) == {}
    # without the task cache, which would answer for the whole task without digesting a file
    (repo / STATE_DIR / TASK_CACHE_NAME).unlink()

    assert digests_of(repo)["tasks/a:custom.py"] == sha(b"value = 1\n")
    assert recorded(repo) == {str(source): sha(b"value = 1\n").removeprefix("sha256:")}


def test_a_run_answered_by_the_task_cache_leaves_the_digest_file_alone(repo: Path) -> None:
    task = write_task(repo, "tasks/a", files={"custom.py": "value = 1\n"})
    age(task / "custom.py")
    age(task / "ctask.yaml")
    age(task)
    digests_of(repo)
    cache_file = repo / STATE_DIR / CACHE_NAME
    cache_file.write_text("damaged\n")  # a run that read it would rebuild it

    assert digests_of(repo)["tasks/a:custom.py"] == sha(b"value = 1\n")
    assert cache_file.read_text() == "damaged\n"  # neither needed nor read
    (task / "ctask.yaml").write_text((task / "ctask.yaml").read_text() + "\n")
    assert digests_of(repo)["tasks/a:custom.py"] == sha(b"value = 1\n")  # validated afresh
    assert recorded(repo) == {str(task / "custom.py"): sha(b"value = 1\n").removeprefix("sha256:")}


def test_without_a_writable_state_folder_digests_are_still_right(repo: Path) -> None:
    task = write_task(repo, "tasks/a", files={"custom.py": "value = 1\n"})
    (repo / STATE_DIR).write_text("a file where the state folder would be\n")

    assert digests_of(repo)["tasks/a:custom.py"] == sha(b"value = 1\n")
    assert (task / "custom.py").read_text() == "value = 1\n"


def test_the_state_folder_ignores_itself_in_git(repo: Path) -> None:
    write_task(repo, "tasks/a")
    digests_of(repo)

    assert (repo / STATE_DIR / ".gitignore").read_text().splitlines()[-1] == "*"


def test_digests_the_task_cache_vouched_for_are_kept_when_another_task_is_digested(
    repo: Path,
) -> None:
    kept = write_task(repo, "tasks/kept", files={"custom.py": "kept = 1\n"})
    changed = write_task(repo, "tasks/changed", files={"custom.py": "changed = 1\n"})
    for path in [kept / "custom.py", kept / "ctask.yaml", kept, changed / "custom.py"]:
        age(path)
    for path in [changed / "ctask.yaml", changed]:
        age(path)
    digests_of(repo)  # both tasks cached, both digests recorded
    (changed / "custom.py").write_text("changed = 2\n")
    age(changed / "custom.py")

    # kept comes from the task cache (its digest is vouched for, not read); changed is read
    assert digests_of(repo)["tasks/changed:custom.py"] == sha(b"changed = 2\n")
    assert recorded(repo) == {
        str(kept / "custom.py"): sha(b"kept = 1\n").removeprefix("sha256:"),
        str(changed / "custom.py"): sha(b"changed = 2\n").removeprefix("sha256:"),
    }
