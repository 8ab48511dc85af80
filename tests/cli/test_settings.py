"""One Settings: every option's flag, environment fallback and default, from argv or inputs."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest

from ctask_sync.cli.main import build_parser, main
from ctask_sync.errors import ConfigError
from ctask_sync.github.inputs import settings_from_inputs
from ctask_sync.github.route import read_config
from ctask_sync.github.workflow_commands import Inputs
from ctask_sync.settings import OPTIONS, Settings

# Set by the run, not by the user: the token (environment only), and the action's commit and ref.
# set by the action from the event (commit, ref, previews never touch blueprints), never a flag
# targets: the repeatable --target, with no environment fallback on purpose (a leftover
# variable must never quietly narrow what a CI apply syncs)
_NOT_OPTIONS = {"token", "commit", "ref", "touch_blueprints", "targets"}
_OFFICIAL = {"endpoint": "DATAROBOT_ENDPOINT", "ca_bundle": "REQUESTS_CA_BUNDLE"}


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for option in OPTIONS:
        monkeypatch.delenv(option.env, raising=False)
    monkeypatch.delenv("DATAROBOT_API_TOKEN", raising=False)


def _settings(*argv: str) -> Settings:
    return Settings.from_args(build_parser().parse_args(list(argv)))


def test_every_field_is_one_option_with_its_environment_variable() -> None:
    fields = {f.name for f in msgspec.structs.fields(Settings)} - _NOT_OPTIONS
    assert sorted(o.field for o in OPTIONS) == sorted(fields)
    for option in OPTIONS:
        expected = "CTASK_SYNC_" + option.flag.lstrip("-").replace("-", "_").upper()
        assert option.env == _OFFICIAL.get(option.field, expected), option.field


@pytest.mark.parametrize("command", ["plan", "apply", "status", "cleanup"])
def test_no_flags_and_no_environment_give_the_defaults(command: str) -> None:
    assert _settings(command) == Settings()


def test_environment_fills_what_argv_leaves_out(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CTASK_SYNC_CONCURRENCY", "3")
    monkeypatch.setenv("CTASK_SYNC_BUILD_TIMEOUT", "90")
    monkeypatch.setenv("CTASK_SYNC_NO_WAIT", "true")
    monkeypatch.setenv("CTASK_SYNC_SHARD", "2/4")
    monkeypatch.setenv("CTASK_SYNC_PATH", "tasks")
    monkeypatch.setenv("DATAROBOT_API_TOKEN", "secret-token")
    settings = _settings("apply", "--concurrency", "5")
    assert (settings.concurrency, settings.build_timeout, settings.wait) == (5, 90.0, False)
    assert (settings.shard, settings.path) == ((2, 4), Path("tasks"))
    assert settings.token == "secret-token"


def test_help_names_each_variable_and_the_one_default(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["apply", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "adaptive limit (env CTASK_SYNC_CONCURRENCY; default: start at 8, grow" in text
    assert "(env CTASK_SYNC_MAX_CONCURRENCY; default 32, or --concurrency" in text
    assert "together (env CTASK_SYNC_BUILD_TIMEOUT; default 1800)" in text
    assert "start dependency builds, don't wait (env CTASK_SYNC_NO_WAIT)" in text


def test_a_bad_switch_variable_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CTASK_SYNC_MAJOR", "maybe")
    assert main(["plan", str(tmp_path)]) == 1
    assert capsys.readouterr().err.splitlines()[0] == (
        "error: CTASK_SYNC_MAJOR: expected true or false, got 'maybe'"
    )


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        (
            "CTASK_SYNC_TIMEOUT",
            "nan",
            "--timeout: must be a number of seconds, at least 0, got nan",
        ),
        (
            "CTASK_SYNC_TIMEOUT",
            "soon",
            "--timeout: must be a number of seconds, at least 0, got soon",
        ),
        ("CTASK_SYNC_CONCURRENCY", "0", "--concurrency: must be a whole number, at least 1, got 0"),
    ],
)
def test_a_bad_number_variable_is_a_usage_error(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    variable: str,
    value: str,
    message: str,
) -> None:
    monkeypatch.setenv(variable, value)
    assert main(["plan", "."]) == 1
    assert capsys.readouterr().err.splitlines()[-1] == f"ctask-sync plan: error: argument {message}"


def test_the_action_gets_timeout_and_retry_budget_from_inputs_or_environment() -> None:
    env = {
        "GITHUB_REPOSITORY": "octo/tasks",
        "INPUT_REQUEST_TIMEOUT": "5",
        "CTASK_SYNC_RETRY_MAX_SECONDS": "7",
        "DATAROBOT_API_TOKEN": "from-env",
    }
    settings = read_config(env).settings
    assert (settings.timeout, settings.retry_max_seconds) == (5.0, 7.0)
    # no concurrency input: the adaptive default (8 up to 32), as on the command line
    assert (settings.build_timeout, settings.concurrency, settings.token) == (
        1800.0,
        None,
        "from-env",
    )


def test_the_action_names_a_bad_environment_fallback() -> None:
    with pytest.raises(ConfigError) as info:
        settings_from_inputs(Inputs({}), {"CTASK_SYNC_CONCURRENCY": "zero"})
    assert info.value.message == (
        "CTASK_SYNC_CONCURRENCY: must be a whole number, at least 1, got zero"
    )
