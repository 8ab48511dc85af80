"""`ctask-sync import [PATH] --task-id ID... | --unowned [--name-filter GLOB]`: existing tasks
-> task folders whose manifests adopt them. Read-only on DataRobot."""

from __future__ import annotations

import argparse
from pathlib import Path

from ctask_sync.engine import importer
from ctask_sync.engine.session import connect, endpoint_line
from ctask_sync.errors import ConfigError
from ctask_sync.manifest.rootconfig import find_root
from ctask_sync.manifest.spec import display_path
from ctask_sync.settings import Settings
from ctask_sync.words import plural


def run(args: argparse.Namespace) -> int:
    if not args.task_ids and not args.unowned:
        raise ConfigError(
            "import needs --task-id ID (repeatable) or --unowned",
            hint="e.g. ctask-sync import tasks/ --task-id 5f1e... or --unowned --name-filter "
            "'Fraud*'",
        )
    if args.name_filter and not args.unowned:
        raise ConfigError("--name-filter needs --unowned", hint="add --unowned")
    dest = Path(args.path)
    if dest.exists() and not dest.is_dir():
        raise ConfigError(f"{dest}: not a folder", hint="pass the folder to import into")
    options = Settings.from_args(args)
    root = find_root(dest if dest.is_dir() else dest.parent)
    print(endpoint_line(options, root.folder))
    with connect(options, root.folder) as (client, _endpoint):
        chosen = importer.select(
            client.list_custom_tasks(),
            args.task_ids,
            unowned=args.unowned,
            name_filter=args.name_filter,
        )
        if not chosen:
            print("No task to import: every task matching is owned by a namespace already.")
            return 0
        done = importer.import_tasks(client, chosen, dest.resolve(), root.repo_root)
    for item in done:
        print(
            f"  + {display_path(item.folder)}  task {item.task_id} ({item.name!r}), "
            f"{plural(item.files, 'file')}"
        )
        for warning in item.warnings:
            print(f"      warning: {warning}")
    print(f"Imported {plural(len(done), 'task')}. Next steps:")
    print("  1. review the folders, then git add and commit them")
    print(
        f"  2. ctask-sync plan {display_path(dest)}    (each shows `adopt`: marker and sync "
        "record only, no new version when files and settings match)"
    )
    print(f"  3. ctask-sync apply {display_path(dest)}")
    return 0
