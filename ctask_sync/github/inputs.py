"""The action side of Settings: each option's action input, else its environment variable, else
its default (declared once in settings.py)."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Mapping
from typing import TypeVar, cast

from ctask_sync.engine.shard import parse_shard
from ctask_sync.errors import ConfigError
from ctask_sync.github.workflow_commands import Inputs
from ctask_sync.settings import (
    OPTIONS,
    TOKEN_ENV,
    Option,
    Settings,
    env_flag,
    positive_int,
    seconds,
)

__all__ = ["settings_from_inputs"]
T = TypeVar("T")


def settings_from_inputs(inputs: Inputs, env: Mapping[str, str] | None = None) -> Settings:
    """Settings from the action's inputs; an unset input falls back to the option's
    environment variable, then to its default. The action decides path, namespace, major and
    tag itself (from the event), so those keep their defaults here."""
    env = os.environ if env is None else env
    values: dict[str, object] = {}
    for option in OPTIONS:
        if option.input is not None:
            values[option.field] = _input_value(option, inputs, env)
    values["token"] = inputs.text("api-token", env.get(TOKEN_ENV, "").strip()) or None
    return Settings(**values)  # type: ignore[arg-type]


def _input_value(option: Option, inputs: Inputs, env: Mapping[str, str]) -> object:
    """The Settings value of one option's action input (environment, then default)."""
    name = str(option.input)
    fallback = env.get(option.env, "").strip()
    if option.kind == "flag":
        # the input speaks in the field's sense (wait-for-builds), the variable in the flag's
        on = env_flag(option.env, env) if fallback else None
        default = bool(option.default) if on is None else (not on if option.inverted else on)
        return inputs.boolean(name, default)
    if option.kind == "seconds":
        from_env = _from_env(seconds, option.env, fallback)
        default_seconds = cast(float, option.default) if from_env is None else from_env
        return inputs.number(name, default_seconds, minimum=option.input_minimum)
    if option.kind == "count":
        from_count = _from_env(positive_int, option.env, fallback)
        default_count = cast(int, option.default) if from_count is None else from_count
        return inputs.integer(name, default_count, minimum=int(option.input_minimum))
    text = inputs.text(name, fallback)
    if option.kind == "shard":
        return _input_shard(text)
    return text or None


def _from_env(convert: Callable[[str], T], name: str, text: str) -> T | None:
    """The environment variable's value, converted; a ConfigError naming it when it is bad."""
    if not text:
        return None
    try:
        return convert(text)
    except (ValueError, argparse.ArgumentTypeError) as exc:
        raise ConfigError(f"{name}: {exc}", hint=f"fix or unset {name}") from None


def _input_shard(text: str) -> tuple[int, int] | None:
    if not text:
        return None
    try:
        return parse_shard(text)
    except ConfigError as exc:
        raise ConfigError(f"input shard: {exc.message}", hint=exc.hint) from None
