"""Time `discover()` (validate + select + digest) over generated task folders.

Usage: python benchmarks/validate_bench.py [--tasks 1000] [--files 4] [--no-git]

Prints a figure, asserts nothing: the issue asks for "a few seconds at most" for 1,000 tasks.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
import time
from pathlib import Path

from ctask_sync.manifest.discovery import discover

MANIFEST = """\
key: bench/task-{i:04d}
name: Bench task {i}
target_type: {target}
language: python
description: Generated for the validate benchmark.
environment:
  id: 5e8c889607389fe0f466c72d
files:
  exclude: ["tests/**"]
maximum_memory: 2Gi
required_metadata: {{TEAM: bench}}
"""
TARGETS = ("binary", "regression", "multiclass", "anomaly", "transform")


def generate(root: Path, tasks: int, files: int) -> int:
    """Write `tasks` task folders of `files` files each (plus an excluded test); total bytes."""
    total = 0
    for i in range(tasks):
        folder = root / "tasks" / f"group {i % 10}" / f"task-{i:04d}"
        (folder / "tests").mkdir(parents=True)
        (folder / "ctask.yaml").write_text(MANIFEST.format(i=i, target=TARGETS[i % 5]), "utf-8")
        (folder / "custom.py").write_text(f"def fit(X, y, output_dir, **kw):\n    return {i}\n")
        for j in range(files - 1):
            body = f"# helper {j} of task {i}\n" + "x = 1\n" * (50 * (j + 1))
            (folder / f"helper_{j}.py").write_text(body, "utf-8")
            total += len(body)
        (folder / "tests" / "test_task.py").write_text("def test(): ...\n", "utf-8")
        (folder / "__pycache__").mkdir()
        (folder / "__pycache__" / "custom.cpython-311.pyc").write_bytes(b"\0" * 64)
    (root / ".gitignore").write_text("*.log\n", "utf-8")
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=1000)
    parser.add_argument("--files", type=int, default=4, help="uploaded files per task")
    parser.add_argument("--no-git", action="store_true", help="a plain folder, not a repo")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ctask-sync-bench-") as tmp:
        root = Path(tmp)
        started = time.perf_counter()
        size = generate(root, args.tasks, args.files)
        if not args.no_git:
            env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1"}
            subprocess.run(["git", "init", "-q", str(root)], check=True, env=env)
        print(
            f"generated {args.tasks} tasks x {args.files} files ({size / 1e6:.1f} MB) "
            f"in {time.perf_counter() - started:.2f}s"
        )
        timings = []
        for run in range(args.runs):
            started = time.perf_counter()
            discovery = discover(root)
            elapsed = time.perf_counter() - started
            timings.append(elapsed)
            files = sum(len(t.files) for t in discovery.tasks)
            print(
                f"run {run + 1}: discover() {elapsed:.2f}s: {len(discovery.tasks)} tasks, "
                f"{files} files, {len(discovery.errors)} errors"
            )
            assert len(discovery.tasks) == args.tasks and not discovery.errors
        best = min(timings)
        print(
            f"best {best:.2f}s for {args.tasks} tasks ({best / args.tasks * 1000:.2f} ms per task)"
        )


if __name__ == "__main__":
    main()
