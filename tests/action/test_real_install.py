"""The action's install step for real: from the interpreter setup-python provides (here a fresh
venv standing for the tool cache's Python, which the job's own steps share), it makes a private
virtual environment under RUNNER_TEMP, installs the pinned build dependencies and then a copy of
the action with action-constraints.txt, and the sync step runs that installed copy against the
emulator. The job's interpreter ends with exactly the packages it started with.

pip needs a package index, so the test suite skips this module; .ci/real-install runs it (and
.ci/run runs that)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.action.action_support import Harness
from tests.action.fake_github import FakeGitHub
from tests.action.runner import REPO_ROOT, ActionRunner

pytestmark = pytest.mark.skipif(
    os.environ.get("CTASK_SYNC_REAL_INSTALL") != "1",
    reason="runs pip against a package index: run by .ci/real-install",
)
PIP_TIMEOUT = 600
# What a checkout of the action holds that the install does not need (or must not see).
_NOT_SHIPPED = shutil.ignore_patterns(
    ".git", "node_modules", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", ".ctask-sync"
)


def _pins() -> dict[str, str]:
    """action-constraints.txt as normalised name → version."""
    pins = {}
    text = (REPO_ROOT / "action-constraints.txt").read_text(encoding="utf-8")
    for line in text.splitlines():
        requirement = line.split("#", 1)[0].strip()
        if requirement:
            name, version = requirement.split("==")
            pins[_normalise(name)] = version
    return pins


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _installed(python: Path) -> dict[str, str]:
    listing = subprocess.run(
        [str(python), "-I", "-m", "pip", "list", "--format=freeze", "--disable-pip-version-check"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    pairs = (line.split("==") for line in listing.splitlines() if "==" in line)
    return {_normalise(name): version for name, version in pairs}


def test_the_install_step_installs_the_pinned_action_and_the_sync_runs_it(
    repo: Path, tmp_path: Path, emulator: Any, github_api: FakeGitHub
) -> None:
    action = tmp_path / "action"
    shutil.copytree(REPO_ROOT, action, ignore=_NOT_SHIPPED)
    venv = tmp_path / "setup-python"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    jobs_own = _installed(python)
    runner = ActionRunner(
        workspace=repo, temp=tmp_path / "rt", action_path=action, python=python, timeout=PIP_TIMEOUT
    )

    result = Harness(runner, repo, emulator.endpoint, github_api).push()

    install = next(step for step in result.steps if step.name == "Install ctask-sync")
    assert (install.exit_code, result.conclusion) == (0, "success"), result.raw_stderr
    assert not (tmp_path / "rt" / "harness-pip.log").exists()  # pip ran, not the stand-in
    assert _installed(python) == jobs_own  # the job's own interpreter is untouched
    private = tmp_path / "rt" / "ctask-sync-venv"
    installed = _installed(private / "bin" / "python")
    assert installed.pop("ctask-sync") == "0.1.0"
    pins = _pins()
    # Every package pip brought in (build dependencies too) is pinned, at its pin; only pip
    # itself, from the venv, is not.
    dependencies = {name: v for name, v in installed.items() if name != "pip"}
    assert dependencies == {name: pins[name] for name in dependencies}
    assert set(dependencies) == set(pins)
    where = subprocess.run(
        [
            str(private / "bin" / "python"),
            "-I",
            "-c",
            "import ctask_sync; print(ctask_sync.__file__)",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        cwd=action,  # -I: the action's own ctask_sync folder in the cwd is not imported
    ).stdout.strip()
    assert Path(where).is_relative_to(private), where
    assert result.outputs["created"] == "2"
