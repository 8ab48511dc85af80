"""`ctask-sync schema [--root-config]`: print the JSON Schema of ctask.yaml (or of the root
config ctask-sync.yaml), as shipped inside the package, for editors and other validators."""

from __future__ import annotations

import argparse
from importlib import resources

from ctask_sync.errors import CtaskSyncError

MANIFEST_SCHEMA = "ctask.schema.json"
ROOT_CONFIG_SCHEMA = "ctask-sync.schema.json"


def schema_text(name: str) -> str | None:
    """The text of one shipped schema (schemas/, package data ctask_sync.schemas), or None when
    this installation has no such schema."""
    candidate = resources.files("ctask_sync.schemas").joinpath(name)
    return candidate.read_text(encoding="utf-8") if candidate.is_file() else None


def run(args: argparse.Namespace) -> int:
    """Print the requested schema to stdout."""
    name = ROOT_CONFIG_SCHEMA if args.root_config else MANIFEST_SCHEMA
    text = schema_text(name)
    if text is None:
        raise CtaskSyncError(
            f"this installation of ctask-sync ships no {name}",
            hint="upgrade ctask-sync, or read the schema from its repository's schemas/ folder",
        )
    print(text.rstrip("\n"))
    return 0
