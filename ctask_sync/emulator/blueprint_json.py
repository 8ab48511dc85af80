"""How user blueprints refer to custom tasks, and DataRobot's JSON for a user blueprint.

Every field the client's UserBlueprint trafaret requires is always present and non-null."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from ctask_sync.emulator.model import BlueprintRecord, State, TaskRecord, VersionRecord

LATEST_PREFIX = "latest_"
VERSION_PARAM = "version_id"
# DataRobot's lower-case target types for a blueprint, from the task's target type.
_TARGETS = {
    "Binary": ["binary"],
    "Regression": ["regression"],
    "Multiclass": ["multiclass"],
    "Anomaly": ["unsupervised"],
}


def version_ref(step: dict[str, Any]) -> str | None:
    """The `version_id` task parameter of a blueprint task, if it has one."""
    for pair in step["taskData"]["taskParameters"]:
        if pair["param"] == VERSION_PARAM and isinstance(pair.get("value"), str):
            return str(pair["value"])
    return None


def resolve(state: State, step: dict[str, Any]) -> tuple[TaskRecord, VersionRecord] | bool:
    """The custom task and version a blueprint task uses; True when it uses none (a built-in
    task), False when its reference names no existing task or version."""
    ref = version_ref(step)
    if ref is None:
        return True
    if ref.startswith(LATEST_PREFIX):
        task = state.tasks.get(ref[len(LATEST_PREFIX) :])
        latest = task.latest if task is not None else None
        return (task, latest) if task is not None and latest is not None else False
    for task in state.tasks.values():
        version = task.version(ref)
        if version is not None:
            return task, version
    return False


def referenced_task_ids(state: State, record: BlueprintRecord) -> set[str]:
    """The ids of the custom tasks this blueprint uses (a latest_ reference counts even after
    its task lost every version)."""
    ids = set()
    for step in record.blueprint:
        ref = version_ref(step)
        if ref is not None and ref.startswith(LATEST_PREFIX):
            ids.add(ref[len(LATEST_PREFIX) :])
        elif isinstance(found := resolve(state, step), tuple):
            ids.add(found[0].id)
    return ids


def blueprints_using(state: State, task_id: str) -> list[BlueprintRecord]:
    """The user blueprints that use this custom task."""
    return [b for b in state.blueprints.values() if task_id in referenced_task_ids(state, b)]


def blueprint_json(state: State, record: BlueprintRecord, decompressed: bool) -> dict[str, Any]:
    """A user blueprint; `blueprint` (its tasks) only when the client asked for it decompressed,
    as the client's list fixture omits it."""
    used = [found for step in record.blueprint if isinstance(found := resolve(state, step), tuple)]
    features = [task.name for task, _ in used] or [
        s["taskData"]["taskCode"] for s in record.blueprint
    ]
    targets = sorted({t for task, _ in used for t in _TARGETS.get(task.target_type, [])})
    body: dict[str, Any] = {
        "userBlueprintId": record.id,
        "userId": record.user_id,
        # Deterministic in the content, as DataRobot's blueprint ids are (32 hex, the fixture).
        "blueprintId": hashlib.md5(
            json.dumps(record.blueprint, sort_keys=True).encode(), usedforsecurity=False
        ).hexdigest(),
        "blender": False,
        "diagram": json.dumps({"tasks": [s["taskId"] for s in record.blueprint]}),
        "features": features,
        "featuresText": " | ".join(features),
        "icons": [0],
        "insights": "NA",
        "isTimeSeries": False,
        "modelType": record.model_type or " | ".join(features),
        "referenceModel": False,
        "shapSupport": False,
        "supportsGpu": False,
        "supportedTargetTypes": targets or ["binary", "regression"],
        "customTaskVersionMetadata": [[version.id, task.id] for task, version in used],
        "hexColumnNameLookup": [],
        "blueprintContext": {"warnings": [], "errors": []},
        "vertexContext": [],
        "decompressedFormat": decompressed,
    }
    if record.project_id is not None:
        body["projectId"] = record.project_id
    if record.description is not None:
        body["description"] = record.description
    if decompressed:
        body["blueprint"] = record.blueprint
    return body
