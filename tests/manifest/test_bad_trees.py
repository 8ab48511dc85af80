"""Bad folder trees: cross-manifest problems, symlinks, special files, limits, bad paths.
Each asserts the exact text and exit code 1 (never a traceback, never exit 3)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from ctask_sync.manifest import files
from tests.testing.clirun import Run

from .conftest import VALID, write_task


def _rejected(result: Run, findings: list[str], summary: str) -> None:
    assert result.out == "\n".join(findings) + "\n\n" + summary + "\n"
    assert result.code == 1
    assert result.err == ""
    assert "Traceback" not in result.out


def test_duplicate_key_names_both_files(repo: Path, cli: Callable[..., Run]) -> None:
    write_task(repo, "a", "key: fraud/xgb\n" + VALID)
    write_task(repo, "b", "key: fraud/xgb\n" + VALID)
    _rejected(
        cli("validate"),
        [
            "b/ctask.yaml:1:6: error: duplicate key 'fraud/xgb': a/ctask.yaml uses it too; "
            "keys must be unique in a sync root (set a different 'key')"
        ],
        "0 tasks valid, 2 invalid, 1 error, 0 warnings",
    )


def test_explicit_key_clashing_with_a_default_key(repo: Path, cli: Callable[..., Run]) -> None:
    write_task(repo, "models/a", VALID)
    write_task(repo, "z", "key: models/a\n" + VALID)
    _rejected(
        cli("validate"),
        [
            "z/ctask.yaml:1:6: error: duplicate key 'models/a': models/a/ctask.yaml uses it "
            "too; keys must be unique in a sync root (set a different 'key')"
        ],
        "0 tasks valid, 2 invalid, 1 error, 0 warnings",
    )


def test_nested_task_folder_names_both(repo: Path, cli: Callable[..., Run]) -> None:
    write_task(repo, "outer", VALID)
    write_task(repo, "outer/inner", VALID)
    _rejected(
        cli("validate"),
        [
            "outer/inner/ctask.yaml: error: task folder outer/inner is nested inside task "
            "folder outer (outer/ctask.yaml): task folders cannot nest, because DRUM searches "
            "for custom.py recursively; move one of them"
        ],
        "0 tasks valid, 2 invalid, 1 error, 0 warnings",
    )


def test_symlink_leaving_the_task_folder(repo: Path, cli: Callable[..., Run]) -> None:
    secret = repo / "secret.txt"
    secret.write_text("password\n", "utf-8")
    task = write_task(repo, "t", VALID)
    (task / "creds.txt").symlink_to(secret)
    _rejected(
        cli("validate"),
        [
            f"t/creds.txt: error: is a symlink to {secret}, outside the task folder: "
            "ctask-sync never uploads files from outside it (copy the file into the folder "
            "instead)"
        ],
        "0 tasks valid, 1 invalid, 1 error, 0 warnings",
    )


def test_symlink_escaping_through_dotdot(repo: Path, cli: Callable[..., Run]) -> None:
    (repo / "shared.py").write_text("X = 1\n", "utf-8")
    task = write_task(repo, "t", VALID)
    (task / "sub").mkdir()
    (task / "sub" / "shared.py").symlink_to("../../shared.py")
    _rejected(
        cli("validate"),
        [
            f"t/sub/shared.py: error: is a symlink to {repo / 'shared.py'}, outside the task "
            "folder: ctask-sync never uploads files from outside it (copy the file into the "
            "folder instead)"
        ],
        "0 tasks valid, 1 invalid, 1 error, 0 warnings",
    )


def test_broken_symlink(repo: Path, cli: Callable[..., Run]) -> None:
    task = write_task(repo, "t", VALID)
    (task / "gone.py").symlink_to(task / "missing.py")
    _rejected(
        cli("validate"),
        ["t/gone.py: error: is a broken symlink: its target does not exist"],
        "0 tasks valid, 1 invalid, 1 error, 0 warnings",
    )


def test_symlink_to_a_folder(repo: Path, cli: Callable[..., Run]) -> None:
    task = write_task(repo, "t", VALID, {"custom.py": "x\n", "lib/a.py": "y\n"})
    (task / "lib2").symlink_to(task / "lib")
    _rejected(
        cli("validate"),
        [
            "t/lib2: error: is a symlink to a folder: only symlinks to files are followed "
            "(replace it with the folder itself, or exclude it)"
        ],
        "0 tasks valid, 1 invalid, 1 error, 0 warnings",
    )


def test_fifo_in_task_folder(repo: Path, cli: Callable[..., Run]) -> None:
    task = write_task(repo, "t", VALID)
    os.mkfifo(task / "pipe")
    _rejected(
        cli("validate"),
        ["t/pipe: error: is not a regular file (a FIFO, socket or device): exclude it"],
        "0 tasks valid, 1 invalid, 1 error, 0 warnings",
    )


def test_non_utf8_file_name(repo: Path, cli: Callable[..., Run]) -> None:
    task = write_task(repo, "t", VALID)
    with open(os.path.join(os.fsencode(task), b"caf\xe9.py"), "wb") as handle:
        handle.write(b"x = 1\n")
    _rejected(
        cli("validate"),
        ["t/caf\\xe9.py: error: file name is not valid UTF-8: rename the file"],
        "0 tasks valid, 1 invalid, 1 error, 0 warnings",
    )


def test_file_over_the_size_limit(
    repo: Path, cli: Callable[..., Run], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A sparse file just over a lowered limit: the size is checked before any byte is read.
    monkeypatch.setattr(files, "MAX_FILE_SIZE", 1024 * 1024)
    task = write_task(repo, "t", VALID)
    with open(task / "model.pkl", "wb") as handle:
        handle.truncate(1024 * 1024 + 1)
    _rejected(
        cli("validate"),
        [
            "t/model.pkl: error: is 1,048,577 bytes, over the 1 MiB limit DataRobot has for "
            "one file: exclude it or make it smaller"
        ],
        "0 tasks valid, 1 invalid, 1 error, 0 warnings",
    )


def test_file_over_the_real_10_gib_limit_is_never_read(repo: Path, cli: Callable[..., Run]) -> None:
    task = write_task(repo, "t", VALID)
    with open(task / "huge.bin", "wb") as handle:
        handle.truncate(files.MAX_FILE_SIZE + 1)  # sparse: no disk used, and never read
    _rejected(
        cli("validate"),
        [
            "t/huge.bin: error: is 10,737,418,241 bytes, over the 10 GiB limit DataRobot has "
            "for one file: exclude it or make it smaller"
        ],
        "0 tasks valid, 1 invalid, 1 error, 0 warnings",
    )


def test_manifest_is_a_directory(repo: Path, cli: Callable[..., Run]) -> None:
    (repo / "t" / "ctask.yaml").mkdir(parents=True)
    _rejected(
        cli("validate"),
        [
            "t/ctask.yaml: error: is a directory, not a file: a manifest must be a file named "
            "ctask.yaml"
        ],
        "0 tasks valid, 1 invalid, 1 error, 0 warnings",
    )


def test_manifest_is_a_fifo(repo: Path, cli: Callable[..., Run]) -> None:
    (repo / "t").mkdir()
    os.mkfifo(repo / "t" / "ctask.yaml")
    _rejected(
        cli("validate"),
        ["t/ctask.yaml: error: is not a regular file (a FIFO, socket or device)"],
        "0 tasks valid, 1 invalid, 1 error, 0 warnings",
    )


def test_manifest_symlink_loop_is_unreadable(repo: Path, cli: Callable[..., Run]) -> None:
    (repo / "t").mkdir()
    (repo / "t" / "ctask.yaml").symlink_to("ctask.yaml")
    _rejected(
        cli("validate"),
        ["t/ctask.yaml: error: cannot read the manifest: Too many levels of symbolic links"],
        "0 tasks valid, 1 invalid, 1 error, 0 warnings",
    )


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_manifest_without_read_permission(repo: Path, cli: Callable[..., Run]) -> None:
    task = write_task(repo, "t", VALID)
    (task / "ctask.yaml").chmod(0)
    _rejected(
        cli("validate"),
        ["t/ctask.yaml: error: cannot read the manifest: Permission denied"],
        "0 tasks valid, 1 invalid, 1 error, 0 warnings",
    )


def test_manifest_too_large(repo: Path, cli: Callable[..., Run]) -> None:
    write_task(repo, "t", VALID + "# " + "x" * (1024 * 1024) + "\n")
    _rejected(
        cli("validate"),
        ["t/ctask.yaml: error: the manifest is larger than 1 MiB: is this really a ctask.yaml?"],
        "0 tasks valid, 1 invalid, 1 error, 0 warnings",
    )


def test_path_that_does_not_exist(repo: Path, cli: Callable[..., Run]) -> None:
    result = cli("validate", "no/such/dir")
    assert (result.code, result.out) == (1, "")
    assert (
        result.err
        == "error: no/such/dir: no such folder\n  hint: pass the folder that holds tasks\n"
    )


def test_path_that_is_a_file(repo: Path, cli: Callable[..., Run]) -> None:
    result = cli("validate", "README.md")
    assert (result.code, result.out) == (1, "")
    assert result.err == (
        "error: README.md: not a folder or a ctask.yaml manifest\n"
        "  hint: pass the folder that holds the ctask.yaml files, or ctask.yaml files\n"
    )


def test_no_manifest_found_says_what_plan_says(repo: Path, cli: Callable[..., Run]) -> None:
    # plan prints "No tasks found." and exits 0 on an empty repository; validate agrees
    result = cli("validate", ".")
    assert (result.code, result.err) == (0, "")
    assert result.out == (
        "No tasks found (no ctask.yaml under .).\n0 tasks valid, 0 errors, 0 warnings\n"
    )


def test_folder_path_that_cannot_be_a_key(repo: Path, cli: Callable[..., Run]) -> None:
    write_task(repo, "models/churn ", VALID)
    _rejected(
        cli("validate"),
        [
            "models/churn /ctask.yaml: error: the folder path 'models/churn ' cannot serve as "
            "the task key: set 'key' in the manifest (no leading or trailing '/' or spaces, "
            "no control characters)"
        ],
        "0 tasks valid, 1 invalid, 1 error, 0 warnings",
    )


def test_folder_path_key_problem_is_solved_by_an_explicit_key(
    repo: Path, cli: Callable[..., Run]
) -> None:
    write_task(repo, "models/churn ", "key: models/churn\n" + VALID)
    result = cli("validate")
    assert result.code == 0
    assert result.out.splitlines()[0] == "✓ models/churn  models/churn   1 file, 15 B"


# The ignore rules keep secrets out of uploads; a symlink to an ignored file must not undo them.
IGNORED_TARGET = (
    "a symlink must not upload what the ignore rules keep out (copy the file, or un-ignore the "
    "target)"
)


@pytest.mark.parametrize(
    ("link", "target", "extra", "gitignore", "verdict"),
    [
        ("settings.txt", ".env", "", "", "a file the default ignores drop"),
        ("db.txt", "secrets/db", "", "", "a file the default ignores drop"),
        ("keys.txt", "private/keys", "", "private/\n", "a file git ignores (.gitignore)"),
        ("local.txt", "local.cfg", "", "*.cfg\n", "a file git ignores (.gitignore)"),
        (
            "rows.csv",
            "data/rows.csv",
            "files:\n  exclude: ['data/**']\n",
            "",
            "a file files.exclude drops",
        ),
        ("task.yaml", "ctask.yaml", "", "", "which is the manifest, never uploaded"),
    ],
)
def test_symlink_to_an_ignored_file_in_the_folder(
    repo: Path,
    cli: Callable[..., Run],
    link: str,
    target: str,
    extra: str,
    gitignore: str,
    verdict: str,
) -> None:
    task = write_task(repo, "t", VALID + extra, {"custom.py": "x\n"})
    if target != "ctask.yaml":
        (task / target).parent.mkdir(parents=True, exist_ok=True)
        (task / target).write_text("API_KEY=supersecret\n", "utf-8")
    if gitignore:
        (repo / ".gitignore").write_text(gitignore, "utf-8")
    (task / link).symlink_to(target)
    _rejected(
        cli("validate"),
        [
            f"t/{link}: error: is a symlink to {target} in task folder t, {verdict}: "
            + IGNORED_TARGET
        ],
        "0 tasks valid, 1 invalid, 1 error, 0 warnings",
    )


def test_symlink_through_dotdot_and_another_link_to_an_ignored_file(
    repo: Path, cli: Callable[..., Run]
) -> None:
    task = write_task(repo, "t", VALID, {"custom.py": "x\n", ".env.local": "API_KEY=s\n"})
    (task / "conf").mkdir()
    (task / "conf" / "hop.txt").symlink_to("../.env.local")
    (task / "conf" / "app.ini").symlink_to("hop.txt")  # resolved to its last target
    why = "is a symlink to .env.local in task folder t, a file the default ignores drop: "
    why += IGNORED_TARGET
    _rejected(
        cli("validate"),
        [f"t/conf/app.ini: error: {why}", f"t/conf/hop.txt: error: {why}"],
        "0 tasks valid, 1 invalid, 2 errors, 0 warnings",
    )


def test_symlink_to_a_file_that_is_uploaded_and_an_excluded_link_are_fine(
    repo: Path, cli: Callable[..., Run]
) -> None:
    task = write_task(
        repo,
        "t",
        VALID + "files:\n  exclude: ['local.txt']\n",
        {"custom.py": "x\n", ".env": "API_KEY=s\n", "conf/app.ini": "debug = 0\n"},
    )
    (task / "app.ini").symlink_to("conf/app.ini")
    (task / "local.txt").symlink_to(".env")  # excluded itself: never looked at
    result = cli("validate")
    # custom.py, conf/app.ini and the link app.ini
    assert result == Run(0, "✓ t  t  3 files, 22 B\n1 task valid, 0 errors, 0 warnings\n", "")


def test_symlinks_with_names_not_utf8_and_an_ignored_target(
    repo: Path, cli: Callable[..., Run]
) -> None:
    task = write_task(repo, "t", VALID, {"custom.py": "x\n", ".env": "API_KEY=s\n"})
    base = os.fsencode(task)
    os.symlink(b".env", os.path.join(base, b"caf\xe9.txt"))  # its name is the error to fix
    with open(os.path.join(base, b".env\xe9"), "wb") as handle:
        handle.write(b"API_KEY=s\n")
    os.symlink(b".env\xe9", os.path.join(base, b"b.txt"))
    _rejected(
        cli("validate"),
        [
            "t/b.txt: error: is a symlink to .env\\xe9 in task folder t, a file the default "
            f"ignores drop: {IGNORED_TARGET}",
            "t/caf\\xe9.txt: error: file name is not valid UTF-8: rename the file",
        ],
        "0 tasks valid, 1 invalid, 2 errors, 0 warnings",
    )
