"""Task folders for tests: a ctask.yaml and exactly the files asked for."""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path

from ctask_sync.emulator import PYTHON_SKLEARN_ENV_ID
from tests.testing.gitkit import write_files

SKLEARN_ENV = PYTHON_SKLEARN_ENV_ID  # the emulator's (and DataRobot's) scikit-learn drop-in
FIT = "def fit(): ...\n"


def manifest_text(
    key: str,
    name: str | None = None,
    description: str | None = None,
    extra: str = "",
    env: str = SKLEARN_ENV,
) -> str:
    """A valid binary Python estimator's manifest, plus `extra` lines."""
    return (
        f"key: {key}\nname: {name or 'Task ' + key}\ntarget_type: binary\nlanguage: python\n"
        f"description: {description or f'The {key} task.'}\nenvironment:\n  id: {env}\n{extra}"
    )


def write_task(
    root: Path,
    folder: str,
    manifest: str | bytes | None = None,
    files: Mapping[str, str | bytes] | None = None,
    *,
    key: str | None = None,
    name: str | None = None,
    description: str | None = None,
    extra: str = "",
    env: str = SKLEARN_ENV,
) -> Path:
    """The task folder root/folder holding exactly its ctask.yaml and `files` (default: a
    custom.py); whatever it held before is removed. The manifest is `manifest` verbatim when
    given, else manifest_text (key: the folder) with `extra` appended."""
    path = root / folder
    if path.is_dir():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    if manifest is None:
        name, description = name or f"Task {folder}", description or f"The {folder} task."
        manifest = manifest_text(key or folder, name, description, extra, env)
    target = path / "ctask.yaml"
    if isinstance(manifest, bytes):
        target.write_bytes(manifest)
    else:
        target.write_text(manifest, "utf-8")
    write_files(path, dict(files if files is not None else {"custom.py": FIT}))
    return path
