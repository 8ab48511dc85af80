"""BASELINE, not ctask-sync: the loop users write today with the official `datarobot` client.

This follows the seed guide (docs "Composable ML", /work/shared/seed-custom-tasks.rst) the way
a team scripts it in CI, with no cleverness added:

    for each task folder:
        CustomTask.create(...)                           # first run only (looked up by name)
        CustomTaskVersion.create_clean(folder_path=...)  # first version
        CustomTaskVersion.create_from_previous(folder_path=...)  # every later run: every file
        version.start_dependency_build_and_wait(...)     # when it has a requirements.txt,
                                                         # one build after another (5 s polls)

Usage: DATAROBOT_API_TOKEN=... python benchmarks/sdk_baseline.py REPO --endpoint URL
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

import yaml
from datarobot.client import Client
from datarobot.enums import CUSTOM_TASK_TARGET_TYPE

# The seed guide's dr.CustomTask and dr.CustomTaskVersion, imported from where they live so
# that the types check.
from datarobot.models.custom_task import CustomTask
from datarobot.models.custom_task_version import CustomTaskVersion

TARGET_TYPES: dict[str, Any] = {
    "binary": CUSTOM_TASK_TARGET_TYPE.BINARY,
    "regression": CUSTOM_TASK_TARGET_TYPE.REGRESSION,
    "multiclass": CUSTOM_TASK_TARGET_TYPE.MULTICLASS,
    "anomaly": CUSTOM_TASK_TARGET_TYPE.ANOMALY,
    "transform": CUSTOM_TASK_TARGET_TYPE.TRANSFORM,
}


def sync_folder(folder: Path, manifest: dict[str, Any], existing: dict[str, Any]) -> None:
    """Create the task if missing, upload the whole folder as a new version, build deps."""
    task = existing.get(manifest["name"])
    if task is None:
        task = CustomTask.create(
            name=manifest["name"],
            target_type=TARGET_TYPES[manifest["target_type"]],
            language=manifest.get("language", "python"),
            description=manifest.get("description", ""),
        )
    environment_id = manifest["environment"]["id"]
    if task.latest_version is None:
        version = CustomTaskVersion.create_clean(
            custom_task_id=task.id,
            base_environment_id=environment_id,
            folder_path=str(folder),
        )
    else:
        version = CustomTaskVersion.create_from_previous(
            custom_task_id=task.id,
            base_environment_id=environment_id,
            folder_path=str(folder),
        )
    if (folder / "requirements.txt").exists():
        # The seed guide: a version with dependencies needs its own build before use.
        version.start_dependency_build_and_wait(max_wait=3600)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("repo", type=Path)
    parser.add_argument("--endpoint", required=True)
    args = parser.parse_args()
    Client(endpoint=args.endpoint, token=os.environ["DATAROBOT_API_TOKEN"])
    existing = {task.name: task for task in CustomTask.list()}
    for manifest_path in sorted(args.repo.rglob("ctask.yaml")):
        manifest = yaml.safe_load(manifest_path.read_text())
        sync_folder(manifest_path.parent, manifest, existing)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
