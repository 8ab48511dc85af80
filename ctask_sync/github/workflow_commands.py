"""The GitHub Actions runner seen from inside a step: inputs, event payload, workflow commands,
outputs and the job summary.

Everything here writes what the runner reads (stdout commands, the GITHUB_OUTPUT and
GITHUB_STEP_SUMMARY files) and nothing else, so `ctask-sync action` also runs outside a runner:
without those files, outputs are skipped and the summary is not written."""

from __future__ import annotations

import json
import math
import secrets
import sys
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from ctask_sync.errors import ConfigError
from ctask_sync.redact import redact

# YAML 1.2 core schema booleans: what `with:` values look like after the runner stringifies them.
_TRUE = ("true", "True", "TRUE")
_FALSE = ("false", "False", "FALSE")


def input_variable(name: str) -> str:
    """The environment variable carrying input `name`, as GitHub names it for JS/Docker actions."""
    return "INPUT_" + name.replace(" ", "_").replace("-", "_").upper()


@dataclass(frozen=True)
class Inputs:
    """Action inputs read from INPUT_* variables; empty values count as unset."""

    env: Mapping[str, str]

    def text(self, name: str, default: str = "") -> str:
        """The trimmed value of input `name`, or default when unset or blank."""
        value = self.env.get(input_variable(name), "").strip()
        return value or default

    def boolean(self, name: str, default: bool) -> bool:
        """A true/false input; anything else is a ConfigError naming the input."""
        value = self.optional_boolean(name)
        return default if value is None else value

    def optional_boolean(self, name: str) -> bool | None:
        """A true/false input, or None when it is unset or blank."""
        value = self.text(name)
        if not value:
            return None
        if value in _TRUE:
            return True
        if value in _FALSE:
            return False
        raise ConfigError(
            f"input {name}: expected true or false, got {value!r}",
            hint=f"set `{name}: true` or `{name}: false` in the step's `with:`",
        )

    def number(self, name: str, default: float, *, minimum: float) -> float:
        """A numeric input of at least `minimum`."""
        value = self.text(name)
        if not value:
            return default
        try:
            number = float(value)
        except ValueError:
            number = float("nan")
        if not (math.isfinite(number) and number >= minimum):
            raise ConfigError(f"input {name}: expected a number >= {minimum:g}, got {value!r}")
        return number

    def integer(self, name: str, default: int, *, minimum: int) -> int:
        """An integer input of at least `minimum`."""
        value = self.text(name)
        if not value:
            return default
        if not value.isascii() or not value.isdigit() or int(value) < minimum:
            raise ConfigError(f"input {name}: expected a whole number >= {minimum}, got {value!r}")
        return int(value)


def load_event(env: Mapping[str, str]) -> dict[str, Any]:
    """The webhook payload at GITHUB_EVENT_PATH ({} when there is none, e.g. outside a runner)."""
    path = env.get("GITHUB_EVENT_PATH", "")
    if not path:
        return {}
    try:
        payload = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read the event payload {path}: {exc}") from exc
    return payload if isinstance(payload, dict) else {}


def escape_data(text: str) -> str:
    """Escape a workflow command's message, as @actions/core does."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a workflow command's property value (also `:` and `,`)."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


@dataclass(frozen=True)
class Annotation:
    """One `::error`/`::warning`/`::notice` annotation, optionally pointing at a file position."""

    level: str  # error | warning | notice
    message: str
    file: str | None = None
    line: int | None = None
    col: int | None = None
    title: str | None = None

    def command(self) -> str:
        """The workflow command line, properties and message escaped."""
        props = [
            f"{name}={escape_property(str(value))}"
            for name, value in (
                ("file", self.file),
                ("line", self.line),
                ("col", self.col),
                ("title", self.title),
            )
            if value is not None
        ]
        head = f"::{self.level} {','.join(props)}" if props else f"::{self.level}"
        return f"{head}::{escape_data(self.message)}"


@dataclass
class Workflow:
    """Writes workflow commands to stdout; every line passes through redact().

    With `runner=False` (outside GitHub Actions) the same calls print plain text: no command
    syntax for a terminal to show, and no secret echoed for a runner that is not there to hide it.
    """

    out: TextIO = field(default_factory=lambda: sys.stdout)
    runner: bool = True
    # The engine logs from worker threads; a line must never be split by another.
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def _write(self, line: str) -> None:
        with self._lock:
            self.out.write(redact(line) + "\n")
            self.out.flush()

    def add_mask(self, secret: str) -> None:
        """Tell the runner to hide `secret` in the log (the runner swallows this very line)."""
        if not self.runner:
            return
        with self._lock:
            for part in secret.splitlines():
                if part.strip():
                    # The one line that must carry the secret itself, so redact() is bypassed.
                    self.out.write(f"::add-mask::{escape_data(part)}\n")
            self.out.flush()

    def annotate(self, annotation: Annotation) -> None:
        """An annotation in a runner; `level: file:line:col: message` outside one."""
        if self.runner:
            self._write(annotation.command())
            return
        where = ":".join(str(p) for p in (annotation.file, annotation.line, annotation.col) if p)
        self.log(f"{annotation.level}: {where + ': ' if where else ''}{annotation.message}")

    def log(self, text: str) -> None:
        """Plain log text: trusted, written by us."""
        for line in text.splitlines() or [""]:
            self._write(line)

    @contextmanager
    def group(self, title: str) -> Iterator[None]:
        """A folded section in the log."""
        self._write(f"::group::{escape_data(title)}" if self.runner else f"== {title}")
        try:
            yield
        finally:
            if self.runner:
                self._write("::endgroup::")

    @contextmanager
    def untrusted(self) -> Iterator[Callable[[str], None]]:
        """A writer for text that may hold `::commands` (remote build logs, engine messages):
        the runner ignores workflow commands until the random token is echoed back."""
        if not self.runner:
            yield self.log
            return
        token = secrets.token_hex(16)
        self._write(f"::stop-commands::{token}")
        try:
            yield self.log
        finally:
            self._write(f"::{token}::")


def _heredoc(name: str, value: str) -> str:
    while True:
        delimiter = f"ghadelimiter_{secrets.token_hex(16)}"
        if delimiter not in value:
            return f"{name}<<{delimiter}\n{value}\n{delimiter}\n"


def write_outputs(env: Mapping[str, str], outputs: Mapping[str, str]) -> bool:
    """Append outputs to GITHUB_OUTPUT with random heredoc delimiters; False outside a runner."""
    path = env.get("GITHUB_OUTPUT", "")
    if not path:
        return False
    with open(path, "a", encoding="utf-8") as handle:
        for name, value in outputs.items():
            handle.write(_heredoc(name, redact(value)))
    return True


def append_summary(env: Mapping[str, str], markdown: str) -> bool:
    """Append Markdown to GITHUB_STEP_SUMMARY; False outside a runner."""
    path = env.get("GITHUB_STEP_SUMMARY", "")
    if not path:
        return False
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(redact(markdown).rstrip("\n") + "\n\n")
    return True
