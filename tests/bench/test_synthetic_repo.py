"""The synthetic repository is shaped like real task repos and evolves deterministically."""

from __future__ import annotations

import hashlib
import statistics
import subprocess
from pathlib import Path

from synthetic_repo import (
    add_big_file,
    bump_requirements,
    change_tasks,
    commit_all,
    generate,
    git,
    git_env,
    touch_file,
)


def _tree_digest(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(root).parts
    }


def test_tasks_are_shaped_like_real_ones(tmp_path: Path) -> None:
    repo = generate(tmp_path / "repo", 30)

    assert len(repo.tasks) == 30
    sizes = []
    for task in repo.tasks:
        files = [p for p in task.folder.rglob("*") if p.is_file() and p.name != "ctask.yaml"]
        assert 2 <= len(files) <= 6, task.folder
        assert (task.folder / "ctask.yaml").is_file()
        assert (task.folder / "requirements.txt").exists() == task.has_requirements
        sizes += [p.stat().st_size for p in files]
    assert len(repo.with_requirements) == 10  # a third
    assert 1000 <= statistics.median(sizes) <= 4000  # median about 2 KB
    artifacts = [t for t in repo.tasks if t.artifact]
    assert len(artifacts) >= 1
    for task in artifacts:
        assert 2**20 <= (task.folder / str(task.artifact)).stat().st_size <= 5 * 2**20
    assert any(" " in str(t.folder.relative_to(repo.root)) for t in repo.tasks)
    assert git(repo.root, "status", "--porcelain") == ""  # everything committed


def test_same_seed_gives_identical_repos(tmp_path: Path) -> None:
    first = generate(tmp_path / "a", 10)
    second = generate(tmp_path / "b", 10)

    assert _tree_digest(first.root) == _tree_digest(second.root)
    assert [t.key for t in first.tasks] == [t.key for t in second.tasks]


def test_edits_touch_exactly_the_files_they_name(tmp_path: Path) -> None:
    repo = generate(tmp_path / "repo", 30)

    size = touch_file(repo.tasks[1], "one")
    changed = change_tasks(repo, 0.10, "ten percent")
    bumped = bump_requirements(repo, 4)

    assert size == (repo.tasks[1].folder / "custom.py").stat().st_size
    assert len(changed) == 3
    assert len(bumped) == 4 and all(t.has_requirements for t in bumped)
    dirty = sorted(
        line[3:].strip('"') for line in git(repo.root, "status", "--porcelain").splitlines()
    )
    expected = sorted(
        {str((t.folder / "custom.py").relative_to(repo.root)) for t in [repo.tasks[1], *changed]}
        | {str((t.folder / "requirements.txt").relative_to(repo.root)) for t in bumped}
    )
    assert dirty == expected
    assert all(">=2." in (t.folder / "requirements.txt").read_text() for t in bumped)
    commit_all(repo.root, "edits")
    assert git(repo.root, "status", "--porcelain") == ""


def test_big_file_is_sparse_and_left_untracked(tmp_path: Path) -> None:
    task = add_big_file(tmp_path / "big", 512 * 2**20)

    weights = task.folder / "weights.bin"
    assert weights.stat().st_size == 512 * 2**20
    assert weights.stat().st_blocks * 512 < 2**20  # sparse: no real disk used
    assert git(tmp_path / "big", "status", "--porcelain") == '?? "tasks/big model/weights.bin"\n'


def test_commits_never_start_git_gc(tmp_path: Path) -> None:
    """Setup must not leave a repack running under the timed runs: a detached `git gc --auto`
    after the 10,000-task commit took a core for five minutes."""
    repo = generate(tmp_path / "repo", 3)
    assert git(repo.root, "config", "--get", "gc.auto").strip() == "0"
    # A repository due for gc, in the foreground where it shows: git counts the loose objects
    # in objects/17/ against gc.auto / 256 (rounded up), so two there are over a gc.auto of 1.
    git(repo.root, "config", "gc.auto", "1")
    git(repo.root, "config", "gc.autoDetach", "false")
    texts = [
        text
        for n in range(100_000)
        for text in [f"loose {n}\n"]
        if hashlib.sha1(f"blob {len(text)}\0{text}".encode()).hexdigest().startswith("17")
    ][:2]
    for index, text in enumerate(texts):
        (repo.root / f"loose-{index}.txt").write_text(text)
        git(repo.root, "hash-object", "-w", f"loose-{index}.txt")
    assert len(list((repo.root / ".git" / "objects" / "17").iterdir())) == 2
    touch_file(repo.tasks[0], "one more loose object")
    commit_all(repo.root, "an edit")
    assert not list((repo.root / ".git" / "objects" / "pack").glob("*.pack"))
    # the same commit without the harness's -c settings does gc: the test can fail
    touch_file(repo.tasks[1], "and another")
    git(repo.root, "add", "-A")
    subprocess.run(
        ["git", "commit", "-q", "-m", "plain"],
        cwd=repo.root,
        env=git_env(repo.root),
        check=True,
        capture_output=True,
    )
    assert list((repo.root / ".git" / "objects" / "pack").glob("*.pack"))
