"""The custom-task list read with typed decoding: only the fields models.py reads are decoded.

At 10,000 tasks the list is 39 MB of JSON, most of it fields the engine never reads (each item's
storage path, each version's arguments). Decoding everything into dicts and then picking the
fields (`parse_custom_task`) costs 2-3x decoding the picked fields straight into typed values
(msgspec). The typed schema is strict: any answer it does not take exactly (a null where a
string belongs, a number for an id, a shape the contract does not promise) is read again the
general way, so this path never gives an answer or an error that `parse_custom_task` would not.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import msgspec

from ctask_sync.datarobot import paging
from ctask_sync.datarobot.answers import decode_json, read_page
from ctask_sync.datarobot.models import CustomTask, CustomTaskVersion, Item, parse_custom_task

__all__ = ["Parsed", "decode_task_page", "task_page_reader"]

_T = TypeVar("_T")


class Parsed(list[CustomTask]):
    """A page's `data` already read into CustomTask values (by the typed path)."""


# gc=False: these short-lived values hold no cycles; 10,000 tasks of them need no collector.
class _Dependency(msgspec.Struct, rename="camel", gc=False):
    package_name: str


class _Metadata(msgspec.Struct, rename="camel", gc=False):
    field_name: str
    value: str


class _Version(msgspec.Struct, rename="camel", gc=False):
    id: str
    custom_task_id: str
    version_major: int
    version_minor: int
    label: str | None = None
    is_frozen: bool = False
    description: str | None = None
    created: str | None = None
    base_environment_id: str | None = None
    base_environment_version_id: str | None = None
    maximum_memory: int | None = None
    outbound_network_policy: str | None = None
    required_metadata_values: list[_Metadata] | None = None
    dependencies: list[_Dependency] | None = None
    items: tuple[Item, ...] | None = None  # decoded straight into the client's Item


class _Task(msgspec.Struct, rename="camel", gc=False):
    id: str
    name: str
    target_type: str
    language: str | None = None
    description: str | None = None
    created: str | None = None
    updated: str | None = None
    latest_version: _Version | None = None
    maximum_memory: int | None = None
    created_by: str | None = None


class _Page(msgspec.Struct, rename="camel", gc=False):
    data: list[_Task]
    total_count: Any = None
    next: Any = None


_DECODER = msgspec.json.Decoder(_Page)


def decode_task_page(body: bytes) -> Any:
    """A page of `GET customTasks/` as the client's JSON reader gives it, its `data` a Parsed
    list when the typed schema takes the whole page; else the page as `decode_json` reads it."""
    try:
        page = _DECODER.decode(body)
    except (msgspec.DecodeError, RecursionError):  # ValidationError is a DecodeError
        return decode_json(body)
    return {
        "totalCount": page.total_count,
        "next": page.next,
        "data": Parsed(_custom_task(task) for task in page.data),
    }


def _custom_task(task: _Task) -> CustomTask:
    """What parse_custom_task makes of the same JSON (tests/client/test_tasklist.py)."""
    latest = task.latest_version
    return CustomTask(
        task.id,
        task.name,
        task.target_type,
        task.language or "",
        task.description or "",
        task.created or "",
        task.updated or "",
        _version(latest) if latest is not None else None,
        task.maximum_memory,
        task.created_by,
    )


def _version(version: _Version) -> CustomTaskVersion:
    major, minor = version.version_major, version.version_minor
    return CustomTaskVersion(
        version.id,
        version.custom_task_id,
        version.label or f"{major}.{minor}",
        major,
        minor,
        version.is_frozen,
        version.description or "",
        version.created or "",
        version.base_environment_id,
        version.base_environment_version_id,
        version.maximum_memory,
        version.outbound_network_policy,
        {m.field_name: m.value for m in version.required_metadata_values or ()},
        tuple(d.package_name for d in version.dependencies or ()),
        version.items or (),
    )


def task_page_reader(
    each: Callable[[CustomTask], _T],
) -> Callable[[str, dict[str, Any]], paging.Page[_T]]:
    """How a page of the task list is read into `each` of its tasks (by the typed path when
    decode_task_page took it, else entry by entry, stopping at a bad one)."""

    def read(shown: str, raw: dict[str, Any]) -> paging.Page[_T]:
        data = raw["data"]
        if isinstance(data, Parsed):  # read by the typed path
            page = paging.Page(raw.get("totalCount"), raw.get("next"), len(data), data)
        else:
            page = read_page(shown, parse_custom_task, raw)
        mapped = [each(task) for task in page.items]  # none when an entry was bad
        return paging.Page(page.total, page.next, page.count, mapped, page.error)

    return read
