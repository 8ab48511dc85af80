"""`ctask-sync init [PATH] [--namespace NS]`: mark PATH as a sync root with its namespace."""

from __future__ import annotations

import argparse
from pathlib import Path

import yaml

from ctask_sync import git as gitinfo
from ctask_sync.engine.session import EMBEDDED_STATE
from ctask_sync.errors import ConfigError
from ctask_sync.manifest import schemacheck
from ctask_sync.manifest.rootconfig import ROOT_CONFIG_NAME
from ctask_sync.manifest.spec import display_path
from ctask_sync.manifest.yamlpos import load

HEADER = """\
# ctask-sync root: every ctask.yaml below this folder is synced as one set (a folder below
# holding its own ctask-sync.yaml is another root). Commit this file: a laptop, a fresh clone
# and CI then resolve the same namespace. --namespace / CTASK_SYNC_NAMESPACE override it.
"""


def propose_namespace(folder: Path) -> str:
    """The GitHub remote's owner/name (plus the folder's path below the top level for a root
    that is not the whole repository), else the folder's name."""
    top = gitinfo.git_toplevel(folder)
    origin = gitinfo.origin_path(top) if top is not None else None
    if not origin:
        return folder.name
    below = folder.relative_to(top).as_posix() if top is not None and folder != top else ""
    return f"{origin}/{below}" if below else origin


def config_text(namespace: str) -> str:
    """The ctask-sync.yaml to write; ConfigError when namespace breaks the schema."""
    body = yaml.safe_dump({"namespace": namespace}, allow_unicode=True, sort_keys=False)
    text = HEADER + body
    problems = schemacheck.check(load(text), schemacheck.ROOT_SCHEMA_RESOURCE)
    if problems:
        raise ConfigError(
            f"--namespace {namespace!r}: {problems[0].message}",
            hint="pick a namespace such as acme/fraud-tasks",
        )
    return text


def run(args: argparse.Namespace) -> int:
    folder = Path(args.path)
    if not folder.is_dir():
        raise ConfigError(f"{folder}: no such folder", hint="pass the folder to make a sync root")
    folder = folder.resolve()
    config = folder / ROOT_CONFIG_NAME
    if config.exists():
        raise ConfigError(
            f"{display_path(config)} exists already; nothing was changed",
            hint="edit it by hand to change the namespace (tasks keep their owner only if "
            "the namespace stays the same)",
        )
    namespace = args.namespace or propose_namespace(folder)
    config.write_text(config_text(namespace), "utf-8")
    state = folder / EMBEDDED_STATE
    state.mkdir(exist_ok=True)
    ignore = state / ".gitignore"
    if not ignore.exists():
        ignore.write_text("*\n", "utf-8")
    shown = display_path(folder)
    print(f"Wrote {display_path(config)} (namespace: {namespace}).")
    print(f"{display_path(state)}/ (the embedded emulator's state) is ignored by git.")
    print("Next steps:")
    print(f"  1. git add {display_path(config)} && git commit -m 'ctask-sync root'")
    print(f"  2. ctask-sync plan {shown}    (the embedded emulator until DATAROBOT_ENDPOINT and")
    print("     DATAROBOT_API_TOKEN are set; then against DataRobot)")
    print(f"  3. ctask-sync import {shown} --task-id ID    to bring existing tasks under git")
    return 0
