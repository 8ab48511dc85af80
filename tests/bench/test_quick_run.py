"""CI's proof that the benchmark works: `sync_bench.py --quick` runs both tools end to end
against emulator processes, prints the table, and meets every count, byte and memory target."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from scenarios import BENCH_TOKEN

BENCH_DIR = Path(__file__).resolve().parents[2] / "benchmarks"
SCENARIO_TITLES = (
    "initial sync",
    "no-op re-run",
    "one file changed",
    "10 % of tasks changed",
    "requirements.txt in 4 tasks",
)


@pytest.mark.slow
@pytest.mark.timeout(480)
def test_quick_run_prints_the_table_and_meets_the_targets(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATAROBOT_", "GITHUB_"))}

    done = subprocess.run(
        [sys.executable, str(BENCH_DIR / "sync_bench.py"), "--quick", "--json", str(out)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=450,
    )

    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    lines = done.stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("scenario"))
    header = lines[start]
    assert header.split() == ["scenario", "tool", "reads", "writes", "bytes", "up", "wall", "s"]
    # the scenario table runs to the first blank line (the targets table below names scenarios too)
    end = next((i for i in range(start, len(lines)) if not lines[i].strip()), len(lines))
    table = lines[start + 1 : end]
    for title in SCENARIO_TITLES:
        rows = [line for line in table if line.startswith(title)]
        assert [row[len(title) :].split()[0] for row in rows] == ["SDK", "ctask-sync", "ratio"]
    assert any(line.startswith("peak RSS, ctask-sync uploading 256 MiB") for line in lines)
    figures = json.loads(out.read_text())
    checked = {t["name"]: t["ok"] for t in figures["targets"] if not t["timing"]}
    assert checked == {
        "no-op re-run: writes": True,
        "no-op re-run: requests": True,
        "one file changed: writes": True,
        "one file changed: bytes uploaded": True,
        "requirements changed: builds started": True,
        "requirements changed: builds run side by side": True,
        "upload of a 256 MiB file: peak RSS": True,
    }
    assert all(t["ok"] is None for t in figures["targets"] if t["timing"])
    noop = next(
        s for s in figures["scenarios"] if s["scenario"] == "noop" and s["tool"] == "ctask-sync"
    )
    assert noop["writes"] == 0
    assert BENCH_TOKEN not in done.stdout + done.stderr
