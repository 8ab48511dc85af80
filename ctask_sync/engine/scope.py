"""What one run may see and touch: the tasks of its sync root, narrowed to PATH.

The plan always knows every key of the root, so a PATH below the root never makes a task of
the root look deleted; a task whose manifest is gone is a deletion candidate only when its
record names this root (and, with a narrowing PATH, a folder under it). Tasks another root
synced into the same namespace are never changed or deleted here: they only raise a warning,
and a refusal when a manifest of this root carries the same key."""

from __future__ import annotations

from dataclasses import replace
from pathlib import PurePosixPath

import msgspec

from ctask_sync.engine.remote import RemoteState, RemoteTask
from ctask_sync.words import plural

TOP_ROOT = "."  # the root of records written before roots were recorded: the git top level


class Scope(msgspec.Struct, frozen=True):
    root: str  # this sync root as records name it ("." for the git top level)
    keys: frozenset[str]  # every key of the root's manifests, shown or not
    shown: frozenset[str]  # the keys under PATH (and in this shard): the ones planned
    folder: str | None = None  # PATH relative to the root when it narrows; None: all of it


def _under(folder: str | None, narrowed: str) -> bool:
    if folder is None:
        return False
    return narrowed == TOP_ROOT or PurePosixPath(narrowed) in {
        PurePosixPath(folder),
        *PurePosixPath(folder).parents,
    }


def deletable(task: RemoteTask, scope: Scope) -> bool:
    """Whether task, whose manifest is gone, is this run's to delete."""
    root = task.root if task.root is not None else TOP_ROOT
    if root != scope.root:
        return False
    if scope.folder is None:
        return True
    return _under(task.record.folder if task.record else None, scope.folder)


def narrow(state: RemoteState, scope: Scope) -> RemoteState:
    """state with only what this run plans: the tasks of shown keys, and deletion candidates."""

    def keep(task: RemoteTask) -> bool:
        if task.key in scope.shown:
            return True
        return task.key not in scope.keys and deletable(task, scope)

    tasks = {key: task for key, task in state.tasks.items() if keep(task)}
    duplicates = [d for d in state.duplicates if d.key in tasks and keep(d)]
    return replace(state, tasks=tasks, duplicates=duplicates)


def other_root_warnings(state: RemoteState, root: str) -> list[str]:
    """One warning per other root that syncs into this namespace."""
    by_root: dict[str, list[RemoteTask]] = {}
    for task in state.other_roots:
        by_root.setdefault(task.root or TOP_ROOT, []).append(task)
    return [
        f"namespace {state.namespace} is also synced from root '{other}' "
        f"({plural(len(tasks), 'task')}, e.g. {tasks[0].key} = {tasks[0].task.id}); "
        f"this run's root is '{root}'. Neither "
        "changes or deletes the other's tasks, but give each root its own namespace in its "
        "ctask-sync.yaml"
        for other, tasks in sorted(by_root.items())
    ]


def other_root_refusals(state: RemoteState, scope: Scope) -> dict[str, str]:
    """Keys of this root that a task of another root already carries: syncing them here would
    make a second task for one key in one namespace."""
    refusals: dict[str, str] = {}
    for task in state.other_roots:
        if task.key in scope.shown and task.key not in state.tasks:
            refusals[task.key] = (
                f"task {task.task.id} of namespace {state.namespace} carries key {task.key} "
                f"and is synced from root '{task.root}', not from this root '{scope.root}': "
                "give this root its own namespace in ctask-sync.yaml (or a different key)"
            )
    return refusals
