"""One typed Settings for a run: every option, its environment fallback and its default.

Each option is declared once in OPTIONS (flag, environment variable, help, action input) and its
default once, as the Settings field's default. The CLI registers the options a command takes with
`cli/options.py` `add_arguments` (twine's pattern: an argparse action whose default comes from the
environment) and builds Settings with `Settings.from_args`; the GitHub Action builds them from its
inputs with `github/inputs.py` `settings_from_inputs`. The environment fallback is
`CTASK_SYNC_<NAME>` except where an official name exists (DATAROBOT_ENDPOINT, DATAROBOT_API_TOKEN,
REQUESTS_CA_BUNDLE). The token has no flag at all: on argv, `ps` and CI logs would show it.
Nothing here reads GITHUB_*."""

from __future__ import annotations

import argparse
import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

import msgspec

from ctask_sync.engine.shard import parse_shard
from ctask_sync.errors import ConfigError

Command = Literal["plan", "apply", "status", "cleanup", "environments", "import"]
# how an option's text becomes its value, on argv, in the environment and as an action input
Kind = Literal["text", "path", "seconds", "count", "flag", "shard"]


class Settings(msgspec.Struct, frozen=True):
    """Everything one plan, apply, status or cleanup run is told from outside."""

    path: Path = Path(".")
    endpoint: str | None = None  # None: the embedded emulator, state in <repo>/.ctask-sync/
    token: str | None = None  # from DATAROBOT_API_TOKEN (or the api-token input), never argv
    namespace: str | None = None  # None: the root's ctask-sync.yaml (rootconfig.resolve_namespace)
    ca_bundle: str | None = None
    timeout: float = 60.0  # read timeout of each request
    retry_max_seconds: float = 120.0  # total retry wait per request before giving up
    shard: tuple[int, int] | None = None  # (i, n), 1-based
    concurrency: int | None = None  # None: adaptive, from 8 up to max_concurrency (32)
    max_concurrency: int | None = None  # the adaptive limit's cap; None: 32, or concurrency
    major: bool = False  # every new version major (release tags)
    tag: str | None = None  # recorded on every synced version
    allow_rollback: bool = False  # sync an older commit over versions synced from a newer one
    allow_delete: bool = False
    allow_duplicate_name: bool = False  # create beside a same-named task this namespace lacks
    wait: bool = True  # wait on dependency builds (--no-wait turns it off)
    build_timeout: float = 1800.0  # deadline for all dependency builds together
    json_file: str | None = None  # plan/apply/status: also write the JSON report here
    markdown_file: str | None = None  # plan/apply: also write the Markdown report here
    dry_run: bool = False  # cleanup: list, don't delete
    commit: str | None = None  # overrides git detection (the action passes GITHUB_SHA)
    ref: str | None = None  # overrides git detection (the action passes GITHUB_REF)
    consumers: bool = False  # read and show the user blueprints using each task (--consumers)
    # False for pull-request previews: no user blueprint is changed (github/ sets it)
    touch_blueprints: bool = True
    # --target KEY (repeatable; cli/ fills it): only these keys, and never a deletion of another.
    # No environment fallback: a leftover variable must never quietly narrow a CI apply.
    targets: tuple[str, ...] = ()

    @classmethod
    def from_args(cls, args: argparse.Namespace, env: Mapping[str, str] | None = None) -> Settings:
        """Settings from parsed argv (whose defaults already hold the environment fallbacks) and
        the token from DATAROBOT_API_TOKEN; options the command does not take keep defaults."""
        env = os.environ if env is None else env
        values: dict[str, object] = {"token": env.get(TOKEN_ENV) or None}
        for option in OPTIONS:
            if hasattr(args, option.dest):
                values[option.field] = option.value_from_args(getattr(args, option.dest))
        return cls(**values)  # type: ignore[arg-type]

    def replace(self, **changes: object) -> Settings:
        """A copy with some fields changed (Settings are frozen)."""
        return msgspec.structs.replace(self, **changes)


TOKEN_ENV = "DATAROBOT_API_TOKEN"
CA_BUNDLE_ENV = "REQUESTS_CA_BUNDLE"
_DEFAULTS = Settings()
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("", "0", "false", "no", "off")


class Option(msgspec.Struct, frozen=True):
    """One option: its Settings field, flag, environment variable, help, and action input."""

    field: str
    flag: str  # "--endpoint"; a name without dashes is the positional argument
    env: str
    help: str  # may say {env} and {default}
    kind: Kind = "text"
    metavar: str | None = None
    input: str | None = None  # the action input that sets it, when the action takes it
    input_minimum: float = 0.0  # the action's smallest accepted number (seconds, count)
    inverted: bool = False  # --no-wait: the flag sets the field to False
    attribute: str | None = None  # the argparse attribute, when not named after the flag

    @property
    def dest(self) -> str:
        """The argparse attribute: `no_wait` for `--no-wait` unless named otherwise."""
        return self.attribute or self.flag.lstrip("-").replace("-", "_")

    @property
    def default(self) -> object:
        """The Settings field's default: the one place each default is written."""
        return getattr(_DEFAULTS, self.field)

    def help_text(self, override: str | None = None) -> str:
        """The help line, with the environment variable and default filled in."""
        default = self.default
        shown = f"{default:g}" if isinstance(default, float) else str(default)
        return (override or self.help).format(env=self.env, default=shown)

    def value_from_args(self, value: object) -> object:
        """The Settings value of this option's parsed argparse attribute."""
        if self.kind == "path":
            return Path(str(value))
        if self.kind == "shard":
            return parse_shard(str(value)) if value else None
        if self.kind == "flag":
            # text is the environment variable's (EnvDefault), read only by commands that take it
            on = env_flag(self.env, {self.env: value}) if isinstance(value, str) else bool(value)
            return not on if self.inverted else on
        if self.kind == "text":
            return value or None
        return value


# Which options each command takes, in the order `--help` lists them.
_REMOTE = ("endpoint", "namespace", "ca_bundle", "timeout", "retry_max_seconds", "shard")
_ENGINE = (
    "path",
    "json_file",
    "concurrency",
    "max_concurrency",
    "major",
    "tag",
    "allow_rollback",
    *_REMOTE,
)
COMMAND_OPTIONS: dict[Command, tuple[str, ...]] = {
    "plan": (*_ENGINE, "allow_delete", "markdown_file", "consumers"),
    "apply": (
        *_ENGINE,
        "allow_delete",
        "allow_duplicate_name",
        "wait",
        "build_timeout",
        "markdown_file",
    ),
    "status": ("path", "json_file", "consumers", *_REMOTE),
    "cleanup": ("path", "dry_run", "json_file", *_REMOTE),
    "environments": ("path", *_REMOTE),
    "import": ("path", *_REMOTE),
}
OPTIONS: tuple[Option, ...] = (
    Option(
        "path",
        "path",
        "CTASK_SYNC_PATH",
        "folder to sync (env {env}; default: {default}); its sync root is the nearest folder at "
        "or above it holding ctask-sync.yaml, else the git top level; a folder below the root "
        "narrows what is shown and changed",
        kind="path",
    ),
    Option(
        "json_file",
        "--json",
        "CTASK_SYNC_JSON",
        "write a JSON report (- for stdout; the text then goes to stderr; env {env})",
        metavar="FILE",
        attribute="json_file",
    ),
    Option(
        "concurrency",
        "--concurrency",
        "CTASK_SYNC_CONCURRENCY",
        "requests in flight: a fixed N, or with --max-concurrency the start of an adaptive "
        "limit (env {env}; default: start at 8, grow while DataRobot answers promptly up to "
        "--max-concurrency, halve on HTTP 429 or 503)",
        kind="count",
        input="concurrency",
        input_minimum=1,
    ),
    Option(
        "max_concurrency",
        "--max-concurrency",
        "CTASK_SYNC_MAX_CONCURRENCY",
        "the most requests in flight the adaptive limit may grow to (env {env}; default 32, or "
        "--concurrency when only that is given)",
        kind="count",
        input="max-concurrency",
        input_minimum=1,
    ),
    Option(
        "major",
        "--major",
        "CTASK_SYNC_MAJOR",
        "make every new version a major version (release tags do this; env {env})",
        kind="flag",
    ),
    Option(
        "tag",
        "--tag",
        "CTASK_SYNC_TAG",
        "release tag to record on every synced version (env {env})",
    ),
    Option(
        "allow_rollback",
        "--allow-rollback",
        "CTASK_SYNC_ALLOW_ROLLBACK",
        "sync an older commit over versions synced from a newer one (a deliberate "
        "rollback; without it such a late run is refused; env {env})",
        kind="flag",
        input="allow-rollback",
    ),
    Option(
        "endpoint",
        "--endpoint",
        "DATAROBOT_ENDPOINT",
        "DataRobot API endpoint, e.g. https://app.datarobot.com/api/v2 "
        "(env {env}; default: the embedded emulator). "
        "The token is read from DATAROBOT_API_TOKEN only, never from argv.",
        input="endpoint",
    ),
    Option(
        "namespace",
        "--namespace",
        "CTASK_SYNC_NAMESPACE",
        "owner namespace written into task descriptions (env {env}; "
        "default: the sync root's ctask-sync.yaml, see `ctask-sync init`)",
    ),
    Option(
        "ca_bundle",
        "--ca-bundle",
        CA_BUNDLE_ENV,
        "CA bundle for TLS verification (env {env})",
        input="ca-bundle",
    ),
    Option(
        "timeout",
        "--timeout",
        "CTASK_SYNC_TIMEOUT",
        "read timeout of each request (env {env}; default {default})",
        kind="seconds",
        metavar="SECONDS",
        input="request-timeout",
        input_minimum=1.0,
    ),
    Option(
        "retry_max_seconds",
        "--retry-max-seconds",
        "CTASK_SYNC_RETRY_MAX_SECONDS",
        "longest total wait on retries of one request (env {env}; default {default})",
        kind="seconds",
        metavar="SECONDS",
        input="retry-budget",
    ),
    Option(
        "shard",
        "--shard",
        "CTASK_SYNC_SHARD",
        "sync only the tasks whose key hashes to shard I of N, written I/N (1-based; env {env})",
        kind="shard",
        input="shard",
    ),
    Option(
        "allow_delete",
        "--allow-delete",
        "CTASK_SYNC_ALLOW_DELETE",
        "delete owned tasks whose manifests are gone (env {env})",
        kind="flag",
        input="allow-delete",
    ),
    Option(
        "allow_duplicate_name",
        "--allow-duplicate-name",
        "CTASK_SYNC_ALLOW_DUPLICATE_NAME",
        "create a task even when a same-named task of the same target type exists that "
        "this namespace does not own (default: refuse, and hint at `ctask-sync import`; env {env})",
        kind="flag",
    ),
    Option(
        "wait",
        "--no-wait",
        "CTASK_SYNC_NO_WAIT",
        "start dependency builds, don't wait (env {env})",
        kind="flag",
        input="wait-for-builds",
        inverted=True,
    ),
    Option(
        "build_timeout",
        "--build-timeout",
        "CTASK_SYNC_BUILD_TIMEOUT",
        "deadline for all dependency builds together (env {env}; default {default})",
        kind="seconds",
        metavar="SECONDS",
        input="build-timeout",
        input_minimum=1.0,
    ),
    Option(
        "markdown_file",
        "--markdown",
        "CTASK_SYNC_MARKDOWN",
        "also write the results as Markdown (env {env})",
        metavar="FILE",
        attribute="markdown",
    ),
    Option(
        "consumers",
        "--consumers",
        "CTASK_SYNC_CONSUMERS",
        "also list the user blueprints that use each task and the version each pins "
        "(one paged list of user blueprints; see docs/manifest.md; env {env})",
        kind="flag",
    ),
    Option(
        "dry_run",
        "--dry-run",
        "CTASK_SYNC_DRY_RUN",
        "list what would be deleted (env {env})",
        kind="flag",
    ),
)


def env_flag(name: str, env: Mapping[str, str]) -> bool:
    """A true/false environment variable; anything else is a ConfigError naming it."""
    value = env.get(name, "").strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ConfigError(
        f"{name}: expected true or false, got {env[name]!r}",
        hint=f"set {name}=true or {name}=false, or unset it",
    )


def positive_int(text: str) -> int:
    """A whole number of at least 1 (argparse type)."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number, at least 1, got {text}")
    return value


def seconds(text: str) -> float:
    """A finite number of seconds, at least 0 (argparse type)."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    # a NaN or infinite deadline never passes: a stuck build would be waited on forever
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"must be a number of seconds, at least 0, got {text}")
    return value
