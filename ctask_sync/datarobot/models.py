"""DataRobot's custom-task JSON as snake_case dataclasses, and the parsers that read it.

A parser raises `Unexpected` (or KeyError/TypeError/ValueError) on a shape the API contract does
not promise; the client turns that into an ApiError naming the request."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = [
    "CustomTask",
    "CustomTaskVersion",
    "DependencyBuild",
    "ExecutionEnvironment",
    "Item",
    "Unexpected",
    "parse_custom_task",
    "parse_dependency_build",
    "parse_environment",
    "parse_page",
    "parse_version",
]


@dataclass(frozen=True)
class Item:
    id: str
    file_name: str
    file_path: str


@dataclass(frozen=True)
class CustomTaskVersion:
    id: str
    custom_task_id: str
    label: str
    version_major: int
    version_minor: int
    is_frozen: bool
    description: str
    created: str
    base_environment_id: str | None
    base_environment_version_id: str | None
    maximum_memory: int | None
    outbound_network_policy: str | None
    required_metadata: dict[str, str]
    dependencies: tuple[str, ...]  # package names parsed by DataRobot from requirements.txt
    items: tuple[Item, ...]


@dataclass(frozen=True)
class CustomTask:
    id: str
    name: str
    target_type: str  # DataRobot spelling: Binary, Regression, Multiclass, Anomaly, Transform
    language: str
    description: str
    created: str
    updated: str
    latest_version: CustomTaskVersion | None
    maximum_memory: int | None = None
    created_by: str | None = None  # the creator's username


@dataclass(frozen=True)
class DependencyBuild:
    custom_task_id: str
    custom_task_version_id: str
    build_status: str  # submitted | processing | success | failed
    build_start: str | None
    build_end: str | None
    build_log_location: str | None

    @property
    def is_terminal(self) -> bool:
        return self.build_status in ("success", "failed")


@dataclass(frozen=True)
class ExecutionEnvironment:
    id: str
    name: str
    programming_language: str | None
    latest_version_id: str | None
    required_metadata_keys: tuple[str, ...]


class Unexpected(Exception):
    """A success response whose JSON lacks what the contract promises."""


def parse_page(raw: Any) -> dict[str, Any]:
    if not isinstance(raw, dict) or not isinstance(raw.get("data"), list):
        raise Unexpected("expected a paged list with a `data` list")
    return raw


def _require(raw: Any, key: str) -> Any:
    if not isinstance(raw, dict):
        raise Unexpected(f"expected an object, got {type(raw).__name__}")
    if raw.get(key) is None:
        raise Unexpected(f"missing field {key!r}")
    return raw[key]


def _optional_str(raw: dict[str, Any], key: str) -> str | None:
    value = raw.get(key)
    return None if value is None else str(value)


def _optional_int(raw: dict[str, Any], key: str) -> int | None:
    value = raw.get(key)
    return None if value is None else int(value)


def _item(raw: Any) -> Item:
    return Item(
        id=str(_require(raw, "id")),
        file_name=str(_require(raw, "fileName")),
        file_path=str(_require(raw, "filePath")),
    )


def parse_version(raw: Any) -> CustomTaskVersion:
    version_id = str(_require(raw, "id"))
    metadata = {
        str(entry["fieldName"]): str(entry["value"])
        for entry in raw.get("requiredMetadataValues") or ()
    }
    dependencies = tuple(str(dep["packageName"]) for dep in raw.get("dependencies") or ())
    major = int(_require(raw, "versionMajor"))
    minor = int(_require(raw, "versionMinor"))
    return CustomTaskVersion(
        id=version_id,
        custom_task_id=str(_require(raw, "customTaskId")),
        label=str(raw.get("label") or f"{major}.{minor}"),
        version_major=major,
        version_minor=minor,
        is_frozen=bool(raw.get("isFrozen", False)),
        description=str(raw.get("description") or ""),
        created=str(raw.get("created") or ""),
        base_environment_id=_optional_str(raw, "baseEnvironmentId"),
        base_environment_version_id=_optional_str(raw, "baseEnvironmentVersionId"),
        maximum_memory=_optional_int(raw, "maximumMemory"),
        outbound_network_policy=_optional_str(raw, "outboundNetworkPolicy"),
        required_metadata=metadata,
        dependencies=dependencies,
        items=tuple(_item(item) for item in raw.get("items") or ()),
    )


def parse_custom_task(raw: Any) -> CustomTask:
    task_id = str(_require(raw, "id"))
    latest = raw.get("latestVersion")
    return CustomTask(
        id=task_id,
        name=str(_require(raw, "name")),
        target_type=str(_require(raw, "targetType")),
        language=str(raw.get("language") or ""),
        description=str(raw.get("description") or ""),
        created=str(raw.get("created") or ""),
        updated=str(raw.get("updated") or ""),
        latest_version=parse_version(latest) if latest else None,
        maximum_memory=_optional_int(raw, "maximumMemory"),
        created_by=_optional_str(raw, "createdBy"),
    )


def parse_dependency_build(raw: Any) -> DependencyBuild:
    return DependencyBuild(
        custom_task_id=str(_require(raw, "customTaskId")),
        custom_task_version_id=str(_require(raw, "customTaskVersionId")),
        build_status=str(_require(raw, "buildStatus")),
        build_start=_optional_str(raw, "buildStart"),
        build_end=_optional_str(raw, "buildEnd"),
        build_log_location=_optional_str(raw, "buildLogLocation"),
    )


def parse_environment(raw: Any) -> ExecutionEnvironment:
    environment_id = str(_require(raw, "id"))
    latest = raw.get("latestVersion")
    if isinstance(latest, dict):
        latest_id = _optional_str(latest, "id")
    else:
        latest_id = None if latest is None else str(latest)
    keys = tuple(str(entry["fieldName"]) for entry in raw.get("requiredMetadataKeys") or ())
    return ExecutionEnvironment(
        id=environment_id,
        name=str(_require(raw, "name")),
        programming_language=_optional_str(raw, "programmingLanguage"),
        latest_version_id=latest_id,
        required_metadata_keys=keys,
    )
