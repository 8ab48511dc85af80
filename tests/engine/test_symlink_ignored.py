"""Symlinks to ignored files (the tester's report): the ignore rules keep secrets out of
uploads, so a link whose target they drop is an error in validation, before any write, also
when the task cache in .ctask-sync/ was warm from an earlier run. A link to an uploaded file
still uploads its target's content."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ctask_sync.manifest.digests import STATE_DIR
from ctask_sync.manifest.taskcache import CACHE_NAME
from tests.testing.clirun import Run
from tests.testing.tasks import FIT

from .conftest import Admin, commit_all, git, write_task
from .test_e2e import owned_tasks, remote_files, witness

SECRET = "API_KEY=supersecret\n"
FIX = (
    "a symlink must not upload what the ignore rules keep out (copy the file, or un-ignore the "
    "target)"
)


def ignored_target(task: Path, link: str, target: str, verdict: str) -> str:
    return f"{task}/{link}: error: is a symlink to {target} in task folder {task}, {verdict}: {FIX}"


def refused(run: Run, *lines: str) -> None:
    """Exit 1 with exactly these problems, said to have written nothing."""
    assert (run.code, run.out) == (1, ""), run.out + run.err
    assert run.err == (
        f"error: {len(lines)} problem{'s' if len(lines) > 1 else ''} in manifests; "
        "nothing was written to DataRobot:\n" + "".join(f"{line}\n" for line in lines)
    )


def cached_manifests(repo: Path) -> set[str]:
    """The manifests whose validation the task cache holds."""
    _header, _, body = (repo / STATE_DIR / CACHE_NAME).read_text().partition("\n")
    return set(json.loads(body)["tasks"])


def test_links_to_ignored_files_fail_plan_and_apply_with_zero_writes(
    cli: Callable[..., Run], repo: Path, admin: Admin
) -> None:
    write_task(repo, "ok")  # a valid task beside it is not created either
    task = write_task(repo, "t", files={"custom.py": FIT, ".env": SECRET, "secrets/db": "pw\n"})
    (task / "settings.txt").symlink_to(".env")
    (task / "db.txt").symlink_to("secrets/db")
    commit_all(repo)
    why = "a file the default ignores drop"
    lines = (
        ignored_target(task, "db.txt", "secrets/db", why),
        ignored_target(task, "settings.txt", ".env", why),
    )

    refused(cli("plan", str(repo)), *lines)
    refused(cli("apply", str(repo), "--yes"), *lines)

    assert admin.writes() == []


def test_a_link_to_an_uploaded_file_uploads_the_targets_content(
    cli: Callable[..., Run], repo: Path, emulator: Any, tmp_path: Path
) -> None:
    task = write_task(repo, "t", files={"custom.py": FIT, "conf/app.ini": "debug = 0\n"})
    (task / "app.ini").symlink_to("conf/app.ini")
    commit_all(repo)

    run = cli("apply", str(repo), "--yes")

    assert run.code == 0, run.out + run.err
    witness(emulator)
    assert remote_files(owned_tasks()["t"].id, tmp_path) == {
        "custom.py": FIT.encode(),
        "app.ini": b"debug = 0\n",
        "conf/app.ini": b"debug = 0\n",
    }


def warm(cli: Callable[..., Run], repo: Path, task: Path) -> None:
    """Apply once, with every file older than the run's fence, so that the cache holds task."""
    commit_all(repo)
    time.sleep(0.05)  # racy-clean: the cache records only files older than the fence
    run = cli("apply", str(repo), "--yes")
    assert run.code == 0, run.out + run.err
    assert str(task / "ctask.yaml") in cached_manifests(repo)


def test_a_link_added_after_a_warm_cache_is_refused(
    cli: Callable[..., Run], repo: Path, admin: Admin
) -> None:
    task = write_task(repo, "t", files={"custom.py": FIT, ".env": SECRET})
    warm(cli, repo, task)
    (task / "settings.txt").symlink_to(".env")
    commit_all(repo)
    admin.clear()

    refused(
        cli("apply", str(repo), "--yes"),
        ignored_target(task, "settings.txt", ".env", "a file the default ignores drop"),
    )
    assert admin.writes() == []


def test_a_cached_link_whose_target_becomes_ignored_is_refused(
    cli: Callable[..., Run], repo: Path, admin: Admin
) -> None:
    # The link and its target are unchanged: only the ignore rules around them change, as when
    # a secret committed by mistake is untracked and ignored (git never ignores a tracked file).
    task = write_task(repo, "t", files={"custom.py": FIT, "local.cfg": SECRET})
    (task / "settings.txt").symlink_to("local.cfg")
    warm(cli, repo, task)
    git(repo, "rm", "-q", "--cached", "t/local.cfg")
    (repo / ".gitignore").write_text("*.cfg\n", "utf-8")
    git_ignored = ignored_target(
        task, "settings.txt", "local.cfg", "a file git ignores (.gitignore)"
    )
    admin.clear()

    refused(cli("apply", str(repo), "--yes"), git_ignored)
    assert admin.writes() == []
