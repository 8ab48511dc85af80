"""`validate` checks the ctask-sync.yaml that governs what it checks, as `plan` would: in the
folder searched, above it, in a nested root, and for manifest files passed one by one."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from ctask_sync.cli.main import main

MANIFEST = (
    "key: {key}\nname: T\ntarget_type: transform\nlanguage: python\n"
    "environment: {{id: 5e8c889607389fe0f466c72d}}\n"
)


def _task(folder: Path, key: str) -> Path:
    folder.mkdir(parents=True)
    (folder / "ctask.yaml").write_text(MANIFEST.format(key=key))
    (folder / "custom.py").write_text("def transform(X, **kw):\n    return X\n")
    return folder / "ctask.yaml"


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_a_bad_root_config_fails_validate_with_file_and_line(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / "ctask-sync.yaml").write_text("namespace: [1, 2]\nbogus: 1\n")
    _task(repo / "tasks" / "a", "demo/a")
    assert main(["validate"]) == 1
    out = capsys.readouterr().out
    assert "ctask-sync.yaml:1:12: error: namespace: expected a string, got a list" in out
    assert "ctask-sync.yaml:2:1: error: unknown key 'bogus'" in out
    assert out.splitlines()[-1] == "1 task valid, 2 errors, 0 warnings"


def test_a_good_root_config_adds_nothing(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "ctask-sync.yaml").write_text("namespace: team/a\n")
    _task(repo / "tasks" / "a", "demo/a")
    assert main(["validate"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "1 task valid, 0 errors, 0 warnings"


def test_a_nested_roots_config_is_checked_from_the_top_and_for_a_file(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / "ctask-sync.yaml").write_text("namespace: team/a\n")
    (repo / "team-b").mkdir()
    (repo / "team-b" / "ctask-sync.yaml").write_text("namespace: 12\n")
    manifest = _task(repo / "team-b" / "tasks" / "b", "demo/b")
    assert main(["validate", "."]) == 1
    out = capsys.readouterr().out
    assert "team-b/ctask-sync.yaml:1:12: error: namespace: expected a string" in out
    # pre-commit passes manifest files: their root config is checked too, each file once
    assert main(["validate", str(manifest), str(manifest)]) == 1
    out = capsys.readouterr().out
    assert out.count("team-b/ctask-sync.yaml:1:12") == 1


def test_root_config_problems_are_in_the_json_report(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / "ctask-sync.yaml").write_text("namespace: 12\n")
    _task(repo / "tasks" / "a", "demo/a")
    assert main(["validate", "--json"]) == 1
    document = json.loads(capsys.readouterr().out)
    assert document["summary"]["errors"] == 1
    assert document["findings"][0]["path"] == "ctask-sync.yaml"
    assert document["findings"][0]["severity"] == "error"
