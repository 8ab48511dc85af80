"""Good paths of discover(): keys, settings, file selection, .gitignore, digests."""

from __future__ import annotations

import hashlib
import os
from concurrent.futures import Future
from pathlib import Path

import pytest

from ctask_sync.git import ignored_paths
from ctask_sync.manifest.discovery import discover, find_manifests
from ctask_sync.manifest.files import FileEntry, content_digest, file_digest
from ctask_sync.manifest.spec import EnvironmentRef, Finding, parse_size

from .conftest import SKLEARN_ENV, VALID, git, write_task

FULL = f"""\
# yaml-language-server: $schema=../schemas/ctask.schema.json
key: fraud/xgb-binary
name: XGBoost fraud estimator
target_type: binary
language: python
description: Gradient boosted trees.
environment:
  id: {SKLEARN_ENV}
  version_id: 65f1a2b3c4d5e6f7a8b9c0d1
files:
  exclude: ["tests/**", "*.ipynb", "data/"]
maximum_memory: 1.5Gi
outbound_network_policy: ISOLATED
required_metadata: {{MY_KEY: value, "on": "yes"}}
dependency_build: always
"""


def sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def paths(task_files: tuple[FileEntry, ...]) -> list[str]:
    return [f.path for f in task_files]


def test_full_manifest_becomes_a_task_spec(repo: Path) -> None:
    folder = write_task(
        repo,
        "tasks/fraud",
        FULL,
        {
            "custom.py": "def fit(): ...\n",
            "tests/test_custom.py": "def test(): ...\n",
            "explore.ipynb": "{}",
            "sub/explore.ipynb": "{}",
            "data/train.csv": "a,b\n",
            "sub/data/keep.csv": "a\n",
        },
    )
    discovery = discover(repo)
    assert discovery.findings == []
    [task] = discovery.tasks
    assert task.key == "fraud/xgb-binary"
    assert task.name == "XGBoost fraud estimator"
    assert (task.target_type, task.language) == ("binary", "python")
    assert task.description == "Gradient boosted trees."
    assert task.environment == EnvironmentRef(id=SKLEARN_ENV, version_id="65f1a2b3c4d5e6f7a8b9c0d1")
    assert task.maximum_memory == 1610612736
    assert task.outbound_network_policy == "ISOLATED"
    # `on` stays the string the user wrote, not YAML 1.1's boolean.
    assert task.required_metadata == {"MY_KEY": "value", "on": "yes"}
    assert task.dependency_build == "always"
    assert task.folder == folder.resolve()
    assert task.manifest_path == folder.resolve() / "ctask.yaml"
    # "data/" has no inner slash, so like "*.ipynb" it matches at any depth.
    assert paths(task.files) == ["custom.py"]
    assert discovery.manifest_paths == [folder.resolve() / "ctask.yaml"]
    assert discovery.repo_root == repo.resolve()


def test_defaults_key_from_folder_relative_to_repo_root(repo: Path) -> None:
    write_task(repo, "models/churn v2", VALID)
    discovery = discover(repo / "models")
    [task] = discovery.tasks
    assert task.key == "models/churn v2"
    assert task.description == ""
    assert task.environment == EnvironmentRef(id=SKLEARN_ENV)
    assert (task.maximum_memory, task.outbound_network_policy) == (None, None)
    assert (task.required_metadata, task.dependency_build) == ({}, "auto")


def test_explicit_repo_root(repo: Path) -> None:
    write_task(repo, "a/b/t", VALID)
    [task] = discover(repo / "a", repo_root=repo / "a").tasks
    assert task.key == "b/t"


def test_folder_outside_git_is_its_own_repo_root(tmp_path: Path) -> None:
    root = tmp_path / "plain"
    write_task(root, "t", VALID, {"custom.py": "x\n", "run.log": "noise\n"})
    (root / ".gitignore").write_text("*.log\n", "utf-8")
    discovery = discover(root)
    [task] = discovery.tasks
    assert task.key == "t"
    assert discovery.repo_root == root.resolve()
    # .gitignore still applies outside git, as it would in a fresh checkout.
    assert paths(task.files) == ["custom.py"]


def test_manifest_at_the_repo_root_uses_the_folder_name(repo: Path) -> None:
    (repo / "ctask.yaml").write_text(VALID, "utf-8")
    (repo / "custom.py").write_text("x\n", "utf-8")
    [task] = discover(repo).tasks
    assert task.key == "repo"
    assert paths(task.files) == ["README.md", "custom.py"]


def test_files_sorted_with_sizes_digests_spaces_and_non_ascii(repo: Path) -> None:
    contents: dict[str, str | bytes] = {
        "custom.py": "def fit(): ...\n",
        "sub dir/helper module.py": "X = 1\n",
        "données/modèle.pkl": b"\x80\x04\x95binary\x00\xff",
        "requirements.txt": "xgboost==2.0.3\n",
        "model-metadata.yaml": "name: x\ntype: training\ntargetType: binary\n",
    }
    folder = write_task(repo, "t", VALID, contents)
    [task] = discover(repo).tasks
    assert paths(task.files) == [
        "custom.py",
        "données/modèle.pkl",
        "model-metadata.yaml",
        "requirements.txt",
        "sub dir/helper module.py",
    ]
    for entry in task.files:
        data = (folder / entry.path).read_bytes()
        assert entry.size == len(data)
        assert entry.digest == sha(data)
        assert entry.source == str(folder.resolve() / entry.path)


def test_default_ignores(repo: Path) -> None:
    ignored: dict[str, str | bytes] = {
        "__pycache__/custom.cpython-311.pyc": b"\0",
        "sub/__pycache__/x.pyc": b"\0",
        "stray.pyc": b"\0",
        ".ipynb_checkpoints/nb.ipynb": "{}",
        ".DS_Store": b"\0",
        ".Rhistory": "q()\n",
        ".Rproj.user/state": "x",
        ".venv/bin/python": "x",
        "venv/lib/site.py": "x",
        ".env": "TOKEN=1\n",
        ".env.local": "TOKEN=2\n",
        ".pytest_cache/v": "x",
        ".git": "gitdir: elsewhere\n",
    }
    kept: dict[str, str | bytes] = {
        "custom.py": "x\n",
        "model.joblib": b"\1",
        "weights.h5": b"\2",
        "venvs.py": "x\n",
    }
    write_task(repo, "t", VALID, {**ignored, **kept})
    [task] = discover(repo).tasks
    assert paths(task.files) == sorted(kept)


def test_gitignore_rules_apply(repo: Path) -> None:
    (repo / ".gitignore").write_text("*.log\nbuild/\n!keep.log\n", "utf-8")
    folder = write_task(
        repo,
        "t",
        VALID,
        {
            "custom.py": "x\n",
            "run.log": "x",
            "keep.log": "kept by negation\n",
            "build/out.bin": b"\0",
            "nested/.gitignore": "secret.txt\n",
            "nested/secret.txt": "x",
            "nested/public.txt": "y",
        },
    )
    # A tracked file stays part of the repository even when a rule would ignore it.
    (folder / "tracked.log").write_text("tracked\n", "utf-8")
    git(repo, "add", "-f", "t/tracked.log")
    [task] = discover(repo).tasks
    # the task's own .gitignore rules apply, but the file itself is not uploaded
    assert paths(task.files) == [
        "custom.py",
        "keep.log",
        "nested/public.txt",
        "tracked.log",
    ]


def test_gitignored_task_folders_and_dot_git_are_not_searched(repo: Path) -> None:
    (repo / ".gitignore").write_text("scratch/\n", "utf-8")
    write_task(repo, "scratch/t", "not: [valid\n")
    write_task(repo, ".venv/lib/t", "not: [valid\n")
    (repo / ".git" / "ctask.yaml").write_text("not: [valid\n", "utf-8")
    write_task(repo, "real", VALID)
    discovery = discover(repo)
    assert discovery.findings == []
    assert [t.key for t in discovery.tasks] == ["real"]


class _ArrivesLate(Future[frozenset[str]]):
    """git's ignore listing, still on its way for the whole walk (done() stays False)."""

    def done(self) -> bool:
        return False


def test_an_ignore_listing_that_arrives_late_drops_the_same_manifests(repo: Path) -> None:
    (repo / ".gitignore").write_text("scratch/\nold/ctask.yaml\n", "utf-8")
    write_task(repo, "scratch/deep/t", VALID)
    write_task(repo, "old", VALID)
    write_task(repo, "real", VALID)
    write_task(repo, "realer/sub", VALID)
    root = repo.resolve()
    ignored = ignored_paths(root, in_git=True)
    late = _ArrivesLate()
    late.set_result(ignored)

    at_once = find_manifests(root, ignored)
    walked_first = find_manifests(root, late)

    assert walked_first == at_once
    assert [m.relative_to(root).as_posix() for m in at_once[0]] == [
        "real/ctask.yaml",
        "realer/sub/ctask.yaml",
    ]


@pytest.mark.parametrize("rule", ["old/ctask.yaml", "old/", "ctask.yaml"])
def test_a_late_ignore_listing_of_only_a_manifest_or_only_a_folder_drops_it(
    repo: Path, rule: str
) -> None:
    (repo / ".gitignore").write_text(f"{rule}\n", "utf-8")
    write_task(repo, "old", VALID)
    write_task(repo, "real/sub", VALID)
    root = repo.resolve()
    ignored = ignored_paths(root, in_git=True)
    late = _ArrivesLate()
    late.set_result(ignored)

    at_once = find_manifests(root, ignored)
    walked_first = find_manifests(root, late)

    assert walked_first == at_once
    kept = [] if rule == "ctask.yaml" else ["real/sub/ctask.yaml"]
    assert [m.relative_to(root).as_posix() for m in at_once[0]] == kept


def test_include_and_exclude_globs(repo: Path) -> None:
    manifest = VALID + (
        "files:\n"
        "  include: [custom.py, 'src/**', '*.pkl', 'conf/*.yaml']\n"
        "  exclude: ['src/**/test_*.py', 'cache/']\n"
    )
    write_task(
        repo,
        "t",
        manifest,
        {
            "custom.py": "x",
            "README.md": "not included",
            "src/a.py": "x",
            "src/deep/er/b.py": "x",
            "src/deep/test_b.py": "excluded",
            "src/test_top.py": "excluded",
            "models/m.pkl": b"\0",
            "conf/a.yaml": "x",
            "conf/deeper/b.yaml": "not matched: * stops at /",
            "src/cache/c.py": "excluded as a folder at any depth",
        },
    )
    [task] = discover(repo).tasks
    assert paths(task.files) == [
        "conf/a.yaml",
        "custom.py",
        "models/m.pkl",
        "src/a.py",
        "src/deep/er/b.py",
    ]


def test_symlink_inside_the_folder_uploads_the_target_content(repo: Path) -> None:
    folder = write_task(repo, "t", VALID, {"custom.py": "x\n", "lib/real.py": "REAL = 1\n"})
    (folder / "alias.py").symlink_to("lib/real.py")
    [task] = discover(repo).tasks
    by_path = {f.path: f for f in task.files}
    assert sorted(by_path) == ["alias.py", "custom.py", "lib/real.py"]
    assert by_path["alias.py"].digest == by_path["lib/real.py"].digest == sha(b"REAL = 1\n")


def test_excluded_symlink_leaving_the_folder_is_not_an_error(repo: Path) -> None:
    folder = write_task(repo, "t", VALID + "files:\n  exclude: [outside]\n")
    (folder / "outside").symlink_to("/etc/hostname")
    assert discover(repo).errors == []


def test_warning_for_python_task_without_custom_py(repo: Path) -> None:
    write_task(repo, "t", VALID, {"model.pkl": b"\0"})
    discovery = discover(repo)
    assert [t.key for t in discovery.tasks] == ["t"]
    assert discovery.findings == [
        Finding(
            "t/ctask.yaml",
            3,
            11,
            "warning",
            "python task without custom.py: DRUM needs it for the fit/transform hooks unless "
            "the artifact alone is enough",
            "t",
        )
    ]


def test_warning_for_r_task_without_custom_r(repo: Path) -> None:
    manifest = VALID.replace("language: python", "language: r")
    write_task(repo, "t", manifest, {"custom.py": "x"})
    [warning] = discover(repo).warnings
    assert warning.format() == (
        "t/ctask.yaml:3:11: warning: r task without custom.R: DRUM needs it for the "
        "fit/transform hooks"
    )


def test_finding_paths_are_absolute_outside_the_cwd(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_task(repo, "t", "name: [\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    [error] = discover(repo).errors
    manifest = repo.resolve() / "t" / "ctask.yaml"
    assert error.format() == (
        f"{manifest}:2:1: error: YAML syntax error: expected the node content, but found "
        "'<stream end>'"
    )


def test_finding_format_without_position() -> None:
    assert (
        Finding("a/ctask.yaml", None, None, "error", "bad").format() == "a/ctask.yaml: error: bad"
    )
    assert Finding("a/ctask.yaml", 3, None, "warning", "w").format() == "a/ctask.yaml:3: warning: w"


def test_content_digest_is_order_free_and_sensitive_to_paths_and_contents(tmp_path: Path) -> None:
    a = FileEntry("a.py", str(tmp_path / "a.py"), 1, sha(b"a"))
    b = FileEntry("b.py", str(tmp_path / "b.py"), 1, sha(b"b"))
    assert content_digest([a, b]) == content_digest((b, a))
    assert content_digest([a, b]).startswith("sha256:")
    renamed = FileEntry("c.py", b.source, 1, b.digest)
    changed = FileEntry("b.py", b.source, 1, sha(b"B"))
    digests = {content_digest(x) for x in ([a, b], [a, renamed], [a, changed], [a], [])}
    assert len(digests) == 5
    # Separators inside a path cannot make two different file sets collide.
    odd = FileEntry('a.py","sha256:x', a.source, 1, a.digest)
    assert content_digest([odd]) != content_digest([a])


def test_file_digest_streams_files_bigger_than_one_chunk(tmp_path: Path) -> None:
    data = os.urandom(3 * 1024 * 1024 + 17)
    path = tmp_path / "big.bin"
    path.write_bytes(data)
    assert file_digest(path) == sha(data)


@pytest.mark.parametrize(
    ("text", "size"),
    [
        (4096, 4096),
        ("1000", 1000),
        ("4Gi", 4 * 1024**3),
        ("512Mi", 512 * 1024**2),
        ("2G", 2 * 1000**3),
        ("1.5Gi", 1536 * 1024**2),
        ("1 Ki", 1024),
        ("3T", 3 * 1000**4),
        (4294967296.0, 4 * 1024**3),  # YAML's float with no fraction: an integer to JSON Schema
    ],
)
def test_parse_size(text: int | float | str, size: int) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("4GB", "is not a size"),
        ("-1", "is not a size"),
        ("0", "must be at least 1 byte"),
        ("0.5", "is not a whole number of bytes"),
        (True, "is not a size"),
        (1.5, "is not a whole number of bytes"),
        (float("inf"), "is not a size"),
        (float("nan"), "is not a size"),
    ],
)
def test_parse_size_rejects(text: int | float | str, reason: str) -> None:
    with pytest.raises(ValueError, match=f"^{reason}$"):
        parse_size(text)


@pytest.mark.parametrize(
    ("value", "memory", "errors"),
    [("4294967296.0", 4 * 1024**3, 0), ("1.0", 1, 0), (".inf", None, 1), (".nan", None, 1)],
)
def test_a_float_maximum_memory_is_taken_or_reported_never_a_crash(
    repo: Path, value: str, memory: int | None, errors: int
) -> None:
    """Found by the hypothesis tree test: `maximum_memory: 1.0` passed the schema (JSON Schema
    calls 1.0 an integer) and then crashed validate with exit 3."""
    write_task(repo, "t", VALID + f"maximum_memory: {value}\n")
    found = discover(repo)
    assert len(found.errors) == errors, found.errors
    assert [s.maximum_memory for s in found.tasks] == ([] if memory is None else [memory])


def test_nesting_names_the_nearest_outer_task_folder_and_paths_sort_by_component(
    repo: Path,
) -> None:
    for folder in ["t/a", "t/a/b", "t/a/b/c", "t/a b", "t/a b/c", "t/ab", "t/a-b/deep/x"]:
        write_task(repo, folder, VALID)

    found = discover(repo)

    root = repo.resolve()
    shown = [m.relative_to(root).as_posix() for m in found.manifest_paths]
    assert shown == [  # Path's order, by components: str's would put "t/a b" before "t/a/"
        "t/a/b/c/ctask.yaml",
        "t/a/b/ctask.yaml",
        "t/a/ctask.yaml",
        "t/a b/c/ctask.yaml",
        "t/a b/ctask.yaml",
        "t/a-b/deep/x/ctask.yaml",
        "t/ab/ctask.yaml",
    ]
    assert found.manifest_paths == sorted(found.manifest_paths)
    nested = sorted(
        (f.path, f.message.split(" (")[0]) for f in found.errors if "is nested" in f.message
    )
    assert nested == [
        ("t/a b/c/ctask.yaml", "task folder t/a b/c is nested inside task folder t/a b"),
        ("t/a/b/c/ctask.yaml", "task folder t/a/b/c is nested inside task folder t/a/b"),
        ("t/a/b/ctask.yaml", "task folder t/a/b is nested inside task folder t/a"),
    ]
    assert sorted(t.folder.relative_to(root).as_posix() for t in found.tasks) == [
        "t/a-b/deep/x",
        "t/ab",
    ]
