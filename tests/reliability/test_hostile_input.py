"""Issue 7, item 5: hostile and broken input.

A hypothesis property test mutates a valid repository (manifest fields, raw manifest text, file
names, symlinks out of the folder, `..` in patterns, nested and duplicate tasks) and runs
`validate` and `apply` on it: never a traceback, never exit 3, and whatever DataRobot received
holds no byte from outside the task folders and no path that leaves them. A 2 GiB sparse file
goes through `apply` in a child process whose peak memory is measured."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
import zipfile
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from ctask_sync.cli.main import BUG_HINT
from ctask_sync.emulator.testing import SENTINEL_TOKEN

from .conftest import Lab
from .support import (
    SKLEARN_ENV,
    cli,
    commit_all,
    init_repo,
    remote_args,
    subprocess_env,
    timed,
    write_task,
)

SECRET = f"OUTSIDE-THE-TASK-{uuid.uuid4().hex}"
FIELDS = (
    "key",
    "name",
    "target_type",
    "language",
    "description",
    "environment",
    "files",
    "maximum_memory",
    "outbound_network_policy",
    "required_metadata",
    "dependency_build",
    "surprise",
)
FOLDERS = ("alpha", "beta/deep")
# Some generated names cannot exist on this file system (too long, taken): that is no finding.
NOT_ON_THIS_FILE_SYSTEM = (OSError, ValueError)

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.sampled_from(["binary", "python", SKLEARN_ENV, "4Gi", "ISOLATED", "../x", "", " "]),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=10,
)
patterns = st.one_of(
    st.sampled_from(
        ["../*", "../../**", "/etc/*", "**/../..", "[", "***", "a/../../b", "*", "**", "..", "\\"]
    ),
    st.text(max_size=12),
)
names = st.one_of(
    st.sampled_from(
        [
            "..",
            "...",
            "a..b",
            " lead",
            "trail ",
            "-dash",
            "new\nline",
            "tab\there",
            "ü.py",
            "ctask.yaml",
        ]
    ),
    st.text(
        alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="/\x00"),
        min_size=1,
        max_size=30,
    ),
)
mutations = st.one_of(
    st.tuples(st.just("set"), st.sampled_from(FOLDERS), st.sampled_from(FIELDS), json_values),
    st.tuples(st.just("drop"), st.sampled_from(FOLDERS), st.sampled_from(FIELDS)),
    st.tuples(st.just("truncate"), st.sampled_from(FOLDERS), st.integers(0, 400)),
    st.tuples(
        st.just("splice"), st.sampled_from(FOLDERS), st.integers(0, 400), st.binary(max_size=20)
    ),
    st.tuples(st.just("file"), st.sampled_from(FOLDERS), names, st.binary(max_size=64)),
    st.tuples(
        st.just("symlink"),
        st.sampled_from(FOLDERS),
        names,
        st.sampled_from(["outside-file", "outside-dir", "dotdot", "absolute", "self", "inside"]),
    ),
    st.tuples(
        st.just("patterns"),
        st.sampled_from(FOLDERS),
        st.sampled_from(["include", "exclude"]),
        st.lists(patterns, min_size=1, max_size=3),
    ),
    st.tuples(st.just("nest"), st.sampled_from(FOLDERS)),
    st.tuples(st.just("same-key"), st.sampled_from(FOLDERS)),
    st.tuples(st.just("manifest-dir"), st.sampled_from(FOLDERS)),
)

# Changes a valid tree survives: odd but legal names and contents, so that uploads happen too.
benign = st.one_of(
    st.tuples(st.just("file"), st.sampled_from(FOLDERS), names, st.binary(max_size=64)),
    st.tuples(st.just("symlink"), st.sampled_from(FOLDERS), names, st.just("inside")),
    st.tuples(
        st.just("set"),
        st.sampled_from(FOLDERS),
        st.sampled_from(["name", "description"]),
        st.text(min_size=1, max_size=60).filter(str.strip),
    ),
)


def base_manifest(folder: str) -> dict[str, Any]:
    return {
        "key": folder,
        "name": f"Task {folder}",
        "target_type": "binary",
        "language": "python",
        "description": f"The {folder} task.",
        "environment": {"id": SKLEARN_ENV},
    }


def build_tree(root: Path, outside: Path, steps: list[tuple[Any, ...]]) -> Path:
    """A repository of two valid tasks with steps applied."""
    repo = init_repo(root / "repo")
    manifests = {folder: base_manifest(folder) for folder in FOLDERS}
    raw: dict[str, bytes] = {}
    for folder in FOLDERS:
        write_task(repo, folder, files={"custom.py": "def fit(): pass\n"})
    for step in steps:
        kind, folder = step[0], step[1]
        task = repo / folder
        if kind == "set":
            manifests[folder][step[2]] = step[3]
        elif kind == "drop":
            manifests[folder].pop(step[2], None)
        elif kind in ("truncate", "splice"):
            text = raw.get(folder) or yaml.safe_dump(manifests[folder]).encode()
            cut = min(step[2], len(text))
            raw[folder] = text[:cut] + (step[3] if kind == "splice" else b"")
        elif kind == "file":
            with contextlib.suppress(*NOT_ON_THIS_FILE_SYSTEM):
                (task / step[2]).write_bytes(step[3])
        elif kind == "symlink":
            target = {
                "outside-file": outside / "secret.txt",
                "outside-dir": outside,
                "dotdot": Path("../" * (folder.count("/") + 3) + f"{outside.name}/secret.txt"),
                "absolute": Path("/etc/hostname"),
                "self": Path(step[2]),
                "inside": Path("custom.py"),
            }[step[3]]
            with contextlib.suppress(*NOT_ON_THIS_FILE_SYSTEM):
                os.symlink(target, task / step[2])
        elif kind == "patterns":
            manifests[folder]["files"] = {step[2]: step[3]}
        elif kind == "nest":
            write_task(task, "inner", files={"custom.py": "pass\n"})
        elif kind == "same-key":
            write_task(repo, "gamma", files={"custom.py": "pass\n"})
            (repo / "gamma/ctask.yaml").write_text(
                yaml.safe_dump({**base_manifest("gamma"), "key": folder}), "utf-8"
            )
        elif kind == "manifest-dir":
            raw[folder] = b""
            manifests[folder] = {}
    for folder in FOLDERS:
        manifest = repo / folder / "ctask.yaml"
        if not manifests[folder] and folder in raw and not raw[folder]:
            if manifest.is_file() and not manifest.is_symlink():
                manifest.unlink()
                manifest.mkdir()
            continue
        if manifest.is_dir() or manifest.is_symlink():
            continue
        body = raw.get(folder)
        if body is None:
            body = yaml.safe_dump(manifests[folder], allow_unicode=True).encode("utf-8")
        manifest.write_bytes(body)
    return repo


def uploaded_files(lab: Lab) -> dict[str, bytes]:
    """Every file of every version DataRobot now holds, via the API (path -> content)."""
    headers = {"Authorization": f"Token {SENTINEL_TOKEN}"}
    found: dict[str, bytes] = {}
    listing = requests.get(f"{lab.endpoint}/customTasks/", headers=headers, timeout=10).json()
    for task in listing["data"]:
        url = f"{lab.endpoint}/customTasks/{task['id']}/versions/"
        for version in requests.get(url, headers=headers, timeout=10).json()["data"]:
            for item in version["items"]:
                found[f"{task['id']}:{item['filePath']}"] = b""
            zipped = requests.get(
                f"{url}{version['id']}/download/", headers=headers, timeout=10
            ).content
            path = Path(tempfile.mkstemp(suffix=".zip")[1])
            try:
                path.write_bytes(zipped)
                with zipfile.ZipFile(path) as zf:
                    for name in zf.namelist():
                        found[f"{task['id']}:{name}"] = zf.read(name)
            finally:
                path.unlink()
    return found


def assert_no_bug(code: int, out: str, err: str, allowed: tuple[int, ...]) -> None:
    assert code in allowed, (code, out, err)
    assert "Traceback" not in out + err
    assert BUG_HINT not in err, err
    assert SENTINEL_TOKEN not in out + err


def read_at_most_the_list(lab: Lab) -> bool:
    """Whether the emulator saw no request but the task list's (read while the manifests were
    validated, datarobot/readahead.py): nothing written, nothing else read."""
    return {(r["method"], r["path"]) for r in lab.admin.log()} <= {("GET", "/api/v2/customTasks/")}


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    steps=st.one_of(
        st.lists(mutations, min_size=1, max_size=4), st.lists(benign, min_size=1, max_size=4)
    )
)
def test_mutated_trees_never_crash_and_never_upload_from_outside(
    steps: list[tuple[Any, ...]], lab: Lab, tmp_path: Path
) -> None:
    work = Path(tempfile.mkdtemp(dir=tmp_path))
    try:
        outside = work / "outside"
        (outside / "sub").mkdir(parents=True)
        (outside / "secret.txt").write_text(SECRET, "utf-8")
        (outside / "sub" / "more.txt").write_text(SECRET, "utf-8")
        repo = build_tree(work, outside, steps)
        checked = cli("validate", str(repo))
        assert_no_bug(checked.code, checked.out, checked.err, (0, 1))
        lab.admin.reset()
        applied = cli("apply", str(repo), *remote_args(lab.endpoint))
        assert_no_bug(applied.code, applied.out, applied.err, (0, 1))
        if checked.code == 1:
            # one bad manifest stops the run before any write (the list may be read ahead)
            assert read_at_most_the_list(lab), checked.out
        event(f"validate exit {checked.code}, apply exit {applied.code}")
        if applied.code == 0:
            # whatever odd key, name or description got through, it round-trips exactly
            lab.admin.clear()
            again = cli("apply", str(repo), *remote_args(lab.endpoint))
            assert again.code == 0 and lab.admin.writes() == [], again.out
        for where, content in uploaded_files(lab).items():
            path = where.split(":", 1)[1]
            assert not path.startswith("/") and ".." not in path.split("/"), where
            assert SECRET.encode() not in content, where
    finally:
        shutil.rmtree(work, ignore_errors=True)


def test_symlinks_and_dotdot_out_of_the_folder_are_errors_with_zero_writes(
    fresh_lab: Lab, repo: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text(SECRET, "utf-8")
    task = write_task(repo, "alpha", files={"custom.py": "pass\n"})
    os.symlink(outside / "secret.txt", task / "leak.txt")
    os.symlink("../../outside/secret.txt", task / "climb.txt")
    commit_all(repo)
    run = cli("apply", str(repo), *remote_args(fresh_lab.endpoint))
    assert run.code == 1
    real = outside.resolve() / "secret.txt"
    why = (
        f"error: is a symlink to {real}, outside the task folder: ctask-sync never uploads "
        "files from outside it (copy the file into the folder instead)"
    )
    assert (run.out, run.err) == (
        "",
        "error: 2 problems in manifests; nothing was written to DataRobot:\n"
        f"{task}/climb.txt: {why}\n{task}/leak.txt: {why}\n",
    )
    assert read_at_most_the_list(fresh_lab)


def test_include_pattern_climbing_out_selects_nothing_outside(
    fresh_lab: Lab, repo: Path, tmp_path: Path
) -> None:
    (repo / "secret.txt").write_text(SECRET, "utf-8")
    task = write_task(repo, "alpha", files={"custom.py": "pass\n"})
    manifest = task / "ctask.yaml"
    manifest.write_text(
        manifest.read_text() + 'files:\n  include: ["custom.py", "../secret.txt"]\n', "utf-8"
    )
    commit_all(repo)
    run = cli("apply", str(repo), *remote_args(fresh_lab.endpoint))
    assert run.code == 1, run.text
    assert (run.out, run.err) == (
        "",
        "error: 1 problem in manifests; nothing was written to DataRobot:\n"
        f"{manifest}:9:26: error: files.include[1]: '../secret.txt' contains '..': globs cannot "
        "reach outside the task folder\n",
    )
    assert read_at_most_the_list(fresh_lab)


# Runs the CLI, then reports its own VmHWM: the high-water mark of this process image only.
# ru_maxrss from wait4 is no good here: Linux carries it across fork and exec, so a child of a
# large pytest process reports at least the parent's size.
_HWM_LAUNCHER = """
import re, sys
from ctask_sync.cli.main import main
code = main(sys.argv[2:])
status = open("/proc/self/status").read()
open(sys.argv[1], "w").write(re.search(r"VmHWM:\\s+(\\d+) kB", status).group(1))
sys.exit(code)
"""


def peak_rss_of(argv: list[str], cwd: Path) -> tuple[int, str, str, int]:
    """Run ctask-sync's CLI (argv after `-m ctask_sync`) in a child; (exit code, stdout,
    stderr, the child's own peak RSS in KiB)."""
    out_path, err_path = cwd.parent / "child.out", cwd.parent / "child.err"
    hwm_path = cwd.parent / "child.hwm"
    assert argv[1:3] == ["-m", "ctask_sync"]
    argv = [argv[0], "-c", _HWM_LAUNCHER, str(hwm_path), *argv[3:]]
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        child = subprocess.Popen(argv, cwd=cwd, env=subprocess_env(), stdout=out, stderr=err)
    deadline = time.monotonic() + 240
    while True:
        pid, status = os.waitpid(child.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() > deadline:
            child.kill()
            raise AssertionError("the child did not finish in 240 s")
        time.sleep(0.05)
    child.returncode = os.waitstatus_to_exitcode(status)
    return (
        child.returncode,
        out_path.read_text("utf-8"),
        err_path.read_text("utf-8"),
        int(hwm_path.read_text()),
    )


@pytest.mark.slow
def test_a_2_gib_sparse_file_is_streamed_and_refused_per_the_limit_in_bounded_memory(
    fresh_lab: Lab, repo: Path
) -> None:
    task = write_task(repo, "big", files={"custom.py": "pass\n"})
    commit_all(repo)
    # left untracked: git would spend longer hashing 2 GiB than ctask-sync does
    with open(task / "weights.bin", "wb") as sparse:
        sparse.truncate(2 * 1024**3)
    fresh_lab.admin.settings(max_upload_bytes=64 * 1024**2)
    with timed() as elapsed:
        code, out, err, peak_kib = peak_rss_of(
            [
                sys.executable,
                "-m",
                "ctask_sync",
                "apply",
                str(repo),
                *remote_args(fresh_lab.endpoint),
            ],
            repo,
        )
    fresh_lab.admin.settings(max_upload_bytes=None)
    print(
        f"\n2 GiB sparse file: exit {code} in {elapsed[0]:.1f} s, peak RSS {peak_kib // 1024} MiB"
    )
    assert code == 1, out + err
    assert "failed (HTTP 413)" in out, out
    assert "the request is larger than DataRobot accepts" in out
    assert "Traceback" not in out + err and SENTINEL_TOKEN not in out + err
    # never loaded: the child's peak memory stays far below the 2 GiB it digested and sent
    assert peak_kib < 300 * 1024, f"peak RSS {peak_kib} KiB"
