"""Issue 14 item 7: the pre-commit hook, `schema`, `environments`, environment names."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from tests.testing.clirun import Run

from .conftest import VALID, git, write_task

REPO = Path(__file__).resolve().parents[2]
CTASK_SYNC = Path(sys.executable).parent / "ctask-sync"


def _run_hook(repo: Path) -> subprocess.CompletedProcess[str]:
    """Run the hook as pre-commit does: its entry plus the staged files its `files` matches."""
    [hook] = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text("utf-8"))
    assert (hook["id"], hook["files"]) == ("ctask-sync-validate", r"ctask\.yaml$")
    staged = git(repo, "diff", "--cached", "--name-only").split()
    files = [f for f in staged if re.search(hook["files"], f)]
    entry = hook["entry"].split()
    command = [str(CTASK_SYNC), *entry[1:], *files]
    return subprocess.run(command, cwd=repo, capture_output=True, text=True, check=False)


def test_pre_commit_hook_passes_and_fails(repo: Path) -> None:
    write_task(repo, "a", VALID)
    write_task(repo, "b", VALID)
    git(repo, "add", ".")
    done = _run_hook(repo)
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.splitlines()[-1] == "2 tasks valid, 0 errors, 0 warnings"
    git(repo, "commit", "--quiet", "-m", "tasks")
    (repo / "b" / "ctask.yaml").write_text(VALID + "nmae: x\n", "utf-8")
    git(repo, "add", ".")
    done = _run_hook(repo)
    assert done.returncode == 1
    assert done.stdout == (
        "b/ctask.yaml:6:1: error: unknown key 'nmae' (did you mean 'name'?)\n"
        "\n"
        "0 tasks valid, 1 invalid, 1 error, 0 warnings\n"
    )


def test_validate_file_paths_still_checks_keys_across_the_repo(
    repo: Path, cli: Callable[..., Run]
) -> None:
    write_task(repo, "a", "key: same\n" + VALID)
    write_task(repo, "b", "key: same\n" + VALID)
    result = cli("validate", "b/ctask.yaml")
    assert result.code == 1
    assert result.out == (
        "b/ctask.yaml:1:6: error: duplicate key 'same': a/ctask.yaml uses it too; keys must be "
        "unique in a sync root (set a different 'key')\n"
        "\n"
        "0 tasks valid, 1 invalid, 1 error, 0 warnings\n"
    )
    # the first user of the key fails too, so that a commit touching only it is refused
    assert cli("validate", "a/ctask.yaml").out == (
        "a/ctask.yaml:1:6: error: duplicate key 'same': b/ctask.yaml uses it too; keys must be "
        "unique in a sync root (set a different 'key')\n"
        "\n"
        "0 tasks valid, 1 invalid, 1 error, 0 warnings\n"
    )
    both = cli("validate", "a/ctask.yaml", "b/ctask.yaml")
    assert (both.code, both.out.count("duplicate key")) == (1, 1)


def test_one_key_in_two_sync_roots_is_valid_as_plan_and_apply_take_it(
    repo: Path, cli: Callable[..., Run]
) -> None:
    """Each sync root has its own namespace, so plan and apply sync one key of two roots as two
    tasks; validate (and the pre-commit hook, which passes manifest files) agrees, and still
    refuses a key used twice within one root."""
    for team in ("team-a", "team-b"):
        (repo / team).mkdir()
        (repo / team / "ctask-sync.yaml").write_text(f"namespace: acme/{team}\n", "utf-8")
        write_task(repo, f"{team}/t", "key: same\n" + VALID)
    git(repo, "add", ".")
    for args in (("team-b/t/ctask.yaml",), ("team-a/t/ctask.yaml",), (".",), ("team-b",)):
        run = cli("validate", *args)
        assert run.code == 0, run.out
        assert "duplicate key" not in run.out
    assert cli("validate", ".").out.splitlines()[-1] == "2 tasks valid, 0 errors, 0 warnings"
    write_task(repo, "team-b/u", "key: same\n" + VALID)
    run = cli("validate", "team-b/t/ctask.yaml")
    assert run.code == 1
    assert run.out.startswith(
        "team-b/t/ctask.yaml:1:6: error: duplicate key 'same': team-b/u/ctask.yaml uses it too"
    )
    assert "team-a" not in run.out


def test_validate_from_a_sub_folder_of_a_task_checks_that_task(
    repo: Path, cli: Callable[..., Run]
) -> None:
    """Run from a task's lib/ folder, validate checks the task that holds it (as plan does),
    instead of finding nothing and passing."""
    write_task(
        repo, "tasks/two", VALID + "nmae: x\n", files={"custom.py": "x = 1\n", "lib/h.py": ""}
    )
    write_task(repo, "tasks/one", VALID)
    run = cli("validate", str(repo / "tasks/two/lib"))
    assert run.code == 1, run.out
    assert "unknown key 'nmae'" in run.out
    assert "tasks/one" not in run.out


def test_schema_prints_the_manifest_schema(cli: Callable[..., Run]) -> None:
    result = cli("schema")
    assert result.code == 0
    printed = json.loads(result.out)
    assert printed == json.loads((REPO / "schemas" / "ctask.schema.json").read_text("utf-8"))
    assert printed["$id"] == (
        "https://raw.githubusercontent.com/ctask-sync/ctask-sync/main/schemas/ctask.schema.json"
    )


def test_schema_root_config(cli: Callable[..., Run]) -> None:
    result = cli("schema", "--root-config")
    shipped = REPO / "schemas" / "ctask-sync.schema.json"
    if shipped.exists() and result.code == 0:
        assert json.loads(result.out)["$id"].endswith("ctask-sync.schema.json")
    else:
        assert (result.code, result.out) == (1, "")
        assert result.err == (
            "error: this installation of ctask-sync ships no ctask-sync.schema.json\n"
            "  hint: upgrade ctask-sync, or read the schema from its repository's schemas/ "
            "folder\n"
        )


def test_environments_lists_what_the_token_sees(repo: Path, cli: Callable[..., Run]) -> None:
    result = cli("environments")
    assert result.code == 0
    assert result.err.startswith("Endpoint: the embedded DataRobot emulator")
    header, *rows = result.out.splitlines()
    assert re.split(r"  +", header) == ["NAME", "ID", "LANGUAGE", "LATEST VERSION"]
    listed = json.loads(cli("environments", "--json").out)
    # columns line up: every id starts where the header's ID does
    assert {row.index(e["id"]) for row, e in zip(rows, listed, strict=True)} == {header.index("ID")}
    assert [re.split(r"  +", row) for row in rows] == [
        [e["name"], e["id"], e["programming_language"], e["latest_version_id"]] for e in listed
    ]
    sklearn = next(e for e in listed if e["id"] == "5e8c889607389fe0f466c72d")
    assert (sklearn["name"], sklearn["programming_language"]) == (
        "[DataRobot] Python 3.12 Scikit-Learn Drop-In",
        "python",
    )
    assert [e["name"] for e in listed] == sorted((e["name"] for e in listed), key=str.lower)


def test_unknown_environment_name_has_file_line_and_did_you_mean(
    repo: Path, cli: Callable[..., Run]
) -> None:
    manifest = VALID.replace(
        "  id: 5e8c889607389fe0f466c72d", '  name: "[DataRobot] Python 3.12 Scikit-Lern Drop-In"'
    )
    write_task(repo, "t", manifest)
    git(repo, "add", ".")
    git(repo, "commit", "--quiet", "-m", "task")
    result = cli("plan")
    assert result.code == 1
    assert result.err == (
        "error: cannot resolve execution environments:\n"
        "  t/ctask.yaml:5:9: t: no execution environment is named "
        "'[DataRobot] Python 3.12 Scikit-Lern Drop-In' "
        "(did you mean '[DataRobot] Python 3.12 Scikit-Learn Drop-In'?)\n"
        "  hint: `ctask-sync environments` lists the names and ids this token can use\n"
    )


def test_plan_names_uncommitted_uploads(repo: Path, cli: Callable[..., Run]) -> None:
    write_task(repo, "t", VALID, {"custom.py": "x\n", "helper.py": "y\n"})
    git(repo, "add", "t/ctask.yaml", "t/custom.py")
    git(repo, "commit", "--quiet", "-m", "task")
    (repo / "t" / "custom.py").write_text("changed\n", "utf-8")
    result = cli("plan")
    assert result.code == 2
    # after the endpoint and namespace lines every run starts with
    assert (
        result.out.splitlines()[1]
        == "Namespace: local (from the embedded emulator's default); root: ."
    )
    assert result.out.splitlines()[2] == (
        "t/ctask.yaml: warning: uploads files that are not committed: custom.py (modified), "
        "helper.py (untracked); commit them so that git shows what DataRobot runs"
    )


@pytest.mark.parametrize("name", [".pre-commit-hooks.yaml"])
def test_hook_file_is_valid_yaml_list(name: str) -> None:
    hooks = yaml.safe_load((REPO / name).read_text("utf-8"))
    assert [h["entry"] for h in hooks] == ["ctask-sync validate"]
