"""The interruption scenario of issue 7: a base of three synced tasks, then one commit that
creates three tasks, updates two (file change, file deletion, metadata, new requirements) and
leaves one alone; new versions with requirements start dependency builds."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from .support import Expected, commit_all, folder_files, init_repo, write_task

CUSTOM = "def fit(X, y, output_dir, **kw):\n    pass\n"

BASE: dict[str, dict[str, str | bytes]] = {
    "fraud/xgb": {"custom.py": CUSTOM, "helper.py": "X = 1\n", "notes.md": "# notes\n"},
    "churn/rf": {"custom.py": CUSTOM, "requirements.txt": "numpy==1.26\n"},
    "scaler": {"custom.py": "def transform(X): return X\n"},
}

# The change: fraud/xgb gets a changed file, a deleted file and a new name; churn/rf a changed
# file, changed requirements (so a build) and a new description; three new tasks, one with
# requirements (a build) and one with a path holding a space.
CHANGED: dict[str, dict[str, str | bytes]] = {
    "fraud/xgb": {"custom.py": CUSTOM, "helper.py": "X = 2  # tuned\n"},
    "churn/rf": {"custom.py": CUSTOM + "# v2\n", "requirements.txt": "numpy==1.26\npandas>=2\n"},
    "scaler": BASE["scaler"],
    "new/alpha": {"custom.py": CUSTOM, "requirements.txt": "scipy==1.11\n"},
    "new/beta": {"custom.py": CUSTOM, "model.pkl": b"\x80\x04K\x01."},
    "new/gamma": {"custom.py": CUSTOM, "lib/feature eng.py": "Z = 2\n"},
}
NEW_NAMES = {"fraud/xgb": "XGBoost fraud v2"}
NEW_DESCRIPTIONS = {"churn/rf": "Random forest for churn, retrained."}
WITH_BUILDS = {"churn/rf", "new/alpha"}


@dataclass
class Scenario:
    repo: Path
    base: str  # commit
    change: str  # commit
    expected: dict[str, Expected]
    flags: tuple[str, ...] = ()  # extra apply options


def make_scenario(root: Path) -> Scenario:
    """The repository with both commits; HEAD is the change."""
    repo = init_repo(root / "repo")
    snapshots: dict[str, list[dict[str, bytes]]] = {}
    for folder, files in BASE.items():
        snapshots.setdefault(folder, []).append(
            folder_files(write_task(repo, folder, files=files)) or {}
        )
    base = commit_all(repo, "base: three tasks")
    expected: dict[str, Expected] = {}
    for folder, files in CHANGED.items():
        path = write_task(
            repo,
            folder,
            files=files,
            name=NEW_NAMES.get(folder),
            description=NEW_DESCRIPTIONS.get(folder),
        )
        now = folder_files(path)
        expected[folder] = Expected(
            name=NEW_NAMES.get(folder, f"Task {folder}"),
            description=NEW_DESCRIPTIONS.get(folder, f"The {folder} task."),
            files=now,
            allowed=[*snapshots.get(folder, []), now],
            build=folder in WITH_BUILDS,
        )
    change = commit_all(repo, "change: create 3, update 2")
    return Scenario(repo=repo, base=base, change=change, expected=expected)


def make_deletion_scenario(root: Path) -> Scenario:
    """The base, then a commit that removes two tasks (applied with --allow-delete)."""
    repo = init_repo(root / "repo")
    for folder, files in BASE.items():
        write_task(repo, folder, files=files)
    base = commit_all(repo, "base: three tasks")
    for folder in ("fraud", "churn"):
        shutil.rmtree(repo / folder)
    now = folder_files(repo / "scaler")
    change = commit_all(repo, "change: remove two tasks")
    expected = {
        "scaler": Expected(
            name="Task scaler", description="The scaler task.", files=now, allowed=[now]
        )
    }
    return Scenario(repo, base, change, expected, flags=("--allow-delete",))
