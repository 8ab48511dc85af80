"""DataRobot REST client for custom tasks: session, auth, retries, paging, streamed multipart.

INTERFACE STUB: owned by the client work, which fills in the bodies. camelCase stays in this
module; everything it returns is a snake_case dataclass."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path


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


@dataclass(frozen=True)
class UploadFile:
    path: str  # filePath relative to the task folder (POSIX)
    source: Path  # file on disk, streamed


@dataclass
class RetryPolicy:
    attempts: int = 5  # total tries for a retryable request
    backoff: float = 0.5  # first wait in seconds, doubled each time, with full jitter
    max_backoff: float = 30.0
    max_total: float = 120.0  # total seconds spent waiting on retries for one request


@dataclass
class RequestStats:
    reads: int = 0
    writes: int = 0
    bytes_uploaded: int = 0  # file content bytes sent in version uploads
    retries: int = 0
    by_method: dict[str, int] = field(default_factory=dict)


class DataRobotClient:
    """One requests.Session against one endpoint. Never shows the token."""

    def __init__(
        self,
        endpoint: str,
        token: str,
        *,
        ca_bundle: str | None = None,
        timeout: float = 60.0,
        retry: RetryPolicy | None = None,
    ) -> None:
        raise NotImplementedError

    stats: RequestStats

    def list_custom_tasks(self, *, search_for: str | None = None) -> list[CustomTask]: ...
    def get_custom_task(self, task_id: str) -> CustomTask: ...
    def create_custom_task(
        self,
        *,
        name: str,
        target_type: str,
        language: str,
        description: str,
        maximum_memory: int | None = None,
    ) -> CustomTask: ...
    def update_custom_task(
        self,
        task_id: str,
        *,
        name: str | None = None,
        language: str | None = None,
        description: str | None = None,
        maximum_memory: int | None = None,
    ) -> CustomTask: ...
    def delete_custom_task(self, task_id: str) -> None: ...
    def list_versions(self, task_id: str) -> list[CustomTaskVersion]: ...
    def get_version(self, task_id: str, version_id: str) -> CustomTaskVersion: ...
    def create_version(
        self,
        task_id: str,
        *,
        from_previous: bool,
        is_major_update: bool,
        base_environment_id: str,
        files: Sequence[UploadFile] = (),
        files_to_delete: Sequence[str] = (),
        maximum_memory: int | None = None,
        outbound_network_policy: str | None = None,
        required_metadata: dict[str, str] | None = None,
    ) -> CustomTaskVersion: ...
    def update_version(
        self, task_id: str, version_id: str, *, description: str
    ) -> CustomTaskVersion: ...
    def download_version(self, task_id: str, version_id: str, dest: Path) -> None: ...
    def start_dependency_build(self, task_id: str, version_id: str) -> DependencyBuild: ...
    def get_dependency_build(self, task_id: str, version_id: str) -> DependencyBuild | None: ...
    def get_dependency_build_log(self, task_id: str, version_id: str) -> bytes: ...
    def list_execution_environments(
        self, *, search_for: str | None = None
    ) -> list[ExecutionEnvironment]: ...
    def get_execution_environment(self, environment_id: str) -> ExecutionEnvironment: ...
    def close(self) -> None: ...
