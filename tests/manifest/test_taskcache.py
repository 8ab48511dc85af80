"""The cache of whole validated tasks in .ctask-sync/ (issue 17): an unchanged task is not
validated again, and no change its result depends on is ever answered from the cache.

Each invalidation test first *forges* the cached entry (another task name under a valid
checksum): had the cache answered, that name would come back, so the fresh name proves a miss.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import time
from pathlib import Path

import msgspec
import pytest

from ctask_sync.manifest import files
from ctask_sync.manifest.digests import STATE_DIR, DigestCache
from ctask_sync.manifest.discovery import discover
from ctask_sync.manifest.files import content_digest
from ctask_sync.manifest.listings import Listing
from ctask_sync.manifest.spec import Discovery, TaskSpec
from ctask_sync.manifest.taskcache import CACHE_NAME, MAGIC, TaskCache, _restore

from .conftest import write_task

OLD_NS = 1_600_000_000 * 10**9  # 2020: safely older than any fence
FORGED = "Name from the cache"


def settle(root: Path) -> None:
    """Age every mtime below root and wait until the file system's clock has passed every
    ctime, as it has for files that were not touched in the last moments (racy-clean)."""
    newest = 0
    for folder, _dirs, names in os.walk(root):
        for path in [folder, *(os.path.join(folder, n) for n in names)]:
            os.utime(path, ns=(OLD_NS, OLD_NS), follow_symlinks=False)
            newest = max(newest, os.lstat(path).st_ctime_ns)
    probe = root.parent / "clock-probe"
    while True:
        probe.write_text("tick\n")
        if os.stat(probe).st_mtime_ns > newest:
            return
        time.sleep(0.002)


def cache_file(repo: Path) -> Path:
    return repo / STATE_DIR / CACHE_NAME


def read_cache(repo: Path) -> dict[str, object]:
    _header, _, body = cache_file(repo).read_text().partition("\n")
    data: dict[str, object] = json.loads(body)
    return data


def write_cache(repo: Path, data: dict[str, object]) -> None:
    """Write data under a valid checksum, as only this module would."""
    body = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    checksum = hashlib.sha256(body.encode()).hexdigest()
    cache_file(repo).write_text(f"{MAGIC} {checksum}\n{body}")


def forge(repo: Path, folder: Path) -> None:
    """Give the cached entry of folder's task another name."""
    data = read_cache(repo)
    tasks = data["tasks"]
    assert isinstance(tasks, dict)
    tasks[str(folder / "ctask.yaml")]["checked"]["spec"]["name"] = FORGED
    write_cache(repo, data)


def names(found: Discovery) -> dict[str, str]:
    assert not found.errors, [f.format() for f in found.errors]
    return {t.key: t.name for t in found.tasks}


def files_of(found: Discovery, key: str) -> list[str]:
    return [f.path for t in found.tasks if t.key == key for f in t.files]


@pytest.fixture
def task(repo: Path) -> Path:
    """One settled task, validated once so that the cache holds it, then forged."""
    folder = write_task(repo, "tasks/a", name="Real name", files={"custom.py": "x = 1\n"})
    settle(repo)
    assert names(discover(repo)) == {"tasks/a": "Real name"}
    forge(repo, folder)
    return folder


def test_an_unchanged_task_is_answered_from_the_cache(repo: Path, task: Path) -> None:
    found = discover(repo)

    assert names(found) == {"tasks/a": FORGED}
    assert files_of(found, "tasks/a") == ["custom.py"]


def test_a_manifest_edit_in_the_same_second_keeping_size_is_seen(repo: Path, task: Path) -> None:
    manifest = task / "ctask.yaml"
    before = os.stat(manifest)
    manifest.write_text(manifest.read_text().replace("Real name", "Real nome"))
    os.utime(manifest, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = os.stat(manifest)
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)

    assert names(discover(repo)) == {"tasks/a": "Real nome"}


def test_a_file_added_to_the_task_folder_is_seen(repo: Path, task: Path) -> None:
    (task / "helper.py").write_text("y = 2\n")
    os.utime(task / "helper.py", ns=(OLD_NS, OLD_NS))  # only the folder's stamps tell

    found = discover(repo)

    assert names(found) == {"tasks/a": "Real name"}
    assert files_of(found, "tasks/a") == ["custom.py", "helper.py"]


def test_a_file_added_to_a_subfolder_is_seen(repo: Path) -> None:
    folder = write_task(repo, "tasks/a", name="Real name", files={"lib/util.py": "z = 1\n"})
    settle(repo)
    discover(repo)
    forge(repo, folder)
    (folder / "lib" / "more.py").write_text("w = 1\n")
    os.utime(folder / "lib", ns=(OLD_NS, OLD_NS))  # even with the folder's mtime put back

    found = discover(repo)

    assert files_of(found, "tasks/a") == ["lib/more.py", "lib/util.py"]


def test_a_file_removed_from_the_task_folder_is_seen(repo: Path) -> None:
    folder = write_task(repo, "tasks/a", files={"custom.py": "x = 1\n", "old.py": "o = 1\n"})
    settle(repo)
    discover(repo)
    forge(repo, folder)
    (folder / "old.py").unlink()

    found = discover(repo)

    assert files_of(found, "tasks/a") == ["custom.py"]
    assert names(found)["tasks/a"] != FORGED


def test_a_gitignore_change_that_affects_the_task_is_seen(repo: Path, task: Path) -> None:
    (task / "notes.log").write_text("scratch\n")
    settle(repo)
    assert files_of(discover(repo), "tasks/a") == ["custom.py", "notes.log"]
    forge(repo, task)
    (repo / ".gitignore").write_text("*.log\n")  # outside the task folder

    found = discover(repo)

    assert files_of(found, "tasks/a") == ["custom.py"]
    assert names(found) == {"tasks/a": "Real name"}


def test_a_gitignore_change_elsewhere_keeps_the_cached_task(repo: Path, task: Path) -> None:
    (repo / ".gitignore").write_text("*.log\n")  # no file of the task is a .log

    assert names(discover(repo)) == {"tasks/a": FORGED}


@pytest.mark.parametrize("part", ["tool", "schema", "code", "cwd"])
def test_a_cache_written_by_another_version_or_schema_is_not_used(
    repo: Path, task: Path, part: str
) -> None:
    data = read_cache(repo)
    key = data["key"]
    assert isinstance(key, dict) and part in key
    key[part] = "something else"
    write_cache(repo, data)

    assert names(discover(repo)) == {"tasks/a": "Real name"}


def test_a_link_to_an_ignored_file_cached_by_older_code_is_refused(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Code from before symlinks to ignored files were refused cached such a task as valid;
    # its validator's stamps (the key's "code") differ from this one's, so none of it holds.
    folder = write_task(repo, "tasks/a", files={"custom.py": "x = 1\n", ".env": "API_KEY=s\n"})
    (folder / "settings.txt").symlink_to(".env")
    settle(repo)
    with monkeypatch.context() as before_the_fix:
        before_the_fix.setattr(files, "_ignored_target", lambda *_: False)
        assert files_of(discover(repo), "tasks/a") == ["custom.py", "settings.txt"]
    data = read_cache(repo)
    assert str(folder / "ctask.yaml") in data["tasks"]  # type: ignore[operator]
    key = data["key"]
    assert isinstance(key, dict)
    key["code"] = "stamps of the validator before the fix"
    write_cache(repo, data)

    found = discover(repo)

    assert [f.message for f in found.errors] == [
        "is a symlink to .env in task folder tasks/a, a file the default ignores drop: a "
        "symlink must not upload what the ignore rules keep out (copy the file, or un-ignore "
        "the target)"
    ]
    assert found.tasks == []


@pytest.mark.parametrize(
    "damage", ["truncated", "byte flipped", "garbage", "empty", "checksum fits, entry malformed"]
)
def test_a_damaged_cache_file_is_ignored_whole(repo: Path, task: Path, damage: str) -> None:
    text = cache_file(repo).read_text()
    header, _, body = text.partition("\n")
    if damage == "truncated":
        cache_file(repo).write_text(text[: len(text) // 2])
    elif damage == "byte flipped":
        cache_file(repo).write_text(f"{header}\n{body.replace('custom.py', 'custom.px', 1)}")
    elif damage == "garbage":
        cache_file(repo).write_bytes(os.urandom(512))
    elif damage == "empty":
        cache_file(repo).write_text("")
    else:
        data = read_cache(repo)
        tasks = data["tasks"]
        assert isinstance(tasks, dict)
        tasks[str(task / "ctask.yaml")]["checked"]["spec"]["files"] = 12
        write_cache(repo, data)

    found = discover(repo)

    assert names(found) == {"tasks/a": "Real name"}
    assert files_of(found, "tasks/a") == ["custom.py"]


def test_a_task_changed_after_the_fence_is_not_recorded(repo: Path) -> None:
    folder = write_task(repo, "tasks/a")
    settle(repo)
    future = time.time_ns() + 3600 * 10**9
    os.utime(folder / "custom.py", ns=(future, future))  # racily clean: may change unseen

    discover(repo)

    tasks = read_cache(repo)["tasks"] if cache_file(repo).exists() else {}
    assert str(folder / "ctask.yaml") not in tasks  # type: ignore[operator]


def test_a_task_with_an_error_is_never_cached(repo: Path) -> None:
    folder = write_task(repo, "tasks/a", extra="maximum_memory: lots\n")
    settle(repo)

    first = discover(repo)
    second = discover(repo)

    assert [f.message for f in first.errors] == [f.message for f in second.errors]
    assert first.errors
    tasks = read_cache(repo)["tasks"] if cache_file(repo).exists() else {}
    assert str(folder / "ctask.yaml") not in tasks  # type: ignore[operator]


def varied_tree(repo: Path) -> None:
    """Tasks with warnings, subfolders, include/exclude, a credential-like file, a duplicate
    key, a nested task folder and an invalid manifest."""
    write_task(repo, "tasks/plain")
    write_task(repo, "tasks/no hook", files={"helper.py": "h = 1\n"})  # warning: no custom.py
    write_task(
        repo,
        "tasks/deep",
        files={"custom.py": "x = 1\n", "lib/a.py": "a = 1\n", "lib/sub/b.py": "b = 1\n"},
        extra="files:\n  exclude:\n    - lib/sub/\n",
    )
    write_task(
        repo,
        "tasks/keys",
        files={"custom.py": "x = 1\n", "id_rsa": "not really a key\n", "__pycache__/c.pyc": "c"},
    )
    write_task(repo, "tasks/meta", files={"custom.py": "x = 1\n", "requirements.txt": "numpy\n"})
    write_task(repo, "tasks/dup1", key="same")
    write_task(repo, "tasks/dup2", key="same")
    write_task(repo, "tasks/outer")
    write_task(repo, "tasks/outer/inner")
    write_task(repo, "tasks/broken", extra="language_typo: 1\n")


def shown(found: Discovery) -> tuple[list[str], list[TaskSpec]]:
    return [f.format() for f in found.findings], found.tasks


def test_discover_says_the_same_from_the_cache_as_from_a_fresh_validation(repo: Path) -> None:
    varied_tree(repo)
    settle(repo)

    fresh = discover(repo)
    cached = discover(repo)
    (repo / STATE_DIR / CACHE_NAME).unlink()
    (repo / STATE_DIR / "digests.json").unlink()
    again = discover(repo)

    entries = read_cache(repo)["tasks"]
    assert isinstance(entries, dict)
    assert len(entries) >= 6  # the valid tasks were cached, so `cached` came from the cache
    assert fresh.warnings and fresh.errors
    assert shown(cached) == shown(fresh)
    assert shown(again) == shown(fresh)
    assert cached.manifest_paths == fresh.manifest_paths


def test_a_cache_file_of_the_previous_format_is_ignored_whole(repo: Path, task: Path) -> None:
    # v1: the same body under the v1 magic, as the last release wrote it (a valid checksum)
    body = cache_file(repo).read_text().partition("\n")[2]
    checksum = hashlib.sha256(body.encode()).hexdigest()
    cache_file(repo).write_text(f"ctask-sync task cache v1 {checksum}\n{body}")

    assert names(discover(repo)) == {"tasks/a": "Real name"}
    assert MAGIC != "ctask-sync task cache v1"


@pytest.mark.parametrize(
    "refused",
    [
        "severity outside the vocabulary",
        "target type outside the vocabulary",
        "a stamp of four numbers",
        "a stamp of six numbers",
        "a field this module never writes",
        "a file not stamped",
        "a file stamped at another size",
    ],
)
def test_a_cache_file_the_schema_refuses_is_ignored_and_every_task_validated(
    repo: Path, refused: str
) -> None:
    folders = [
        write_task(repo, f"tasks/{name}", name="Real name", files={"custom.py": "x = 1\n"})
        for name in ("a", "b", "c")
    ]
    settle(repo)
    discover(repo)
    data = read_cache(repo)
    tasks = data["tasks"]
    assert isinstance(tasks, dict) and len(tasks) == 3
    for folder in folders:  # every entry forged: any that the cache answered would show it
        tasks[str(folder / "ctask.yaml")]["checked"]["spec"]["name"] = FORGED
    last = tasks[str(folders[-1] / "ctask.yaml")]  # one bad entry, after two good ones
    if refused == "severity outside the vocabulary":
        last["checked"]["findings"] = [
            {"path": "x", "line": 1, "column": 1, "severity": "fatal", "message": "m", "key": None}
        ]
    elif refused == "target type outside the vocabulary":
        last["checked"]["spec"]["target_type"] = "unicorn"
    elif refused == "a stamp of four numbers":
        last["stamps"]["custom.py"] = last["stamps"]["custom.py"][:4]
    elif refused == "a stamp of six numbers":
        last["stamps"]["custom.py"] = [*last["stamps"]["custom.py"], 0]
    elif refused == "a field this module never writes":
        last["checked"]["spec"]["upload_also"] = ["/etc/passwd"]
    elif refused == "a file not stamped":
        del last["stamps"]["custom.py"]
    else:
        last["stamps"]["custom.py"][0] += 1
        last["checked"]["spec"]["files"][0][1] += 2  # each other's size: only the pair tells
    write_cache(repo, data)

    found = discover(repo)

    assert names(found) == {"tasks/a": "Real name", "tasks/b": "Real name", "tasks/c": "Real name"}
    assert [files_of(found, f"tasks/{n}") for n in "abc"] == [["custom.py"]] * 3


def test_restored_specs_and_files_are_the_values_their_constructors_make(repo: Path) -> None:
    write_task(repo, "tasks/a", files={"custom.py": "x = 1\n", "lib/u.py": "u = 1\n"})
    settle(repo)
    fresh = discover(repo)
    cached = discover(repo)
    assert read_cache(repo)["tasks"]  # the second run restored its task from the cache

    [built], [restored] = fresh.tasks, cached.tasks
    assert restored == built and hash(restored.files) == hash(built.files)
    # content came with the entry (no work at restore), and is what the files give
    assert vars(restored) == {"content": content_digest(built.files)} == {"content": built.content}
    assert msgspec.structs.asdict(restored) == msgspec.structs.asdict(built)  # every field
    del vars(restored)["content"]
    assert restored.content == built.content  # worked out again, from the files
    for mine, theirs in zip(restored.files, built.files, strict=True):
        assert msgspec.structs.astuple(mine) == msgspec.structs.astuple(theirs)
        assert mine == theirs and hash(mine) == hash(theirs)
    with pytest.raises(AttributeError, match="immutable"):
        restored.files[0].size = 0  # type: ignore[misc]
    with pytest.raises(AttributeError, match="immutable"):
        restored.name = "changed"  # type: ignore[misc]
    assert msgspec.structs.replace(restored, name="n").name == "n"
    assert pickle.loads(pickle.dumps(restored)) == built


def test_a_file_edit_in_the_same_second_keeping_size_changes_the_content(repo: Path) -> None:
    """The content digest the cache keeps is never answered for files that changed."""
    folder = write_task(repo, "tasks/a", files={"custom.py": "x = 1\n"})
    settle(repo)
    [first] = discover(repo).tasks
    [cached] = discover(repo).tasks
    assert "content" in vars(cached) and cached.content == first.content  # from the cache
    source = folder / "custom.py"
    before = os.stat(source)
    source.write_text("x = 2\n")
    os.utime(source, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert os.stat(source).st_size == before.st_size

    [edited] = discover(repo).tasks
    assert edited.content != first.content
    assert edited.content == content_digest(edited.files)


def test_folders_the_search_stamped_are_not_stamped_again_and_still_decide(repo: Path) -> None:
    """_restore takes a folder's stamp from this run's search when it has one: a stamp there
    that differs from the entry's is a miss, even though the folder itself is unchanged."""
    folder = write_task(repo, "tasks/a", files={"custom.py": "x = 1\n", "lib/u.py": "u = 1\n"})
    settle(repo)
    discover(repo)
    assert read_cache(repo)["tasks"]
    digests = DigestCache.open(repo)
    cache = TaskCache.open(repo, digests)
    assert cache is not None
    manifest = folder / "ctask.yaml"
    entry = cache.known[str(manifest)]
    name = str(folder)

    def walked(rel: str, shift: int) -> dict[str, Listing]:
        stamp = entry.stamps[rel]
        path = name if rel == "." else f"{name}/{rel}"
        moved = Listing(
            stamp.size,
            stamp.mtime_ns + shift,
            stamp.ctime_ns,
            stamp.inode,
            stamp.device,
            (),
            False,
            False,
        )
        return {path: moved}

    assert _restore(manifest, name, entry, {}) is not None  # every stamp by stat: a hit
    for rel in (".", "lib"):
        assert _restore(manifest, name, entry, walked(rel, 0)) is not None
        assert _restore(manifest, name, entry, walked(rel, 1)) is None
