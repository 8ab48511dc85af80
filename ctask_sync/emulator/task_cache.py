"""What GET customTasks/ reuses between requests: each task's encoded JSON and the task order.

Rendering a page of 1,000 tasks with their latest versions and items costs far more than the
lookups that replace it, and pages are served under the store's lock, so side-by-side pages
queue behind each other. `task_json` is a function of the TaskRecord alone (no clock, settings
or other records), so an entry stays right until a write changes that task. Every such write
runs in `Store.write(task=...)` (that is also what persists it), which calls `forget`.

Use it only while holding the store's lock (inside `Store.read()` or `Store.write()`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ctask_sync.emulator.model import State, TaskRecord
from ctask_sync.emulator.web import encode_json


class TaskListCache:
    """Encoded task JSON by task id, and the sorted task list by orderBy."""

    def __init__(self) -> None:
        # The record is kept with its text so a replaced record object is never served stale.
        self._encoded: dict[str, tuple[TaskRecord, str]] = {}
        self._orders: dict[str, list[TaskRecord]] = {}

    def encoded(self, task: TaskRecord, render: Callable[[TaskRecord], dict[str, Any]]) -> str:
        """`encode_json(render(task))`, from the cache when the task did not change since."""
        entry = self._encoded.get(task.id)
        if entry is not None and entry[0] is task:
            return entry[1]
        text = encode_json(render(task))
        self._encoded[task.id] = (task, text)
        return text

    def ordered(self, state: State, order: str) -> list[TaskRecord]:
        """Every task sorted by `order` (created, -created, updated or -updated); creation order
        breaks ties between equal timestamps. The caller must not change the list."""
        tasks = self._orders.get(order)
        if tasks is None:
            position = {task_id: i for i, task_id in enumerate(state.tasks)}
            key = order.lstrip("-")
            tasks = sorted(
                state.tasks.values(),
                key=lambda t: (t.created if key == "created" else t.updated, position[t.id]),
                reverse=order.startswith("-"),
            )
            self._orders[order] = tasks
        return tasks

    def forget(self, task_id: str) -> None:
        """A write touched this task: drop its JSON, and every order (its timestamps, or the
        set of tasks, may have changed)."""
        self._encoded.pop(task_id, None)
        self._orders.clear()

    def clear(self) -> None:
        """The whole state was replaced."""
        self._encoded.clear()
        self._orders.clear()
