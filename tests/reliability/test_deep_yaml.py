"""YAML nested far deeper than any composer recurses, in every YAML file a run reads: a clear
error naming the file, never a crash. PyYAML's C composer crashed the whole process with
SIGSEGV on `key: [[[[...` inside the 1 MiB manifest limit (hence a subprocess here)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

DEEP = "[" * 300_000 + "]" * 300_000  # 600 KB: within every size limit
GOOD_MANIFEST = (
    "key: demo/deep\nname: Deep\ntarget_type: transform\nlanguage: python\n"
    "environment: {id: 5e8c889607389fe0f466c72d}\n"
)


def _validate(root: Path, command: str = "validate") -> subprocess.CompletedProcess[str]:
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CTASK_SYNC_")}
    return subprocess.run(
        [sys.executable, "-m", "ctask_sync", command, "."],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("ctask.yaml", f"key: {DEEP}\n"),
        ("model-metadata.yaml", f"name: x\ntype: transform\nhyperparameters: {DEEP}\n"),
    ],
    ids=["manifest", "model-metadata"],
)
def test_deep_yaml_in_a_task_is_an_error_not_a_crash(tmp_path: Path, name: str, text: str) -> None:
    task = tmp_path / "tasks" / "deep"
    task.mkdir(parents=True)
    (task / "ctask.yaml").write_text(GOOD_MANIFEST)
    (task / "custom.py").write_text("def transform(X, **kw):\n    return X\n")
    (task / name).write_text(text)
    run = _validate(tmp_path)
    assert run.returncode == 1, (run.returncode, run.stderr[-2000:])
    out = (run.stdout + run.stderr)[-3000:]
    assert f"tasks/deep/{name}:" in out, out
    assert "nests more than 100 levels deep" in out
    assert "Traceback" not in out


def test_deep_root_config_is_an_error_not_a_crash(tmp_path: Path) -> None:
    # 60 KB, under the root config's 64 KiB limit, and deeper than libyaml's composer survives
    deep = "[" * 30_000 + "]" * 30_000
    (tmp_path / "ctask-sync.yaml").write_text(f"namespace: {deep}\n")
    task = tmp_path / "tasks" / "deep"
    task.mkdir(parents=True)
    (task / "ctask.yaml").write_text(GOOD_MANIFEST)
    (task / "custom.py").write_text("def transform(X, **kw):\n    return X\n")
    run = _validate(tmp_path, "plan")  # the embedded emulator: nothing leaves the machine
    assert run.returncode == 1, (run.returncode, run.stderr[-2000:])
    out = (run.stdout + run.stderr)[-3000:]
    assert "ctask-sync.yaml:1:" in out, out
    assert "nests more than 100 levels deep" in out, out
    assert "Traceback" not in out
