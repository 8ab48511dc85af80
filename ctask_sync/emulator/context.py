"""What every handler needs: the store, the current settings, and the clock."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from ctask_sync.emulator.model import EnvironmentRecord, State, TaskRecord, VersionRecord
from ctask_sync.emulator.settings import EmulatorSettings
from ctask_sync.emulator.store import Store
from ctask_sync.emulator.web import ApiFailure


@dataclass
class Context:
    """Shared by all request threads. `settings` is replaced whole (never mutated) on PATCH, so
    a request sees one consistent settings object."""

    store: Store
    settings: EmulatorSettings
    clock: Callable[[], float] = field(default=time.time)


def find_task(state: State, task_id: str) -> TaskRecord:
    """The task, or DataRobot's 404."""
    task = state.tasks.get(task_id)
    if task is None:
        raise ApiFailure(404, f"Custom task {task_id} was not found")
    return task


def find_version(state: State, task_id: str, version_id: str) -> tuple[TaskRecord, VersionRecord]:
    """The task and its version, or 404."""
    task = find_task(state, task_id)
    version = task.version(version_id)
    if version is None:
        raise ApiFailure(404, f"Custom task version {version_id} was not found in task {task_id}")
    return task, version


def find_environment(state: State, env_id: str) -> EnvironmentRecord:
    """The execution environment, or 404."""
    env = state.environments.get(env_id)
    if env is None:
        raise ApiFailure(404, f"Execution environment {env_id} was not found")
    return env
