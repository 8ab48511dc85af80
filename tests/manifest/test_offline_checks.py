"""Issue 14 item 5-6: what DataRobot or DRUM would refuse at apply time, caught by validate."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.testing.clirun import Run

from .conftest import VALID, write_task

CLOSE_1_ERROR = "0 tasks valid, 1 invalid, 1 error, 0 warnings"


def _out(*lines: str) -> str:
    return "\n".join(lines) + "\n"


def test_deeply_nested_yaml_exits_1(repo: Path, cli: Callable[..., Run]) -> None:
    write_task(repo, "t", VALID + "description: " + "[" * 5000 + "]" * 5000 + "\n")
    result = cli("validate")
    assert (result.code, result.err) == (1, "")
    assert result.out == _out(
        "t/ctask.yaml:6:113: error: the YAML nests more than 100 levels deep: no manifest "
        "needs that many; flatten the value",
        "",
        CLOSE_1_ERROR,
    )


def test_requirements_that_datarobot_rejects_fail_at_their_line(
    repo: Path, cli: Callable[..., Run]
) -> None:
    requirements = "# pinned\nscikit-learn==1.5.0\nnumpy~=1.26\n  Pillow~=11.0  # images\n"
    write_task(repo, "t", VALID, {"custom.py": "x\n", "requirements.txt": requirements})
    result = cli("validate")
    assert result.code == 1
    advice = (
        "is not a dependency DataRobot accepts: write a package name with optional constraints "
        "<, <=, ==, >=, > joined by commas (e.g. numpy>=1.26,<2); DataRobot refuses ~=, !=, "
        "URLs, -r/-e options and environment markers"
    )
    assert result.out == _out(
        f"t/requirements.txt:3:1: error: 'numpy~=1.26' {advice}",
        f"t/requirements.txt:4:3: error: 'Pillow~=11.0' {advice}",
        "",
        "0 tasks valid, 1 invalid, 2 errors, 0 warnings",
    )


def test_valid_requirements_pass(repo: Path, cli: Callable[..., Run]) -> None:
    requirements = "numpy>=1.26,<2\npandas[performance] == 2.2.2\n\n# note\n"
    write_task(repo, "t", VALID, {"custom.py": "x\n", "requirements.txt": requirements})
    assert cli("validate").code == 0


def test_two_custom_py_fail(repo: Path, cli: Callable[..., Run]) -> None:
    write_task(repo, "t", VALID, {"custom.py": "x\n", "old/custom.py": "y\n"})
    result = cli("validate")
    assert result.code == 1
    assert result.out == _out(
        "t/old/custom.py: error: a second hook file besides custom.py: DRUM searches the task "
        "folder for custom.py and custom.R recursively and refuses a task with more than one; "
        "delete all but one, or exclude the others with files.exclude",
        "",
        CLOSE_1_ERROR,
    )


def test_excluding_the_second_custom_py_passes(repo: Path, cli: Callable[..., Run]) -> None:
    manifest = VALID + "files:\n  exclude: ['old/**']\n"
    write_task(repo, "t", manifest, {"custom.py": "x\n", "old/custom.py": "y\n"})
    assert cli("validate").code == 0


def test_custom_py_one_level_down_warns(repo: Path, cli: Callable[..., Run]) -> None:
    write_task(repo, "t", VALID, {"src/custom.py": "x\n"})
    result = cli("validate")
    assert result.code == 0
    assert result.out.splitlines()[0] == (
        "t/src/custom.py: warning: custom.py is not at the top of the task folder: DRUM's fit "
        "finds it recursively, but its language detection for predictions looks at the top "
        "level only; move it up"
    )


METADATA = "name: fraud\ntype: training\ntargetType: {target}\n"


def test_metadata_target_type_mismatch_fails(repo: Path, cli: Callable[..., Run]) -> None:
    files = {"custom.py": "x\n", "model-metadata.yaml": METADATA.format(target="regression")}
    write_task(repo, "t", VALID, files)
    result = cli("validate")
    assert result.code == 1
    assert result.out == _out(
        "t/model-metadata.yaml:3:13: error: targetType: 'regression' disagrees with "
        "target_type: binary in ctask.yaml: make them the same",
        "",
        CLOSE_1_ERROR,
    )


def test_bad_hyperparameters_fail(repo: Path, cli: Callable[..., Run]) -> None:
    metadata = METADATA.format(target="binary") + (
        "hyperparameters:\n"
        "  - name: _leading\n"
        "    type: int\n"
        "    min: 1\n"
        "    max: 10\n"
        "  - name: rate\n"
        "    type: float\n"
        "    min: 1.0\n"
        "    max: 0.5\n"
        "  - name: kind\n"
        "    type: select\n"
        "    values: []\n"
        "  - name: depth\n"
        "    type: integer\n"
        "  - name: alpha\n"
        "    type: int\n"
        "    min: 0\n"
        "    max: 5\n"
        "    default: 7\n"
        "    defualt: 1\n"
    )
    write_task(repo, "t", VALID, {"custom.py": "x\n", "model-metadata.yaml": metadata})
    result = cli("validate")
    assert result.code == 1
    assert result.out == _out(
        "t/model-metadata.yaml:5:11: error: hyperparameters[0].name: '_leading' is not a "
        "parameter name DRUM accepts: English letters and underscores only, not starting or "
        "ending with '_'",
        "t/model-metadata.yaml:12:10: error: hyperparameters[1]: max (0.5) must be greater "
        "than min (1.0)",
        "t/model-metadata.yaml:15:13: error: hyperparameters[2].values: expected a list of 1 "
        "to 24 values",
        "t/model-metadata.yaml:17:11: error: hyperparameters[3].type: 'integer' is not one of: "
        "int, float, string, select, multi (did you mean 'int'?)",
        "t/model-metadata.yaml:22:14: error: hyperparameters[4].default: 7 is outside [0, 5]",
        "t/model-metadata.yaml:23:5: error: hyperparameters[4]: unknown key 'defualt' "
        "(did you mean 'default'?)",
        "",
        "0 tasks valid, 1 invalid, 6 errors, 0 warnings",
    )


def test_good_metadata_passes(repo: Path, cli: Callable[..., Run]) -> None:
    metadata = METADATA.format(target="binary") + (
        "hyperparameters:\n"
        "  - {name: max_depth, type: int, min: 1, max: 10, default: 3}\n"
        "  - {name: criterion, type: select, values: [gini, entropy], default: gini}\n"
        "  - {name: label, type: string, default: ''}\n"
        "  - name: seed\n"
        "    type: multi\n"
        "    values: {int: {min: 0, max: 9}, select: {values: [none]}}\n"
    )
    write_task(repo, "t", VALID, {"custom.py": "x\n", "model-metadata.yaml": metadata})
    result = cli("validate")
    assert (result.code, result.out.splitlines()[-1]) == (0, "1 task valid, 0 errors, 0 warnings")


def test_secrets_and_git_files_are_not_uploaded(repo: Path, cli: Callable[..., Run]) -> None:
    from ctask_sync.manifest.discovery import discover

    files = {
        "custom.py": "x\n",
        "secrets/FIRST_CREDENTIAL": '{"credentialType": "api_token", "apiToken": "t"}',
        ".gitignore": "*.log\n",
        ".gitattributes": "*.pkl binary\n",
        "run.log": "dropped by the task's own .gitignore\n",
    }
    write_task(repo, "t", VALID, files)
    [task] = discover(repo).tasks
    assert [f.path for f in task.files] == ["custom.py"]


def test_files_that_look_like_credentials_warn(repo: Path, cli: Callable[..., Run]) -> None:
    files = {"custom.py": "x\n", "deploy.pem": "-----BEGIN", "conf/.npmrc": "//r/:_authToken=x"}
    write_task(repo, "t", VALID, files)
    result = cli("validate")
    assert result.code == 0
    advice = (
        "looks like a credential and would be uploaded to DataRobot, readable by everyone the "
        "task is shared with: add it to files.exclude (or .gitignore) unless it is a harmless "
        "fixture"
    )
    assert result.out.splitlines()[:2] == [
        f"t/conf/.npmrc: warning: {advice}",
        f"t/deploy.pem: warning: {advice}",
    ]
