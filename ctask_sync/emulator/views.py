"""DataRobot's JSON (camelCase) for the emulator's records.

The official client rejects a missing or null required field (it drops nulls before checking),
so every required field below is always a non-null value."""

from __future__ import annotations

from typing import Any

from ctask_sync.emulator.ids import iso
from ctask_sync.emulator.model import (
    EnvironmentRecord,
    EnvironmentVersionRecord,
    ItemRecord,
    TaskRecord,
    VersionRecord,
)


def item_json(item: ItemRecord, task_id: str) -> dict[str, Any]:
    """A file item (docs/datarobot-api.md §4): local files have null repository fields."""
    return {
        "id": item.id,
        "fileName": item.upload_name or item.file_name,
        "filePath": item.file_path,
        "fileSource": "local",
        "created": iso(item.created),
        # The client's fixtures show a per-task workspace and a storage path under it.
        "workspaceId": task_id,
        "storagePath": f"workspace/{task_id[:10]}/{item.file_path}",
        "repositoryLocation": None,
        "repositoryName": None,
        "repositoryFilePath": None,
        "ref": None,
        "commitSha": None,
    }


def version_json(version: VersionRecord) -> dict[str, Any]:
    """A custom task version with all its items."""
    return {
        "id": version.id,
        "customTaskId": version.custom_task_id,
        "customModelId": version.custom_task_id,
        "versionMajor": version.major,
        "versionMinor": version.minor,
        "label": version.label,
        "created": iso(version.created),
        "isFrozen": version.is_frozen,
        "items": [item_json(i, version.custom_task_id) for i in version.items],
        "description": version.description,
        "baseEnvironmentId": version.base_environment_id,
        "baseEnvironmentVersionId": version.base_environment_version_id,
        "maximumMemory": version.maximum_memory,
        "outboundNetworkPolicy": version.outbound_network_policy,
        "dependencies": version.dependencies,
        "requiredMetadataValues": version.required_metadata_values,
        "requiredMetadata": {v["fieldName"]: v["value"] for v in version.required_metadata_values},
        "arguments": version.arguments,
        "trainingHistory": [],  # no projects exist in the emulator, so nothing was trained
        "warning": [],
    }


def task_json(task: TaskRecord) -> dict[str, Any]:
    """A custom task; lists and single GETs both embed the full latest version."""
    latest = task.latest
    return {
        "id": task.id,
        "name": task.name,
        "targetType": task.target_type,
        "language": task.language,
        "description": task.description,
        "createdBy": task.created_by,  # a username (rsdk custom_task_response.R)
        "deploymentsCount": 0,
        "created": iso(task.created),
        "updated": iso(task.updated),
        "calibratePredictions": task.calibrate_predictions,
        "customModelType": "training",
        "maximumMemory": task.maximum_memory,
        "latestVersion": version_json(latest) if latest is not None else None,
    }


def build_json(task_id: str, version: VersionRecord, now: float, log_url: str) -> dict[str, Any]:
    """A dependency build; the caller ensures `version.build` is set."""
    build = version.build
    assert build is not None
    ended = build.ended(now)
    return {
        "customTaskId": task_id,
        "customTaskVersionId": version.id,
        "buildStatus": build.status(now),
        "buildStart": iso(build.started),
        "buildEnd": iso(ended) if ended is not None else None,
        "buildLogLocation": log_url if ended is not None else None,
    }


def environment_version_json(version: EnvironmentVersionRecord) -> dict[str, Any]:
    """An execution environment version."""
    return {
        "id": version.id,
        "environmentId": version.environment_id,
        "label": version.label,
        "description": version.description,
        "created": iso(version.created),
        "buildStatus": version.build_status,
        "imageId": version.image_id,
        "dockerContextSize": version.docker_context_size,
        "dockerImageSize": version.docker_image_size,
        "sourceDockerImageUri": "",
    }


def environment_json(env: EnvironmentRecord) -> dict[str, Any]:
    """An execution environment with its latest (and latest successful) version."""
    latest = env.versions[-1] if env.versions else None
    built = env.latest_successful
    return {
        "id": env.id,
        "name": env.name,
        "description": env.description,
        "programmingLanguage": env.programming_language,
        "isPublic": env.is_public,
        "created": iso(env.created),
        "username": "DataRobot" if env.is_public else "emulator-user",
        "useCases": env.use_cases,
        "requiredMetadataKeys": env.required_metadata_keys,
        "latestVersion": environment_version_json(latest) if latest is not None else None,
        "latestSuccessfulVersion": environment_version_json(built) if built is not None else None,
    }
