"""DataRobot's custom-task JSON as snake_case values, and the parsers that read it.

A task, its latest version and the version's items are frozen msgspec Structs, not dataclasses:
a 10,000-task list makes ~70,000 of them, and a Struct is built ~10x faster than a frozen
dataclass (which sets each field through object.__setattr__); the typed list reader
(tasklist.py) decodes items straight into `Item`.

A parser raises `Unexpected` (or KeyError/TypeError/ValueError) on a shape the API contract does
not promise; the client turns that into an ApiError naming the request."""

from __future__ import annotations

from typing import Any

import msgspec

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


# gc=False: these values hold strings, tuples and a dict of strings, never a cycle.
class Item(msgspec.Struct, frozen=True, gc=False, rename="camel"):
    """One file of a version (rename: the typed reader decodes `fileName`/`filePath` into it)."""

    id: str
    file_name: str
    file_path: str


class CustomTaskVersion(msgspec.Struct, frozen=True, gc=False):
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


class CustomTask(msgspec.Struct, frozen=True, gc=False):
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


class DependencyBuild(msgspec.Struct, frozen=True):
    custom_task_id: str
    custom_task_version_id: str
    build_status: str  # submitted | processing | success | failed
    build_start: str | None
    build_end: str | None
    build_log_location: str | None

    @property
    def is_terminal(self) -> bool:
        return self.build_status in ("success", "failed")


class ExecutionEnvironment(msgspec.Struct, frozen=True):
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


def _items(raw: Any) -> tuple[Item, ...]:
    """A version's items. The hot loop of a 10,000-task list (about four items a task), so the
    checks of `_require` are written out here, with the same messages."""
    items = []
    for entry in raw or ():
        if not isinstance(entry, dict):
            raise Unexpected(f"expected an object, got {type(entry).__name__}")
        item_id = entry.get("id")
        file_name = entry.get("fileName")
        file_path = entry.get("filePath")
        if item_id is None or file_name is None or file_path is None:
            raise Unexpected(_first_missing(entry, ("id", "fileName", "filePath")))
        items.append(Item(str(item_id), str(file_name), str(file_path)))
    return tuple(items)


def _first_missing(raw: dict[str, Any], keys: tuple[str, ...]) -> str:
    """The message `_require` gives for the first of keys that raw lacks."""
    missing = next(key for key in keys if raw.get(key) is None)
    return f"missing field {missing!r}"


def parse_version(raw: Any) -> CustomTaskVersion:
    if not isinstance(raw, dict):
        raise Unexpected(f"expected an object, got {type(raw).__name__}")
    get = raw.get
    version_id = get("id")
    if version_id is None:
        raise Unexpected("missing field 'id'")
    metadata = {
        str(entry["fieldName"]): str(entry["value"])
        for entry in get("requiredMetadataValues") or ()
    }
    dependencies = tuple(str(dep["packageName"]) for dep in get("dependencies") or ())
    # one check after another, as `_require` would: the first problem is the one reported
    major = get("versionMajor")
    if major is None:
        raise Unexpected("missing field 'versionMajor'")
    major = int(major)
    minor = get("versionMinor")
    if minor is None:
        raise Unexpected("missing field 'versionMinor'")
    minor = int(minor)
    task_id = get("customTaskId")
    if task_id is None:
        raise Unexpected("missing field 'customTaskId'")
    environment_id = get("baseEnvironmentId")
    environment_version_id = get("baseEnvironmentVersionId")
    memory, policy = get("maximumMemory"), get("outboundNetworkPolicy")
    return CustomTaskVersion(
        str(version_id),
        str(task_id),
        str(get("label") or f"{major}.{minor}"),
        major,
        minor,
        bool(get("isFrozen", False)),
        str(get("description") or ""),
        str(get("created") or ""),
        None if environment_id is None else str(environment_id),
        None if environment_version_id is None else str(environment_version_id),
        None if memory is None else int(memory),
        None if policy is None else str(policy),
        metadata,
        dependencies,
        _items(get("items")),
    )


def parse_custom_task(raw: Any) -> CustomTask:
    if not isinstance(raw, dict):
        raise Unexpected(f"expected an object, got {type(raw).__name__}")
    get = raw.get
    task_id, name, target_type = get("id"), get("name"), get("targetType")
    if task_id is None or name is None or target_type is None:
        raise Unexpected(_first_missing(raw, ("id", "name", "targetType")))
    latest = get("latestVersion")
    memory, created_by = get("maximumMemory"), get("createdBy")
    return CustomTask(
        str(task_id),
        str(name),
        str(target_type),
        str(get("language") or ""),
        str(get("description") or ""),
        str(get("created") or ""),
        str(get("updated") or ""),
        parse_version(latest) if latest else None,
        None if memory is None else int(memory),
        None if created_by is None else str(created_by),
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
