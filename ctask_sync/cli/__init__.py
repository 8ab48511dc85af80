"""The command line: argparse wiring, one module per command, exit codes."""

from __future__ import annotations

from ctask_sync.cli.main import main

__all__ = ["main"]
