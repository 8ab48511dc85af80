"""The emulator's records: what DataRobot stores for environments, tasks, versions and builds.

Records are plain dataclasses kept in snake_case; `views.py` renders DataRobot's JSON from them.
Every record converts to and from a JSON-safe dict so the state can be persisted."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

TERMINAL_BUILD_STATUSES = ("success", "failed")


@dataclass
class ItemRecord:
    """One uploaded file of a version; `blob` is the sha256 of its content."""

    id: str
    file_name: str
    file_path: str
    blob: str
    size: int
    created: float
    # The filename of the multipart part, which DataRobot reports as fileName; None in state
    # persisted before it was kept (then the path's last segment is used).
    upload_name: str | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ItemRecord:
        """Rebuild from the persisted dict."""
        return cls(**data)


@dataclass
class BuildRecord:
    """A dependency build; its status is a function of time, so it needs no background thread."""

    started: float
    duration: float
    outcome: str  # the terminal status it reaches: success | failed
    log: str  # the build log text once terminal
    cancelled: float | None = None

    def status(self, now: float) -> str:
        """submitted for the first third of the duration, then processing, then terminal."""
        if self.cancelled is not None:
            return "failed"
        elapsed = now - self.started
        if elapsed >= self.duration:
            return self.outcome
        return "submitted" if elapsed < self.duration / 3 else "processing"

    def ended(self, now: float) -> float | None:
        """When it reached its terminal status, or None while it runs."""
        if self.cancelled is not None:
            return self.cancelled
        end = self.started + self.duration
        return end if now >= end else None

    def is_terminal(self, now: float) -> bool:
        """Whether the build reached success or failed (or was cancelled)."""
        return self.status(now) in TERMINAL_BUILD_STATUSES

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BuildRecord:
        """Rebuild from the persisted dict."""
        return cls(**data)


@dataclass
class VersionRecord:
    """A custom task version. Versions are immutable except for metadata and isFrozen."""

    id: str
    custom_task_id: str
    major: int
    minor: int
    created: float
    is_frozen: bool
    items: list[ItemRecord]
    base_environment_id: str
    base_environment_version_id: str | None
    outbound_network_policy: str
    description: str | None = None
    maximum_memory: int | None = None
    dependencies: list[dict[str, Any]] = field(default_factory=list)
    required_metadata_values: list[dict[str, str]] = field(default_factory=list)
    arguments: list[dict[str, Any]] = field(default_factory=list)
    build: BuildRecord | None = None

    @property
    def label(self) -> str:
        """DataRobot's label: 'major.minor'."""
        return f"{self.major}.{self.minor}"

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> VersionRecord:
        """Rebuild from the persisted dict, nested records included."""
        data = dict(data)
        data["items"] = [ItemRecord.from_dict(i) for i in data["items"]]
        build = data.get("build")
        data["build"] = BuildRecord.from_dict(build) if build is not None else None
        return cls(**data)


@dataclass
class TaskRecord:
    """A custom task; `versions` is oldest first."""

    id: str
    name: str
    target_type: str
    language: str
    description: str
    created_by: str
    created: float
    updated: float
    calibrate_predictions: bool = True
    maximum_memory: int | None = None
    in_use: bool = False  # set through the admin API: a model or deployment uses it
    versions: list[VersionRecord] = field(default_factory=list)
    # Access control: [{"userId", "role", "canShare", "canUseData"}], the creator's OWNER first.
    access: list[dict[str, Any]] = field(default_factory=list)

    @property
    def latest(self) -> VersionRecord | None:
        """The newest version, or None before the first one."""
        return self.versions[-1] if self.versions else None

    def version(self, version_id: str) -> VersionRecord | None:
        """The version with this id, or None."""
        return next((v for v in self.versions if v.id == version_id), None)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TaskRecord:
        """Rebuild from the persisted dict, nested records included."""
        data = dict(data)
        data["versions"] = [VersionRecord.from_dict(v) for v in data["versions"]]
        return cls(**data)


@dataclass
class EnvironmentVersionRecord:
    """A built (or failed) image of an execution environment."""

    id: str
    environment_id: str
    label: str
    description: str
    created: float
    build_status: str  # submitted | processing | failed | success
    image_id: str
    docker_context_size: int
    docker_image_size: int

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EnvironmentVersionRecord:
        """Rebuild from the persisted dict."""
        return cls(**data)


@dataclass
class EnvironmentRecord:
    """An execution environment; `versions` is oldest first."""

    id: str
    name: str
    description: str
    programming_language: str
    is_public: bool
    created: float
    created_by: str
    use_cases: list[str] = field(default_factory=list)
    required_metadata_keys: list[dict[str, str]] = field(default_factory=list)
    versions: list[EnvironmentVersionRecord] = field(default_factory=list)

    @property
    def latest_successful(self) -> EnvironmentVersionRecord | None:
        """The newest version whose image built, or None."""
        built = [v for v in self.versions if v.build_status == "success"]
        return built[-1] if built else None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EnvironmentRecord:
        """Rebuild from the persisted dict, nested records included."""
        data = dict(data)
        data["versions"] = [EnvironmentVersionRecord.from_dict(v) for v in data["versions"]]
        return cls(**data)


@dataclass
class BlueprintRecord:
    """A user blueprint. `blueprint` holds its tasks as the client sent them (camelCase JSON:
    [{taskId, taskData: {taskCode, inputs, outputMethod, taskParameters, ...}}])."""

    id: str
    user_id: str
    model_type: str
    blueprint: list[dict[str, Any]]
    created: float
    updated: float
    project_id: str | None = None
    description: str | None = None
    save_to_catalog: bool = True

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BlueprintRecord:
        """Rebuild from the persisted dict."""
        return cls(**data)


@dataclass
class State:
    """Everything the emulator remembers. Dicts keep insertion (creation) order."""

    environments: dict[str, EnvironmentRecord] = field(default_factory=dict)
    tasks: dict[str, TaskRecord] = field(default_factory=dict)
    users: dict[str, str] = field(default_factory=dict)  # user id -> username
    blueprints: dict[str, BlueprintRecord] = field(default_factory=dict)
    # (environment version, requirements) pairs whose build succeeded, with the time it did:
    # the reuse-builds fast path.
    built_images: dict[str, float] = field(default_factory=dict)
