"""The schema travels with a non-editable install (the GitHub Action runs `pip install .`)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

PROBE = """
import sys
from pathlib import Path
import ctask_sync
from ctask_sync.manifest.manifest import discover
assert ctask_sync.__file__.startswith(sys.argv[1]), ctask_sync.__file__
discovery = discover(Path(sys.argv[2]))
assert not discovery.errors, [f.format() for f in discovery.errors]
print(len(discovery.tasks))
"""


def test_built_package_finds_its_schema_away_from_the_source_tree(tmp_path: Path) -> None:
    # Build a copy so setuptools' egg-info never lands in the shared working tree.
    source = tmp_path / "src"
    source.mkdir()
    shutil.copy(REPO / "pyproject.toml", source)
    readme = REPO / "README.md"
    (source / "README.md").write_text(readme.read_text("utf-8") if readme.exists() else "x\n")
    shutil.copytree(
        REPO / "ctask_sync",
        source / "ctask_sync",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    build_lib = tmp_path / "lib"
    subprocess.run(
        [
            sys.executable,
            "-c",
            "import setuptools; setuptools.setup()",
            "-q",
            "build_py",
            "--build-lib",
            str(build_lib),
        ],
        cwd=source,
        check=True,
        capture_output=True,
        timeout=120,
    )
    assert (build_lib / "ctask_sync" / "schema" / "ctask.schema.json").is_file()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(build_lib), str(REPO / "examples")],
        cwd=elsewhere,
        env={**os.environ, "PYTHONPATH": str(build_lib)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "3"
