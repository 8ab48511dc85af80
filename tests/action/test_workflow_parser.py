"""GitHub's workflow parser (.ci/node/lint-actions.mjs, run by .ci/lint-actions) accepts
action.yml and every workflow, and rejects what the JSON schemas let through."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.action.gha_expressions import node_command
from tests.action.runner import REPO_ROOT

WORKFLOWS = sorted(
    [*REPO_ROOT.glob(".github/workflows/*.yml"), *REPO_ROOT.glob("examples/workflows/*.yml")]
)


def _lint(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*node_command("lint-actions.mjs"), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_action_and_workflows_parse_clean() -> None:
    assert WORKFLOWS, "no workflows found"
    done = _lint("--action", REPO_ROOT / "action.yml", *WORKFLOWS)
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


def _copy_with(tmp_path: Path, old: str, new: str) -> Path:
    text = (REPO_ROOT / "action.yml").read_text(encoding="utf-8")
    assert text.count(old) == 1, f"action.yml no longer contains {old!r} once"
    bad = tmp_path / "action.yml"
    bad.write_text(text.replace(old, new), encoding="utf-8")
    return bad


@pytest.mark.parametrize(
    ("old", "new"),
    [
        # A composite action has no secrets context: check-jsonschema passes this copy.
        ("${{ inputs.api-token }}", "${{ secrets.DATAROBOT_TOKEN }}"),
        # An input default is evaluated before any step ran: no steps context there.
        ("default: ${{ github.token }}", "default: ${{ steps.python.outputs.token }}"),
        # `needs` belongs to workflows.
        ("${{ inputs.path }}", "${{ needs.setup.outputs.path }}"),
    ],
)
def test_a_context_the_action_cannot_use_fails(tmp_path: Path, old: str, new: str) -> None:
    bad = _copy_with(tmp_path, old, new)
    done = _lint("--action", bad)
    context = new.split("{{ ")[1].split(".")[0]
    assert done.returncode == 1
    assert f"{bad} (Line: " in done.stdout
    assert f"Unrecognized named-value: '{context}'" in done.stdout


def test_a_broken_workflow_fails(tmp_path: Path) -> None:
    workflow = tmp_path / "wf.yml"
    workflow.write_text(
        "on: push\njobs:\n  a:\n    needs: b\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: echo ${{ steps.x.outputs.y }}\n"
        "  b:\n    needs: a\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo\n",
        encoding="utf-8",
    )
    done = _lint(workflow)
    assert done.returncode == 1
    assert "workflow-parser: " in done.stdout and str(workflow) in done.stdout


@pytest.mark.skipif(shutil.which("check-jsonschema") is None, reason="check-jsonschema not on PATH")
def test_the_json_schema_alone_lets_secrets_through(tmp_path: Path) -> None:
    """Why lint-actions runs the parser too: GitHub's schema for action.yml accepts the copy."""
    bad = _copy_with(tmp_path, "${{ inputs.api-token }}", "${{ secrets.DATAROBOT_TOKEN }}")
    done = subprocess.run(
        ["check-jsonschema", "--builtin-schema", "vendor.github-actions", str(bad)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
