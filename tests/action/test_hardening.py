"""Action hardening: no expression inside any `run:`, hostile input values run nothing, and the
offline lint (check-jsonschema + zizmor) passes here and fails on a real finding."""

from __future__ import annotations

import shutil
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.action.action_support import Harness, owned
from tests.action.runner import REPO_ROOT

WORKFLOW_FILES = sorted(
    [
        REPO_ROOT / "action.yml",
        *(REPO_ROOT / "examples/workflows").glob("*.y*ml"),
        *(REPO_ROOT / ".github/workflows").glob("*.y*ml"),
    ]
)


def run_blocks(document: dict[str, Any]) -> list[str]:
    """Every `run:` of a composite action or of every job of a workflow."""
    steps = list((document.get("runs") or {}).get("steps") or [])
    for job in (document.get("jobs") or {}).values():
        steps.extend(job.get("steps") or [])
    return [str(step["run"]) for step in steps if "run" in step]


def test_the_files_checked_are_the_expected_ones() -> None:
    names = {p.relative_to(REPO_ROOT).as_posix() for p in WORKFLOW_FILES}
    assert {
        "action.yml",
        "examples/workflows/push.yml",
        "examples/workflows/pr-plan.yml",
        "examples/workflows/pr-preview.yml",
        "examples/workflows/release.yml",
        "examples/workflows/drift.yml",
        ".github/workflows/ci.yml",
    } <= names


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda p: p.name)
def test_no_expression_inside_any_run(path: Path) -> None:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    blocks = run_blocks(document)
    offending = [block for block in blocks if "${{" in block]
    assert offending == [], f"{path}: move these expressions into `env:`"


def test_the_run_check_catches_an_expression() -> None:
    document = {"jobs": {"a": {"steps": [{"run": "echo ${{ github.event.issue.title }}"}]}}}
    assert [b for b in run_blocks(document) if "${{" in b] == [
        "echo ${{ github.event.issue.title }}"
    ]


def test_every_action_input_reaches_the_script_through_env() -> None:
    action = yaml.safe_load((REPO_ROOT / "action.yml").read_text(encoding="utf-8"))
    sync_step = next(s for s in action["runs"]["steps"] if s.get("id") == "sync")
    passed = sync_step["env"]
    for name in action["inputs"]:
        if name == "python-version":
            continue  # used by setup-python only
        variable = "INPUT_" + name.upper().replace("-", "_")
        assert passed[variable] == f"${{{{ inputs.{name} }}}}"


HOSTILE = [
    "$(touch {marker})",
    "`touch {marker}`",
    "x'; touch {marker}; echo '",
    'x"; touch {marker}; echo "',
    "a\ntouch {marker}\n",
]


def test_hostile_input_values_run_nothing(harness: Harness, emulator: Any) -> None:
    marker = Path("/tmp/pwned")
    marker.unlink(missing_ok=True)
    own = Path(f"/tmp/pwned-{uuid.uuid4().hex}")
    values = [v.format(marker=m) for v in HOSTILE for m in (marker, own)]
    namespace = "octo/" + values[0]
    result = harness.push(inputs={"namespace": namespace, "main-branch": values[1]})
    # The branch name is not `main` any more, so this push only plans: nothing ran either way.
    assert result.conclusion == "success", result.raw_stderr
    assert not marker.exists() and not own.exists()
    assert f"## ctask-sync plan: `{namespace}`" in result.summary

    for value in values:
        every_input = {
            name: value
            for name in (
                "path",
                "namespace",
                "mode",
                "main-branch",
                "allow-delete",
                "wait-for-builds",
                "build-timeout",
                "concurrency",
                "comment",
                "preview",
                "shard",
                "endpoint",
            )
        }
        bad = harness.push(inputs=every_input)
        assert bad.conclusion == "failure"
        assert bad.annotations("error")[0].data.startswith("input mode: expected one of auto")
        assert not marker.exists() and not own.exists()
    assert owned(emulator.endpoint, "octo/tasks") == {}


def test_the_hostile_namespace_is_applied_as_plain_text(harness: Harness, emulator: Any) -> None:
    own = Path(f"/tmp/pwned-{uuid.uuid4().hex}")
    namespace = f"octo/$(touch {own})"
    result = harness.push(inputs={"namespace": namespace})
    assert result.conclusion == "success", result.raw_stderr
    assert sorted(owned(emulator.endpoint, namespace)) == ["tasks/alpha", "tasks/beta"]
    assert not own.exists()


def test_lint_script_passes_on_the_repository() -> None:
    done = subprocess.run(
        ["bash", str(REPO_ROOT / ".ci/lint-actions")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "lint-actions: action.yml and 6 workflow(s) clean" in done.stdout


def test_lint_script_fails_on_a_script_injection(tmp_path: Path) -> None:
    (tmp_path / ".ci").mkdir()
    shutil.copy(REPO_ROOT / ".ci/lint-actions", tmp_path / ".ci/lint-actions")
    shutil.copy(REPO_ROOT / "action.yml", tmp_path / "action.yml")
    workflows = tmp_path / ".github/workflows"
    workflows.mkdir(parents=True)
    (workflows / "bad.yml").write_text(
        "name: bad\non: [pull_request]\npermissions: {}\njobs:\n  greet:\n    name: greet\n"
        "    runs-on: ubuntu-latest\n    steps:\n"
        '      - run: echo "${{ github.event.pull_request.title }}"\n',
        encoding="utf-8",
    )
    done = subprocess.run(
        ["bash", str(tmp_path / ".ci/lint-actions")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode != 0
    assert "template-injection" in done.stdout + done.stderr


@pytest.mark.parametrize("doc", ["README.md", "docs/action.md"])
def test_the_docs_tables_list_every_input_and_output(doc: str) -> None:
    action = yaml.safe_load((REPO_ROOT / "action.yml").read_text(encoding="utf-8"))
    rows = [
        line.split("|")[1]
        for line in (REPO_ROOT / doc).read_text(encoding="utf-8").splitlines()
        if line.startswith("| `")
    ]
    documented = {name.strip(" `") for row in rows for name in row.split(",")}
    assert set(action["inputs"]) - documented == set()
    assert set(action["outputs"]) - documented == set()
