"""Issue 7, item 5 on the command line: hostile option values never give a traceback or exit 3.

The endpoint is the one value the CLI parses itself before any request; hypothesis throws
arbitrary text at it (the connection attempts fail fast on this machine: sleeps are patched)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ctask_sync.cli.main import BUG_HINT
from ctask_sync.emulator.testing import SENTINEL_TOKEN

from .support import cli, commit_all, init_repo, write_task

endpoints = st.one_of(
    st.text(max_size=40),
    st.builds(
        lambda scheme, rest: f"{scheme}{rest}",
        st.sampled_from(["http://", "https://", "http://[", "http://127.0.0.1:", "https://u:p@"]),
        st.text(
            alphabet=st.characters(blacklist_categories=["Cs"]),
            max_size=30,
        ),
    ),
)


@pytest.fixture
def one_task(tmp_path: Path) -> Path:
    repo = init_repo(tmp_path / "repo")
    write_task(repo, "alpha", files={"custom.py": "pass\n"})
    commit_all(repo)
    return repo


def test_an_unparseable_endpoint_is_a_clear_error(one_task: Path) -> None:
    run = cli("plan", str(one_task), "--endpoint", "http://[::1", "--namespace", "acme/tasks")
    assert run.code == 1, run.err
    assert BUG_HINT not in run.err


@pytest.mark.parametrize("endpoint", ["http://0..", "https://a..b/api/v2"])
def test_an_endpoint_host_with_an_empty_label_is_a_clear_error(
    endpoint: str, one_task: Path, no_sleep: None
) -> None:
    run = cli("plan", str(one_task), "--endpoint", endpoint, "--namespace", "acme/tasks")
    assert run.code == 1, run.err
    assert BUG_HINT not in run.err


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(endpoint=endpoints)
def test_any_endpoint_text_gives_a_clear_error_or_works(
    endpoint: str, one_task: Path, no_sleep: None
) -> None:
    run = cli("plan", str(one_task), "--endpoint", endpoint, "--namespace", "acme/tasks")
    assert run.code in (0, 1, 2), run.err
    assert "Traceback" not in run.text and BUG_HINT not in run.err, run.err
    assert SENTINEL_TOKEN not in run.text


@pytest.mark.parametrize("option", ["--build-timeout", "--retry-max-seconds"])
def test_a_nan_duration_is_refused(option: str, one_task: Path) -> None:
    run = cli("apply", str(one_task), option, "nan", "--namespace", "acme/tasks")
    assert run.code == 1
    assert f"argument {option}:" in run.err
