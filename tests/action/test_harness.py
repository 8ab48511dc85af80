"""The harness itself: expressions evaluate as GitHub evaluates them (GitHub's own evaluator, see
gha_expressions), the env context holds only what is declared, GITHUB_ENV and GITHUB_PATH carry
over between steps, and output files parse."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest

from tests.action import gha_expressions
from tests.action.gha_expressions import ExpressionError, condition, evaluate, interpolate
from tests.action.runner import ActionRunner
from tests.action.step_io import parse_output_file

CONTEXTS: dict[str, Any] = {
    "inputs": {"api-token": "", "mode": "auto", "count": "3"},
    "github": {"event_name": "push", "event": {"pull_request": {"number": 7}}, "token": "ghs_x"},
    "steps": {"python": {"outputs": {"python-path": "/py"}}},
    "env": {"HOME": "/home/me"},
}
# Probes where the harness's former home-made evaluator disagreed with GitHub's: format escapes,
# `.*` filters, join, case-insensitive context names, precedence (`<` binds tighter than `==`),
# short-circuit (the right side is never evaluated), format errors, number syntax, indexes.
PROBE_CONTEXTS: dict[str, Any] = {
    "github": {"event": {"commits": [{"id": "c1", "message": "one"}, {"id": "c2"}]}},
    "steps": {"a": {"outputs": {"path": "/a"}}, "b": {"outputs": {"path": "/b"}}},
    "inputs": {"mode": "auto"},
}
GITHUB_ONLY_PROBES = [
    ("format('{{0}} is {0}', 'x')", "{0} is x"),
    ("github.event.commits.*.id", ["c1", "c2"]),
    ("steps.*.outputs.path", ["/a", "/b"]),
    ("join(github.event.commits.*.id, '; ')", "c1; c2"),
    ("join(fromJSON('[1,2]'))", "1,2"),
    ("GITHUB.event.commits[0].id", "c1"),
    ("Inputs.MODE", "auto"),
    ("3 == 3 < 2", False),
    ("false && fromJSON('not json')", False),
    ("true || fromJSON('not json')", True),
    ("0xff == 255", True),
    ("'1_000' == 1000", False),
    ("'0o10' == 8", True),
    ("fromJSON('[1,2]')[1.5]", 2),
    ("fromJSON('[1, 2]')['1']", 2),
    ("""fromJSON('{"a": {"b": 1}, "c": {"b": 2}}').*.b""", [1, 2]),
]


@pytest.mark.parametrize(
    ("expression", "value"),
    [
        ("inputs.mode", "auto"),
        ("inputs['api-token'] || 'fallback'", "fallback"),
        ("inputs.mode && 'yes'", "yes"),
        ("inputs.api-token && 'yes'", ""),
        ("github.event_name == 'PUSH'", True),
        ("github.event.pull_request.number == 7", True),
        ("github.event.pull_request.number != '7'", False),
        ("inputs.count > 2", True),
        ("!inputs.api-token", True),
        ("(inputs.mode == 'auto') && !(github.event_name == 'schedule')", True),
        ("steps.python.outputs.python-path", "/py"),
        ("steps.missing.outputs.x", None),
        ("contains(github.event_name, 'us')", True),
        ("startsWith(github.token, 'GHS_')", True),
        ("format('{0}/pr-{1}', 'ns', github.event.pull_request.number)", "ns/pr-7"),
        ("fromJSON('[1, 2]')[1]", 2),
        ("null || false || 0", 0.0),
    ],
)
def test_expressions(expression: str, value: Any) -> None:
    assert evaluate(expression, CONTEXTS) == value


@pytest.mark.parametrize(("expression", "value"), GITHUB_ONLY_PROBES)
def test_expressions_the_home_made_evaluator_got_wrong(expression: str, value: Any) -> None:
    assert evaluate(expression, PROBE_CONTEXTS) == value


@pytest.mark.parametrize(
    "expression",
    ["format('{1}', 'x')", "format('{0', 'x')", "fromJSON('not json')", "inputs.mode ==", "0/0"],
)
def test_github_rejects(expression: str) -> None:
    with pytest.raises(ExpressionError):
        evaluate(expression, PROBE_CONTEXTS)


def test_interpolation_and_conditions() -> None:
    assert (
        interpolate("a ${{ inputs.mode }} b ${{ github.event_name }}", CONTEXTS) == "a auto b push"
    )
    # Text around expressions is literal, braces and quotes included; `}}` in a string literal
    # does not end the expression; numbers print as the runner prints them.
    assert interpolate("{x} 'q' ${{ format('}}') }} ${{ 1.50 }}", CONTEXTS) == "{x} 'q' } 1.5"
    ok = {"success": True, "always": True, "failure": False, "cancelled": False}
    failed = {"success": False, "always": True, "failure": True, "cancelled": False}
    assert condition("${{ inputs.mode == 'auto' }}", CONTEXTS, ok)
    assert not condition("inputs.mode == 'auto'", CONTEXTS, failed)  # implicit success()
    assert condition("always() && inputs.mode == 'auto'", CONTEXTS, failed)
    assert condition("failure()", CONTEXTS, failed)
    # The runner looks for a status function in the tree, not among the calls evaluated.
    assert condition("inputs.mode == 'x' && failure() || true", CONTEXTS, failed)


def test_unknown_names_are_errors_not_silence() -> None:
    with pytest.raises(ExpressionError):
        evaluate("secrets.TOKEN", CONTEXTS)
    with pytest.raises(ExpressionError):
        evaluate("hashFiles('x')", CONTEXTS)


def test_without_the_npm_packages_the_error_says_how_to_install_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(gha_expressions, "NODE_DIR", tmp_path)
    with pytest.raises(gha_expressions.EvaluatorUnavailable, match=f"npm ci --prefix {tmp_path}"):
        gha_expressions.node_command("gha-expressions.mjs")


def test_output_file_syntax() -> None:
    text = "a=1\nb<<EOF\nx\ny=z\nEOF\nc=\n"
    assert parse_output_file(text) == {"a": "1", "b": "x\ny=z", "c": ""}
    with pytest.raises(ValueError, match="heredoc for d not closed by END"):
        parse_output_file("d<<END\nnever closed\n")


def test_the_harness_substitutes_run_expressions_like_a_runner(tmp_path: Path) -> None:
    """A control: an expression inside `run:` *is* injectable under the harness, so the
    hostile-input test passing on action.yml means something."""
    action = tmp_path / "action"
    action.mkdir()
    (action / "action.yml").write_text(
        "name: unsafe\ndescription: d\ninputs:\n  x:\n    description: d\n"
        "runs:\n  using: composite\n  steps:\n"
        '    - shell: bash\n      run: echo "${{ inputs.x }}"\n'
        "    - shell: bash\n      id: safe\n      env:\n        X: ${{ inputs.x }}\n"
        '      run: echo "out=$X" >> "$GITHUB_OUTPUT"\n',
        encoding="utf-8",
    )
    marker = tmp_path / "pwned"
    runner = ActionRunner(workspace=tmp_path, temp=tmp_path / "t", action_path=action)
    result = runner.run(
        {"x": f"$(touch {marker})"}, event_name="push", event={}, ref="refs/heads/main", sha="0"
    )
    assert marker.exists()
    assert result.step("safe").outputs == {"out": f"$(touch {marker})"}


def _write_action(folder: Path, steps: str) -> Path:
    """A composite action.yml whose steps are `steps` (YAML, indented as under `steps:`)."""
    folder.mkdir()
    head = "name: t\ndescription: d\nruns:\n  using: composite\n  steps:\n"
    body = textwrap.indent(textwrap.dedent(steps), "    ")
    (folder / "action.yml").write_text(head + body, encoding="utf-8")
    return folder


ENV_STEPS = r"""
- shell: bash
  run: |
    echo "ONE=1" >> "$GITHUB_ENV"
    printf 'MULTI<<EOT\nline a\nline b\nEOT\n' >> "$GITHUB_ENV"
    echo "$RUNNER_TEMP/bin" >> "$GITHUB_PATH"
    echo "same=${ONE:-unset}" >> "$GITHUB_OUTPUT"
- id: next
  shell: bash
  env:
    FROM_CONTEXT: ${{ env.ONE }}-${{ env.CALLER }}-${{ env.HOME }}
    STEP: ${{ env.STEP_ONLY }}
    STEP_ONLY: own
  run: |
    echo "ctx=$FROM_CONTEXT" >> "$GITHUB_OUTPUT"
    echo "run=${{ env.STEP_ONLY }}" >> "$GITHUB_OUTPUT"
    echo "step=$STEP" >> "$GITHUB_OUTPUT"
    echo "multi=${MULTI//$'\n'/|}" >> "$GITHUB_OUTPUT"
    echo "path=${PATH%%:*}" >> "$GITHUB_OUTPUT"
    echo "home=$HOME" >> "$GITHUB_OUTPUT"
"""


def test_env_context_holds_only_declared_env_and_github_env(tmp_path: Path) -> None:
    """`env.X` is what workflow/step `env:` and GITHUB_ENV declare, not the process env; env
    files (heredocs too) and GITHUB_PATH reach the steps that follow, not the one writing them."""
    action = _write_action(tmp_path / "action", ENV_STEPS)
    temp = tmp_path / "t"
    runner = ActionRunner(workspace=tmp_path, temp=temp, action_path=action)
    result = runner.run(
        {},
        event_name="push",
        event={},
        ref="refs/heads/main",
        sha="0",
        env={"CALLER": "wf"},
        extra_env={"HOME": "/home/runner"},
    )
    assert result.conclusion == "success", result.raw_stderr
    assert result.step("__step0").outputs == {"same": "unset"}
    assert result.step("next").outputs == {
        "ctx": "1-wf-",  # HOME is in the process env, never in the env context
        "run": "own",  # a step's own env is in the context of its run:
        "step": "",  # ... but not while its env: is being evaluated
        "multi": "line a|line b",
        "path": f"{temp}/bin",
        "home": "/home/runner",
    }


PATH_STEPS = r"""
- shell: bash
  run: |
    echo /first >> "$GITHUB_PATH"
    echo /second >> "$GITHUB_PATH"
- shell: bash
  run: echo /first >> "$GITHUB_PATH"
- id: show
  shell: bash
  run: echo "path=$(echo "$PATH" | cut -d ':' -f 1-2)" >> "$GITHUB_OUTPUT"
"""


def test_github_path_puts_the_latest_entry_first(tmp_path: Path) -> None:
    action = _write_action(tmp_path / "action", PATH_STEPS)
    runner = ActionRunner(workspace=tmp_path, temp=tmp_path / "t", action_path=action)
    result = runner.run({}, event_name="push", event={}, ref="refs/heads/main", sha="0")
    assert result.step("show").outputs == {"path": "/first:/second"}
