"""DataRobot's dependency parser contract: requirements.txt into Dependency objects.

One source of truth: `validate` rejects offline, at file:line, exactly the lines that the
emulator (standing in for DataRobot) rejects on version creation. Only the operators DataRobot
documents (<, <=, ==, >=, >) are accepted; anything else that is not a comment or a blank line
(URLs, -r includes, markers, ~=, !=) is an invalid dependency, which DataRobot reports as a 422
with `invalidDependencies` on version creation."""

from __future__ import annotations

import re
from typing import Any

import msgspec

_NAME = re.compile(r"^([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(\[[A-Za-z0-9,._ -]*\])?\s*")
_CONSTRAINT = re.compile(r"^\s*(<=|>=|==|<|>)\s*([A-Za-z0-9][A-Za-z0-9.*+!_-]*)\s*$")


class ParsedRequirements(msgspec.Struct):
    """Dependencies in file order, and the lines that could not be parsed."""

    dependencies: list[dict[str, Any]] = msgspec.field(default_factory=list)
    invalid: list[dict[str, Any]] = msgspec.field(default_factory=list)


def parse_requirements(text: str) -> ParsedRequirements:
    """Parse requirements.txt text; comments (#...) and blank lines are skipped."""
    result = ParsedRequirements()
    for number, raw in enumerate(text.splitlines(), start=1):
        line = _strip_comment(raw).strip()
        if not line:
            continue
        dependency = _parse_line(line, number)
        if dependency is None:
            result.invalid.append({"line": line, "lineNumber": number})
        else:
            result.dependencies.append(dependency)
    return result


def _strip_comment(line: str) -> str:
    # pip's rule: '#' starts a comment at the line start or after whitespace.
    if line.lstrip().startswith("#"):
        return ""
    match = re.search(r"\s#", line)
    return line[: match.start()] if match else line


def _parse_line(line: str, number: int) -> dict[str, Any] | None:
    match = _NAME.match(line)
    if match is None:
        return None
    rest = line[match.end() :]
    constraints: list[dict[str, str]] = []
    if rest:
        for part in rest.split(","):
            found = _CONSTRAINT.match(part)
            if found is None:
                return None
            constraints.append({"constraintType": found.group(1), "version": found.group(2)})
    return {
        "packageName": match.group(1),
        "constraints": constraints,
        "line": line,
        "lineNumber": number,
    }
