"""`ctask-sync validate`: the summary, --json, warnings, and hostile input never crashing."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ctask_sync.cli.main import main
from tests.testing.clirun import Run

from .conftest import VALID, git, write_task

REPO = Path(__file__).resolve().parents[2]


def test_examples_are_valid(cli: Callable[..., Run], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    result = cli("validate", "examples/")
    assert result.out == (
        "✓ churn/pipeline-regression  examples/churn-pipeline  2 files, 2.3 KB\n"
        "✓ common/r-median-impute     examples/r-impute        1 file, 885 B\n"
        "✓ fraud/xgb-binary           examples/fraud-xgb       3 files, 2.4 KB\n"
        "3 tasks valid, 0 errors, 0 warnings\n"
    )
    assert (result.code, result.err) == (0, "")


def test_examples_select_the_intended_files(monkeypatch: pytest.MonkeyPatch) -> None:
    from ctask_sync.manifest.discovery import discover

    monkeypatch.chdir(REPO)
    tasks = {t.key: [f.path for f in t.files] for t in discover(Path("examples")).tasks}
    assert tasks == {
        # tests/ stays local (files.exclude); the pickled encoder is uploaded as is.
        "churn/pipeline-regression": ["custom.py", "encoder.pkl"],
        "common/r-median-impute": ["custom.R"],
        "fraud/xgb-binary": ["custom.py", "fraud_features/__init__.py", "requirements.txt"],
    }


def test_examples_in_a_fresh_git_repo(repo: Path, cli: Callable[..., Run], tmp_path: Path) -> None:
    # The layout a user copies: examples plus the schema, committed in their own repository.
    shutil.copytree(
        REPO / "examples", repo / "examples", ignore=shutil.ignore_patterns("workflows")
    )
    shutil.copytree(REPO / "schemas", repo / "schemas")
    git(repo, "add", ".")
    git(repo, "commit", "--quiet", "-m", "examples")
    result = cli("validate", "examples")
    assert result.code == 0
    assert result.out.splitlines()[-1] == "3 tasks valid, 0 errors, 0 warnings"


def test_warnings_do_not_fail(repo: Path, cli: Callable[..., Run]) -> None:
    write_task(repo, "t", VALID, {"model.pkl": b"\x80\x04N."})
    result = cli("validate")
    assert result.out == (
        "t/ctask.yaml:3:11: warning: python task without custom.py: DRUM needs it for the "
        "fit/transform hooks unless the artifact alone is enough\n"
        "\n"
        "✓ t  t  1 file, 4 B\n"
        "1 task valid, 0 errors, 1 warning\n"
    )
    assert result.code == 0


def test_json_output(repo: Path, cli: Callable[..., Run]) -> None:
    write_task(repo, "good", VALID, {"custom.py": "x = 1\n", "sub dir/é.py": "y\n"})
    write_task(repo, "bad", VALID + "nmae: x\n")
    result = cli("validate", "--json")
    assert result.code == 1
    assert json.loads(result.out) == {
        "tasks": [
            {
                "key": "good",
                "name": "Fraud estimator",
                "folder": "good",
                "manifest": "good/ctask.yaml",
                "target_type": "binary",
                "language": "python",
                "files": 2,
                "bytes": 8,
            }
        ],
        "findings": [
            {
                "path": "bad/ctask.yaml",
                "line": 6,
                "column": 1,
                "severity": "error",
                "message": "unknown key 'nmae' (did you mean 'name'?)",
                "key": "bad",
            }
        ],
        "summary": {"valid": 1, "invalid": 1, "errors": 1, "warnings": 0},
    }


def test_json_output_when_valid(repo: Path, cli: Callable[..., Run]) -> None:
    write_task(repo, "t", VALID)
    result = cli("validate", ".", "--json")
    assert result.code == 0
    assert json.loads(result.out)["summary"] == {
        "valid": 1,
        "invalid": 0,
        "errors": 0,
        "warnings": 0,
    }


# Hostile input: whatever bytes a manifest holds, validate answers 0 or 1, never a crash.
_FRAGMENTS = [
    VALID,
    "name: [\n",
    "\t",
    "key: ",
    "environment: {id: 1, name: 2}\n",
    "files:\n  include: ['../x', '**']\n",
    "maximum_memory: 1e9\n",
    "required_metadata: {a: [1]}\n",
    "&a x: *a\n",
    "!!binary aGk=\n",
    "? [a, b]\n: c\n",
    "--- \n...\n---\n",
    "\x00\xff\ufeff",
    "name: '\u202e'\n",
]


@settings(
    max_examples=int(os.environ.get("CTASK_SYNC_FUZZ_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    parts=st.lists(st.sampled_from(_FRAGMENTS), max_size=5),
    noise=st.binary(max_size=40),
)
def test_hostile_manifests_never_crash(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    parts: list[str],
    noise: bytes,
) -> None:
    root = tmp_path / "fuzz"
    shutil.rmtree(root, ignore_errors=True)
    data = "".join(parts).encode("utf-8", "surrogatepass") + noise
    write_task(root, "t", data)
    code = main(["validate", os.fspath(root)])
    captured = capsys.readouterr()
    assert code in (0, 1), captured.err
    assert "Traceback" not in captured.out + captured.err
    assert "unexpected error" not in captured.err
