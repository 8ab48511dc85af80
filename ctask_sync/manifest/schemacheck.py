"""Check a loaded manifest against schemas/ctask.schema.json and word each error for a human.

jsonschema finds every error in one pass (iter_errors); this module turns each into a message
that names the key (a breadcrumb such as `environment.id`), says what was expected and what was
found, and points at the offending key or value in the file. A document that schemafast
accepts is valid without asking jsonschema, which is then never imported.
"""

from __future__ import annotations

import datetime
import difflib
import functools
import json
from importlib import resources
from typing import TYPE_CHECKING, Any

import msgspec

if TYPE_CHECKING:
    # No type stubs ship with jsonschema and types-jsonschema is not a dependency.
    from jsonschema import Draft202012Validator, ValidationError  # type: ignore[import-untyped]

from ctask_sync.manifest import schemafast
from ctask_sync.manifest.yamlpos import Document, Path_, Pos

# in schemas/, shipped as the ctask_sync.schemas package (setup.py)
SCHEMA_RESOURCE = "ctask.schema.json"
ROOT_SCHEMA_RESOURCE = "ctask-sync.schema.json"


class SchemaProblem(msgspec.Struct, frozen=True):
    """One schema error, worded and placed."""

    path: Path_
    pos: Pos | None
    message: str


@functools.lru_cache(maxsize=2)
def load_schema(resource: str = SCHEMA_RESOURCE) -> dict[str, Any]:
    """A schema of schemas/, shipped as package data: by default the manifest's, or
    ROOT_SCHEMA_RESOURCE for ctask-sync.yaml."""
    text = resources.files("ctask_sync.schemas").joinpath(resource).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@functools.lru_cache(maxsize=2)
def _readable(resource: str) -> bool:
    return schemafast.readable(load_schema(resource))


@functools.lru_cache(maxsize=2)
def _validator(resource: str) -> Draft202012Validator:
    # imported on first use: a run whose manifests all come from the task cache (and with no
    # ctask-sync.yaml) never needs jsonschema, a tenth of the CLI's start-up
    from jsonschema import Draft202012Validator

    return Draft202012Validator(load_schema(resource))


def crumb(path: Path_) -> str:
    """('files', 'include', 2) -> 'files.include[2]'."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def show(value: Any) -> str:
    """A value as the user wrote it in YAML, for messages."""
    if value is None:
        return "an empty value"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return str(value)


def type_name(value: Any) -> str:
    """The YAML-facing name of a value's type."""
    if value is None:
        return "an empty value"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, (datetime.date, datetime.datetime)):
        return "a date (quote it to make it a string)"
    return type(value).__name__


_TYPE_WORDS = {
    "string": "a string",
    "integer": "an integer",
    "object": "a mapping (key: value lines)",
    "array": "a list",
    "number": "a number",
    "boolean": "true or false",
}

_PATTERN_HINTS = {
    "key": "is not a valid key: it cannot start or end with '/' or a space, "
    "or hold control characters",
    "id": "is not a DataRobot id (24 hexadecimal characters, e.g. 5e8c889607389fe0f466c72d)",
    "adopt": "is not a DataRobot task id (24 hexadecimal characters, as `ctask-sync import` "
    "writes it)",
    "namespace": "is not a valid namespace: it cannot start or end with '/' or a space, "
    "or hold control characters",
    "version_id": "is not a DataRobot id (24 hexadecimal characters, e.g. "
    "5e8c889607389fe0f466c72d)",
    "name": "is blank: DataRobot needs a display name with at least one visible character",
    "maximum_memory": "is not a size: write bytes (e.g. 4294967296) or a number with a unit "
    "Ki, Mi, Gi, Ti (powers of 1024) or K, M, G, T (e.g. 4Gi, 512Mi, 1.5Gi)",
}


def suggest(word: str, choices: list[str]) -> str:
    """ " (did you mean 'name'?)" for a close match, else ""."""
    lowered = {c.lower(): c for c in choices}
    if word.lower() in lowered:
        return f" (did you mean '{lowered[word.lower()]}'?)"
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _at(path: Path_) -> str:
    return f"{crumb(path)}: " if path else ""


def _word(error: ValidationError, doc: Document, whole: str) -> list[SchemaProblem]:
    path: Path_ = tuple(error.absolute_path)
    value = error.instance
    kind = error.validator
    if kind == "additionalProperties" and isinstance(value, dict):
        known = sorted(error.schema.get("properties", {}))
        problems = []
        for extra in sorted(set(value) - set(known)):
            hint = suggest(extra, known) or f" (known keys: {', '.join(known)})"
            problems.append(
                SchemaProblem(
                    (*path, extra),
                    doc.key_pos((*path, extra)),
                    f"{_at(path)}unknown key '{extra}'{hint}",
                )
            )
        return problems
    if kind == "required" and isinstance(value, dict):
        missing = [r for r in error.validator_value if r not in value]
        where = whole if not path else f"'{crumb(path)}'"
        return [
            SchemaProblem(path, doc.key_pos(path), f"{where} is missing the required key '{m}'")
            for m in missing
        ]
    if kind == "oneOf" and path == ("environment",) and isinstance(value, dict):
        if "id" in value and "name" in value:
            text = "environment: give either 'id' or 'name', not both"
        else:
            text = "environment: give 'id' or 'name' of the execution environment"
        return [SchemaProblem(path, doc.key_pos(path), text)]
    pos = doc.pos(path)
    if kind == "type":
        expected = error.validator_value
        names = [expected] if isinstance(expected, str) else list(expected)
        wanted = " or ".join(_TYPE_WORDS.get(n, n) for n in names)
        text = f"{_at(path)}expected {wanted}, got {type_name(value)}"
        if isinstance(value, (bool, int, float)) and not isinstance(value, bool):
            text += f" ({show(value)})"
        if names == ["string"] and isinstance(value, (bool, int, float)):
            text += "; quote it to make it a string"
        return [SchemaProblem(path, pos, text)]
    if kind == "enum":
        choices = [str(c) for c in error.validator_value]
        hint = suggest(value, choices) if isinstance(value, str) else ""
        return [
            SchemaProblem(
                path,
                pos,
                f"{_at(path)}{show(value)} is not one of: {', '.join(choices)}{hint}",
            )
        ]
    if kind == "pattern":
        last = next((p for p in reversed(path) if isinstance(p, str)), "")
        hint = _PATTERN_HINTS.get(str(last), f"does not match {error.validator_value}")
        return [SchemaProblem(path, pos, f"{_at(path)}{show(value)} {hint}")]
    if kind == "minLength" and "propertyNames" in error.schema_path:
        return [SchemaProblem(path, pos, f"{_at(path)}field names must not be empty")]
    if kind == "minLength":
        return [SchemaProblem(path, pos, f"{_at(path)}must not be empty")]
    if kind == "maxLength":
        limit = error.validator_value
        return [SchemaProblem(path, pos, f"{_at(path)}is longer than {limit} characters")]
    if kind == "minItems":
        return [SchemaProblem(path, pos, f"{_at(path)}must list at least one pattern")]
    if kind == "minimum":
        limit = error.validator_value
        return [SchemaProblem(path, pos, f"{_at(path)}must be at least {limit}, got {value}")]
    return [SchemaProblem(path, pos, f"{_at(path)}{error.message}")]


_WHOLE = {SCHEMA_RESOURCE: "the manifest", ROOT_SCHEMA_RESOURCE: "ctask-sync.yaml"}


def check(doc: Document, resource: str = SCHEMA_RESOURCE) -> list[SchemaProblem]:
    """Every schema problem of a loaded manifest (or, with ROOT_SCHEMA_RESOURCE, of a
    ctask-sync.yaml), in file order."""
    schema = load_schema(resource)
    if _readable(resource) and schemafast.valid(doc.value, schema):
        return []  # surely valid: jsonschema (a fifth of validating new manifests) not needed
    errors = list(_validator(resource).iter_errors(doc.value))
    # A value of the wrong type also fails its range and length checks: say only the first.
    mistyped = {tuple(e.absolute_path) for e in errors if e.validator == "type"}
    problems: list[SchemaProblem] = []
    for error in errors:
        if error.validator != "type" and tuple(error.absolute_path) in mistyped:
            continue
        problems.extend(_word(error, doc, _WHOLE.get(resource, "the file")))
    unique = {(p.path, p.message): p for p in problems}
    return sorted(
        unique.values(),
        key=lambda p: (p.pos.line if p.pos else 0, p.pos.column if p.pos else 0, p.message),
    )
