"""`ctask-sync action` outside a runner: plain text, no workflow-command syntax, no add-mask
echo of the token, and the CLI's exit codes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ctask_sync.cli.main import main
from ctask_sync.emulator.testing import SENTINEL_TOKEN
from tests.action.action_support import write_task


def test_validate_outside_a_runner_prints_plain_text(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("INPUT_MODE", "validate")
    monkeypatch.setenv("INPUT_PATH", str(repo))
    monkeypatch.setenv("INPUT_API_TOKEN", SENTINEL_TOKEN)
    assert main(["action"]) == 0
    out, err = capsys.readouterr()
    assert out.splitlines() == [
        "ctask-sync: mode validate requested.",
        "## ctask-sync validate: `octo/tasks`",  # the namespace of the repo's ctask-sync.yaml
        "",
        "mode validate requested.",
        "",
        "Manifests valid: 2 valid tasks, 0 errors, 0 warnings.",
    ]
    assert "::" not in out and SENTINEL_TOKEN not in out + err


def test_invalid_manifest_outside_a_runner(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write_task(repo, "tasks/alpha", extra="maximum_memory: lots\n")
    monkeypatch.chdir(repo)
    monkeypatch.setenv("INPUT_MODE", "validate")
    assert main(["action"]) == 1
    out = capsys.readouterr().out
    assert "error: tasks/alpha/ctask.yaml:8:17: maximum_memory: 'lots' is not a size" in out
    assert "Manifests invalid: 1 valid task, 1 error, 0 warnings." in out


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"INPUT_CONCURRENCY": "0"},
            "error: input concurrency: expected a whole number >= 1, got '0'",
        ),
        ({"INPUT_PATH": "nowhere"}, "error: input path: 'nowhere' is not a folder in "),
        ({"GITHUB_REPOSITORY": "octo/tasks"}, "error: input endpoint is empty"),
    ],
)
def test_bad_configuration_is_one_clear_error(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    env: dict[str, str],
    message: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert main(["action"]) == 1
    out, err = capsys.readouterr()
    assert message in out
    assert "Traceback" not in out + err


def test_missing_token_is_a_clear_error(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    emulator: Any,
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DATAROBOT_API_TOKEN")
    monkeypatch.setenv("INPUT_ENDPOINT", emulator.endpoint)
    monkeypatch.setenv("GITHUB_REPOSITORY", "octo/tasks")
    assert main(["action"]) == 1
    out = capsys.readouterr().out
    assert "error: input api-token is empty\n  hint: pass `api-token: ${{ secrets." in out
