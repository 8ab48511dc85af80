"""Terminal manners: -V and narrow output encodings."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from ctask_sync import __version__


def _run(*argv: str, **env: str) -> subprocess.CompletedProcess[bytes]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DATAROBOT_")}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "-m", "ctask_sync", *argv],
        capture_output=True,
        env=environment,
        timeout=60,
        check=False,
    )


def test_dash_capital_v_prints_the_version() -> None:
    done = _run("-V")
    assert done.returncode == 0
    assert done.stdout.decode() == f"ctask-sync {__version__}\n"


def test_a_cp1252_pipe_gets_replacements_not_a_crash(tmp_path: Path) -> None:
    task = tmp_path / "t"
    task.mkdir()
    (task / "custom.py").write_text("X = 1\n")
    (task / "ctask.yaml").write_text(
        "key: t\nname: Schätzer ✓ 日本\ntarget_type: binary\nlanguage: python\n"
        "environment: {id: 5e8c889607389fe0f466c72d}\n",
        "utf-8",
    )
    done = _run("validate", str(tmp_path), PYTHONIOENCODING="cp1252")
    assert done.returncode == 0, done.stderr
    # ✓ has no cp1252 code: it is replaced, the rest of the line stays readable
    assert done.stdout.decode("cp1252").startswith("? t")
