"""The harness itself: expressions evaluate as GitHub evaluates them, and output files parse."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from gha_expressions import ExpressionError, condition, evaluate, interpolate
from runner import ActionRunner, parse_output_file

CONTEXTS: dict[str, Any] = {
    "inputs": {"api-token": "", "mode": "auto", "count": "3"},
    "github": {"event_name": "push", "event": {"pull_request": {"number": 7}}, "token": "ghs_x"},
    "steps": {"python": {"outputs": {"python-path": "/py"}}},
    "env": {"HOME": "/home/me"},
}


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
    assert evaluate(expression, CONTEXTS).value == value


def test_interpolation_and_conditions() -> None:
    assert (
        interpolate("a ${{ inputs.mode }} b ${{ github.event_name }}", CONTEXTS) == "a auto b push"
    )
    ok = {"success": True, "always": True, "failure": False, "cancelled": False}
    failed = {"success": False, "always": True, "failure": True, "cancelled": False}
    assert condition("${{ inputs.mode == 'auto' }}", CONTEXTS, ok)
    assert not condition("inputs.mode == 'auto'", CONTEXTS, failed)  # implicit success()
    assert condition("always() && inputs.mode == 'auto'", CONTEXTS, failed)
    assert condition("failure()", CONTEXTS, failed)


def test_unknown_names_are_errors_not_silence() -> None:
    with pytest.raises(ExpressionError):
        evaluate("secrets.TOKEN", CONTEXTS)
    with pytest.raises(ExpressionError):
        evaluate("hashFiles('x')", CONTEXTS)


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
