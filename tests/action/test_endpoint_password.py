"""A password in the endpoint input (not the token, so no `secrets.*` masking knows it) is
masked for the runner and, runner or not, never written: not in the log, the job summary's task
links, the outputs or the plan-json report."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.action.action_support import Harness, assert_secret_kept
from tests.action.runner import ActionResult

PASSWORD = "pa55word"


def assert_password_kept(result: ActionResult) -> None:
    """Like the token: on stdout only in the ::add-mask:: line the runner swallows."""
    leaking = [line for line in result.raw_stdout.splitlines() if PASSWORD in line]
    assert leaking == [f"::add-mask::{PASSWORD}"]
    assert PASSWORD in result.masks
    assert PASSWORD not in result.summary + result.raw_stderr
    assert all(PASSWORD not in value for value in result.outputs.values())
    assert PASSWORD not in Path(result.outputs["plan-json"]).read_text(encoding="utf-8")
    assert_secret_kept(result)


def test_a_password_in_the_endpoint_is_masked_and_never_written(
    harness: Harness, emulator: Any
) -> None:
    harness.endpoint = emulator.endpoint.replace("http://", f"http://user:{PASSWORD}@", 1)
    site = emulator.endpoint.removesuffix("/api/v2")

    applied = harness.push()
    assert applied.conclusion == "success", applied.raw_stderr
    assert_password_kept(applied)
    # the summary's task links point at the web page, without credentials
    assert f"]({site}/model-registry/custom-tasks/" in applied.summary
    assert "Endpoint: http://<hidden>@127.0.0.1:" in "\n".join(applied.log)

    planned = harness.pull_request(7)
    assert planned.conclusion == "success", planned.raw_stderr
    assert_password_kept(planned)
