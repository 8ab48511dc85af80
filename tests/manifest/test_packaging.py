"""The schemas travel with a regular install (the GitHub Action runs `pip install .`): a wheel
carries every schemas/*.json as ctask_sync.schemas, and validation works from it alone."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

PROBE = """
import sys
from pathlib import Path
import ctask_sync
from ctask_sync.manifest.discovery import discover
assert ctask_sync.__file__.startswith(sys.argv[1]), ctask_sync.__file__
discovery = discover(Path(sys.argv[2]))
assert not discovery.errors, [f.format() for f in discovery.errors]
print(len(discovery.tasks))
"""


def test_a_wheel_carries_every_schema_and_validates_away_from_the_source(tmp_path: Path) -> None:
    # Build from a copy so build/ and egg-info never land in the shared working tree.
    source = tmp_path / "src"
    source.mkdir()
    for name in ("pyproject.toml", "setup.py", "README.md"):
        shutil.copy(REPO / name, source)
    for folder in ("ctask_sync", "schemas"):
        shutil.copytree(
            REPO / folder, source / folder, ignore=shutil.ignore_patterns("__pycache__")
        )
    wheels = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels), str(source)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = wheels.glob("ctask_sync-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    published = {f"ctask_sync/schemas/{p.name}" for p in (REPO / "schemas").glob("*.json")}
    assert published and published <= names
    assert "ctask_sync/py.typed" in names
    lib = tmp_path / "lib"
    zipfile.ZipFile(wheel).extractall(lib)  # what pip does with a pure-Python wheel
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(lib), str(REPO / "examples")],
        cwd=elsewhere,
        env={**os.environ, "PYTHONPATH": str(lib)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "3"
