"""User blueprints as DataRobot's JSON describes them, read into snake_case values.

A blueprint task uses a custom task through its `version_id` task parameter: a custom task
version id (pinned) or `latest_<custom task id>` (follows by itself). The list omits the tasks
themselves (`blueprint`) but names every custom task version used, in
`customTaskVersionMetadata` as [version id, task id]; a `latest_` reference is listed with the
task's current latest version (docs/datarobot-api.md §9)."""

from __future__ import annotations

import copy
from typing import Any
from urllib.parse import urlparse

import msgspec

LATEST_PREFIX = "latest_"
VERSION_PARAM = "version_id"


class TaskVersionUse(msgspec.Struct, frozen=True):
    """One custom task version a blueprint uses, as DataRobot lists it."""

    version_id: str
    custom_task_id: str


class UserBlueprint(msgspec.Struct, frozen=True):
    id: str
    model_type: str  # the blueprint's title
    user_id: str
    custom_task_versions: tuple[TaskVersionUse, ...]
    # The tasks, camelCase as DataRobot sends and takes them back; None when the answer came
    # from the list, which omits them.
    blueprint: tuple[dict[str, Any], ...] | None = None


class Conflict(msgspec.Struct, frozen=True):
    """Something that keeps a custom task from being deleted (a 409's `conflicts`)."""

    type: str  # userBlueprint | model | ...
    id: str | None
    url: str | None


def version_refs(blueprint: tuple[dict[str, Any], ...]) -> list[tuple[str, str]]:
    """(blueprint task id, version_id value) for every blueprint task that uses a custom task."""
    refs = []
    for step in blueprint:
        for pair in (step.get("taskData") or {}).get("taskParameters") or ():
            if pair.get("param") == VERSION_PARAM and isinstance(pair.get("value"), str):
                refs.append((str(step.get("taskId")), str(pair["value"])))
    return refs


def repin(
    blueprint: tuple[dict[str, Any], ...], old_version_ids: frozenset[str], new_version_id: str
) -> tuple[dict[str, Any], ...]:
    """The blueprint with every `version_id` in old_version_ids replaced by new_version_id;
    every other parameter, task and `latest_` reference is left as it was."""
    tasks = copy.deepcopy(list(blueprint))
    for step in tasks:
        for pair in (step.get("taskData") or {}).get("taskParameters") or ():
            if pair.get("param") == VERSION_PARAM and pair.get("value") in old_version_ids:
                pair["value"] = new_version_id
    return tuple(tasks)


def parse_user_blueprint(raw: Any) -> UserBlueprint:
    if not isinstance(raw, dict) or not raw.get("userBlueprintId"):
        raise ValueError("expected a user blueprint with a userBlueprintId")
    uses = tuple(
        TaskVersionUse(version_id=str(pair[0]), custom_task_id=str(pair[1]))
        for pair in raw.get("customTaskVersionMetadata") or ()
        if isinstance(pair, list) and len(pair) == 2
    )
    tasks = raw.get("blueprint")
    if tasks is not None and not (
        isinstance(tasks, list) and all(isinstance(t, dict) for t in tasks)
    ):
        raise ValueError("`blueprint` is not a list of tasks")
    return UserBlueprint(
        id=str(raw["userBlueprintId"]),
        model_type=str(raw.get("modelType") or ""),
        user_id=str(raw.get("userId") or ""),
        custom_task_versions=uses,
        blueprint=tuple(tasks) if tasks is not None else None,
    )


def parse_conflicts(body: Any) -> tuple[Conflict, ...]:
    """The `conflicts` of a 409 body (an emulator choice in shape: {type, id, url}); the id
    falls back to the URL's last segment."""
    raw = body.get("conflicts") if isinstance(body, dict) else None
    found = []
    for entry in raw if isinstance(raw, list) else ():
        if not isinstance(entry, dict):
            continue
        url = entry.get("url") if isinstance(entry.get("url"), str) else None
        conflict_id = entry.get("id")
        if conflict_id is None and url:
            conflict_id = urlparse(url).path.rstrip("/").rsplit("/", 1)[-1] or None
        found.append(
            Conflict(
                type=str(entry.get("type") or "unknown"),
                id=None if conflict_id is None else str(conflict_id),
                url=url,
            )
        )
    return tuple(found)
