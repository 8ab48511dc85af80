"""Workflow commands, outputs and summary files, checked through the harness's runner parser."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from ctask_sync.emulator.testing import SENTINEL_TOKEN
from ctask_sync.github.workflow_commands import Annotation, Workflow, append_summary, write_outputs
from tests.action.step_io import LogProcessor, parse_output_file


def test_annotation_escapes_properties_and_message() -> None:
    note = Annotation(
        "error",
        "bad value: 100%\nsecond line",
        file="tasks/a,b/ctask.yaml",
        line=3,
        col=7,
        title="ctask-sync: a:b",
    )
    assert note.command() == (
        "::error file=tasks/a%2Cb/ctask.yaml,line=3,col=7,title=ctask-sync%3A a%3Ab"
        "::bad value: 100%25%0Asecond line"
    )
    processor = LogProcessor()
    processor.feed(note.command())
    [command] = processor.commands
    assert command.properties == {
        "file": "tasks/a,b/ctask.yaml",
        "line": "3",
        "col": "7",
        "title": "ctask-sync: a:b",
    }
    assert command.data == "bad value: 100%\nsecond line"


def test_untrusted_text_cannot_issue_commands() -> None:
    out = io.StringIO()
    workflow = Workflow(out)
    with workflow.untrusted() as write:
        write("::error::injected\n::add-mask::x\n::endgroup::\n::set-output name=a::b")
    workflow.annotate(Annotation("warning", "ours"))
    processor = LogProcessor()
    processor.feed(out.getvalue())
    assert [(c.name, c.data) for c in processor.commands] == [("warning", "ours")]
    assert "::error::injected" in processor.log
    assert processor.masks == []


def test_untrusted_tokens_are_random_per_block() -> None:
    out = io.StringIO()
    workflow = Workflow(out)
    for _ in range(2):
        with workflow.untrusted():
            pass
    tokens = [line for line in out.getvalue().splitlines() if line.startswith("::stop-commands::")]
    assert len(set(tokens)) == 2
    assert all(len(t.removeprefix("::stop-commands::")) == 32 for t in tokens)


def test_add_mask_is_the_only_line_with_the_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INPUT_API_TOKEN", SENTINEL_TOKEN)
    out = io.StringIO()
    workflow = Workflow(out)
    workflow.add_mask(SENTINEL_TOKEN)
    workflow.log(f"calling with {SENTINEL_TOKEN}")
    workflow.annotate(Annotation("error", f"failed {SENTINEL_TOKEN}"))
    lines = out.getvalue().splitlines()
    assert lines[0] == f"::add-mask::{SENTINEL_TOKEN}"
    assert all(SENTINEL_TOKEN not in line for line in lines[1:])
    assert lines[1] == "calling with <hidden>"


def test_outputs_use_random_heredoc_delimiters(tmp_path: Path) -> None:
    path = tmp_path / "out"
    path.write_text("", encoding="utf-8")
    env = {"GITHUB_OUTPUT": str(path)}
    tricky = "line1\nEOF\nghadelimiter_\nname=value"
    assert write_outputs(env, {"tasks": tricky, "created": "2"})
    write_outputs(env, {"created": "3"})
    text = path.read_text(encoding="utf-8")
    delimiters = [line.split("<<", 1)[1] for line in text.splitlines() if "<<" in line]
    assert len(set(delimiters)) == 3
    assert parse_output_file(text) == {"tasks": tricky, "created": "3"}


def test_outside_a_runner_outputs_and_summary_are_skipped() -> None:
    assert write_outputs({}, {"a": "b"}) is False
    assert append_summary({}, "# hi") is False


def test_summary_is_appended_with_secrets_hidden(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATAROBOT_API_TOKEN", SENTINEL_TOKEN)
    path = tmp_path / "summary.md"
    env = {"GITHUB_STEP_SUMMARY": str(path)}
    append_summary(env, "## one")
    append_summary(env, f"token {SENTINEL_TOKEN}")
    assert path.read_text(encoding="utf-8") == "## one\n\ntoken <hidden>\n\n"
