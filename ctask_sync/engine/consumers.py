"""Who uses a task: the user blueprints that pin one of its versions or follow `latest_<id>`,
read at a bounded cost, and the pure decisions built on them (pins to move, deletion blockers).

Cost (docs/manifest.md, "What it costs"): one paged `GET userBlueprints/` per run, plus one
`GET userBlueprints/{id}/` per blueprint whose listed version of a synced task is that task's
latest version (only the blueprint itself tells a pin to the latest version from `latest_<id>`),
plus one paged `GET customTasks/{id}/versions/` per task pinned at an older version (for its
label). Nothing is read unless a manifest or a flag asks for consumers."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import msgspec
from msgspec.structs import replace

from ctask_sync.datarobot.blueprints import LATEST_PREFIX, UserBlueprint, version_refs
from ctask_sync.datarobot.client import DataRobotClient
from ctask_sync.engine.model import Grant, RemoteVersion

# blueprints: in the manifest
BLUEPRINT_POLICIES = ("leave", "follow", "releases")


class BlueprintUse(msgspec.Struct, frozen=True):
    """One user blueprint using one custom task: pinned at a version, or following latest."""

    blueprint_id: str
    blueprint_name: str
    task_id: str
    version_id: str | None  # None: `latest_<task id>`
    version_label: str | None = None

    @property
    def pinned(self) -> str:
        """What the blueprint pins, in words: a version label (or id), or `latest`."""
        if self.version_id is None:
            return "latest"
        return self.version_label or self.version_id


class BlueprintUpdate(msgspec.Struct, frozen=True):
    """A blueprint whose pins of a task's previous versions apply moves to the new version."""

    blueprint_id: str
    blueprint_name: str
    old_version_ids: tuple[str, ...]
    old_labels: tuple[str, ...]
    new_label: str  # as DataRobot will number the new version


class Consumers(msgspec.Struct):
    """What was read: task id -> the uses of that task (absent: none)."""

    uses: dict[str, tuple[BlueprintUse, ...]] = msgspec.field(default_factory=dict)

    def of(self, task_id: str | None) -> tuple[BlueprintUse, ...]:
        return self.uses.get(task_id or "", ())


def _precise(
    blueprint: UserBlueprint, managed: Mapping[str, RemoteVersion | None]
) -> list[tuple[str, str | None]]:
    """(task id, pinned version id or None for latest_) from a blueprint read with its tasks."""
    owner_of = {use.version_id: use.custom_task_id for use in blueprint.custom_task_versions}
    found: list[tuple[str, str | None]] = []
    for _step, value in version_refs(blueprint.blueprint or ()):
        if value.startswith(LATEST_PREFIX):
            task_id = value[len(LATEST_PREFIX) :]
            if task_id in managed:
                found.append((task_id, None))
        elif owner_of.get(value) in managed:
            found.append((owner_of[value], value))
    return found


def read_consumers(
    client: DataRobotClient, managed: Mapping[str, RemoteVersion | None]
) -> Consumers:
    """The uses of the managed tasks (task id -> its latest version) at the documented cost."""
    consumers: dict[str, list[BlueprintUse]] = {}
    older: set[str] = set()
    for listed in client.list_user_blueprints():
        uses = [u for u in listed.custom_task_versions if u.custom_task_id in managed]
        if not uses:
            continue
        latest_ids = {v.id for v in managed.values() if v is not None}
        refs: list[tuple[str, str | None]]
        if any(u.version_id in latest_ids for u in uses):
            refs = _precise(client.get_user_blueprint(listed.id), managed)
        else:
            refs = [(u.custom_task_id, u.version_id) for u in uses]
        for task_id, version_id in dict.fromkeys(refs):
            latest = managed[task_id]
            label = latest.label if latest is not None and latest.id == version_id else None
            if version_id is not None and label is None:
                older.add(task_id)
            use = BlueprintUse(listed.id, listed.model_type, task_id, version_id, label)
            consumers.setdefault(task_id, []).append(use)
    for task_id in sorted(older):
        labels = {v.id: v.label for v in client.list_versions(task_id)}
        consumers[task_id] = [
            replace(u, version_label=labels.get(u.version_id))
            if u.version_label is None and u.version_id is not None
            else u
            for u in consumers[task_id]
        ]
    return Consumers({task_id: tuple(uses) for task_id, uses in consumers.items()})


def read_grants(client: DataRobotClient, task_id: str) -> tuple[Grant, ...]:
    """The task's access list (one paged GET; only for tasks whose manifest has `share:`)."""
    return tuple(Grant(e.username, e.role, e.can_share) for e in client.get_access_list(task_id))


def next_label(latest: RemoteVersion | None, *, major: bool) -> str:
    """The label DataRobot gives the next version: 1.0 first, then minor or major steps."""
    if latest is None:
        return "1.0"
    major_part, _, minor_part = latest.label.partition(".")
    if not (major_part.isdigit() and minor_part.isdigit()):
        return "the new version"  # a label DataRobot did not number as major.minor
    if major:
        return f"{int(major_part) + 1}.0"
    return f"{major_part}.{int(minor_part) + 1}"


def follows(policy: str, *, tag: str | None) -> bool:
    """Whether a new version made by this run moves the pins: `follow` always, `releases` only
    on a release-tag run (whose versions are major and carry the tag)."""
    return policy == "follow" or (policy == "releases" and tag is not None)


def plan_updates(uses: Iterable[BlueprintUse], new_label: str) -> tuple[BlueprintUpdate, ...]:
    """One update per blueprint that pins a previous version; `latest_` uses are left alone."""
    pinned: dict[str, list[BlueprintUse]] = {}
    for use in uses:
        if use.version_id is not None:
            pinned.setdefault(use.blueprint_id, []).append(use)
    return tuple(
        BlueprintUpdate(
            blueprint_id=blueprint_id,
            blueprint_name=found[0].blueprint_name,
            old_version_ids=tuple(u.version_id for u in found if u.version_id),
            old_labels=tuple(u.pinned for u in found),
            new_label=new_label,
        )
        for blueprint_id, found in sorted(pinned.items())
    )


def blockers(uses: Iterable[BlueprintUse]) -> tuple[tuple[str, str], ...]:
    """(blueprint id, name) of each blueprint that keeps the task from being deleted."""
    return tuple(sorted({(u.blueprint_id, u.blueprint_name) for u in uses}))
