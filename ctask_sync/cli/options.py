"""The argv side of Settings: each command's options on argparse, with environment defaults.

settings.py declares the options (flag, environment variable, help, default); this module
registers the ones a command takes (twine's pattern: an argparse action whose default comes from
the environment). `Settings.from_args` reads the parsed namespace back."""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence

from ctask_sync.settings import COMMAND_OPTIONS, OPTIONS, Command, Option, positive_int, seconds

__all__ = ["EnvDefault", "add_arguments"]

# Where one option reads differently in one command's --help.
_HELP: dict[tuple[Command, str], str] = {
    ("environments", "path"): "repository folder (env {env}; default: {default})",
    ("import", "path"): "folder to create task folders in (env {env}; default: {default})",
    ("status", "path"): "repository folder (env {env}; default: {default})",
    ("cleanup", "path"): "repository folder (env {env}; default: {default})",
    ("plan", "allow_delete"): "plan deletions of removed tasks (env {env})",
    ("plan", "markdown_file"): "also write the plan as Markdown (env {env})",
}
_BY_FIELD = {option.field: option for option in OPTIONS}


def add_arguments(parser: argparse.ArgumentParser, command: Command) -> None:
    """Register every option `command` takes, each with its environment fallback."""
    for field in COMMAND_OPTIONS[command]:
        add_option(parser, _BY_FIELD[field], _HELP.get((command, field)))


def add_option(
    parser: argparse.ArgumentParser, option: Option, help_override: str | None = None
) -> None:
    """Register one option on one command's parser."""
    help_text = option.help_text(help_override)
    if option.kind == "flag":
        parser.add_argument(
            option.flag, action=EnvDefault, env=option.env, nargs=0, const=True, default=False,
            help=help_text,
        )  # fmt: skip
        return
    if option.kind == "path":
        parser.add_argument(
            option.flag, nargs="?", action=EnvDefault, env=option.env, default=str(option.default),
            help=help_text,
        )  # fmt: skip
        return
    parser.add_argument(
        option.flag,
        action=EnvDefault,
        env=option.env,
        default=option.default,
        type={"seconds": seconds, "count": positive_int}.get(option.kind, str),
        metavar=option.metavar,
        dest=option.dest,
        help=help_text,
    )


class EnvDefault(argparse.Action):
    """An option whose default comes from an environment variable (twine's pattern). argparse
    converts a string default with the option's type, so a bad variable is a usage error."""

    def __init__(self, env: str, required: bool = False, default: object = None, **kwargs: object):
        value = os.environ.get(env) or default
        super().__init__(default=value, required=required and value is None, **kwargs)  # type: ignore[arg-type]

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: str | Sequence[object] | None,
        option_string: str | None = None,
    ) -> None:
        # a switch (nargs=0) stores its const; its environment default is text for env_flag
        setattr(namespace, self.dest, self.const if self.nargs == 0 else values)
