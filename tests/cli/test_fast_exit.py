"""`python -m ctask_sync` leaves without the interpreter's teardown (__main__.run): every line
it printed still arrives through a pipe, its exit code holds, and a thread still working is
waited for as a normal exit would."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

MANIFEST = (
    "key: demo/t{n}\nname: T{n}\ntarget_type: transform\nlanguage: python\n"
    "environment: {{id: 5e8c889607389fe0f466c72d}}\n"
)


def _env() -> dict[str, str]:
    """The environment without PYTHONUNBUFFERED (set on these machines, rarely elsewhere): the
    output must arrive from Python's buffers too."""
    return {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("CTASK_SYNC_") and k != "PYTHONUNBUFFERED"
    }


def test_all_output_arrives_and_the_exit_code_holds(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    for n in range(300):
        task = tmp_path / "tasks" / f"t{n}"
        task.mkdir(parents=True)
        (task / "ctask.yaml").write_text(MANIFEST.format(n=n))
        (task / "custom.py").write_text("def transform(X, **kw):\n    return X\n")
    (tmp_path / "tasks" / "t7" / "ctask.yaml").write_text("key: demo/t7\n")  # invalid
    run = subprocess.run(
        [sys.executable, "-m", "ctask_sync", "validate", "."],
        cwd=tmp_path,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 1
    assert run.stdout.count("✓ demo/t") == 299
    assert run.stdout.splitlines()[-1].startswith("299 tasks valid, 1 invalid, ")


def test_a_thread_still_working_is_waited_for(tmp_path: Path) -> None:
    marker = tmp_path / "written"
    script = textwrap.dedent(
        f"""
        import threading, time
        import ctask_sync.__main__ as entry

        def main():
            def late():
                time.sleep(0.5)
                open({str(marker)!r}, "w").write("done")
            threading.Thread(target=late).start()
            return 3

        entry.main = main
        entry.run()
        """
    )
    run = subprocess.run([sys.executable, "-c", script], env=_env(), timeout=60)
    assert run.returncode == 3
    assert marker.read_text() == "done"
