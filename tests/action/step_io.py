"""What a step tells the runner, read as the runner reads it: workflow commands on stdout
(`::add-mask::`, `::stop-commands::`, annotations, groups) and the GITHUB_OUTPUT, GITHUB_ENV and
GITHUB_PATH files."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

_COMMAND = re.compile(r"^::([A-Za-z-]+)(?: ([^:]*))?::(.*)$")
# The runner's own variables, removed from the inherited environment so a test decides them.


@dataclass(frozen=True)
class WorkflowCommand:
    name: str
    properties: dict[str, str]
    data: str


def _unescape(text: str, *, prop: bool = False) -> str:
    if prop:
        text = text.replace("%3A", ":").replace("%2C", ",")
    return text.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")


def parse_command(line: str) -> WorkflowCommand | None:
    match = _COMMAND.match(line)
    if match is None:
        return None
    properties = {}
    for pair in (match.group(2) or "").split(","):
        if "=" in pair:
            key, value = pair.split("=", 1)
            properties[key.strip()] = _unescape(value, prop=True)
    return WorkflowCommand(match.group(1), properties, _unescape(match.group(3)))


def parse_output_file(text: str) -> dict[str, str]:
    """GITHUB_OUTPUT / GITHUB_ENV syntax: `name=value` lines and `name<<DELIM` heredocs."""
    values: dict[str, str] = {}
    lines = text.split("\n")
    index = 0
    while index < len(lines):
        line = lines[index]
        index += 1
        if not line:
            continue
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            body = []
            while index < len(lines) and lines[index] != delimiter:
                body.append(lines[index])
                index += 1
            if index >= len(lines):
                raise ValueError(f"heredoc for {name} not closed by {delimiter}")
            index += 1
            values[name] = "\n".join(body)
        else:
            name, value = line.split("=", 1)
            values[name] = value
    return values


@dataclass
class LogProcessor:
    """The runner's view of stdout: masking, stop-commands, workflow commands."""

    masks: list[str] = field(default_factory=list)
    log: list[str] = field(default_factory=list)
    commands: list[WorkflowCommand] = field(default_factory=list)
    stop_token: str | None = None

    def mask(self, line: str) -> str:
        for secret in sorted(self.masks, key=len, reverse=True):
            line = line.replace(secret, "***")
        return line

    def feed(self, text: str) -> None:
        for line in text.splitlines():
            if self.stop_token is not None:
                if line.strip() == f"::{self.stop_token}::":
                    self.stop_token = None
                else:
                    self.log.append(self.mask(line))
                continue
            command = parse_command(line)
            if command is None:
                self.log.append(self.mask(line))
                continue
            if command.name == "add-mask":
                if command.data.strip():
                    self.masks.append(command.data)
                continue
            if command.name == "stop-commands":
                self.stop_token = command.data
                continue
            self.commands.append(command)
            self.log.append(self.mask(f"##[{command.name}]{command.data}"))


def apply_env_file(text: str, env: dict[str, str]) -> None:
    """GITHUB_ENV's `NAME=value` and `NAME<<DELIM` lines, for the steps that follow."""
    for name, value in parse_output_file(text).items():
        # The runner refuses NODE_OPTIONS from GITHUB_ENV (it would steer every node action).
        if name.upper() != "NODE_OPTIONS":
            env[name] = value


def apply_path_file(text: str, prepend: list[str]) -> None:
    """GITHUB_PATH lines: each one goes to the front; a repeated line moves to the front."""
    for line in text.splitlines():
        entry = line.strip()
        if entry:
            if entry in prepend:
                prepend.remove(entry)
            prepend.append(entry)


def search_path(prepend: list[str], path: str) -> str:
    """PATH as the runner builds it: the last GITHUB_PATH entry first, then the original."""
    return os.pathsep.join([*reversed(prepend), *([path] if path else [])])
