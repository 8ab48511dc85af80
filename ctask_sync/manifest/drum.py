"""DRUM's rules for a task folder, checked offline: where its hook file is, and what its
model-metadata.yaml says.

Taken from datarobot-user-models (custom_model_runner/datarobot_drum/drum/): drum.py's
_get_fit_run_language finds `custom.py` and `custom.[rR]` recursively (rglob) and refuses a
folder holding more than one; its predictor language check looks only at the top level;
model_metadata.py requires name, type and targetType and validates `hyperparameters`
(validate_model_metadata_hyperparameter and its trafarets).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from ctask_sync.manifest.checks import FileFinding, read_text
from ctask_sync.manifest.files import FileEntry
from ctask_sync.manifest.schemacheck import crumb, show, suggest
from ctask_sync.manifest.yamlpos import Document, Path_, YamlProblem, load

METADATA_NAME = "model-metadata.yaml"

# model_metadata.py's limits
PARAM_NAME_MAX_LENGTH = 64
PARAM_SELECT_VALUE_MAX_LENGTH = 1024
PARAM_SELECT_NUM_VALUES_MAX_LENGTH = 24
PARAM_STRING_MAX_LENGTH = 1024
_PARAM_NAME_RE = re.compile(r"^([a-zA-Z]+[a-zA-Z_]*[a-zA-Z]+|[a-zA-Z]+)$")
_PARAM_KEYS = {
    "int": ("name", "type", "min", "max", "default"),
    "float": ("name", "type", "min", "max", "default"),
    "string": ("name", "type", "default"),
    "select": ("name", "type", "values", "default"),
    "multi": ("name", "type", "values", "default"),
}
_REQUIRED_METADATA = ("name", "type", "targetType")


def is_hook(path: str) -> bool:
    """True for the file names DRUM loads hooks from: custom.py, custom.R, custom.r."""
    name = path.rsplit("/", 1)[-1]
    return name in ("custom.py", "custom.R", "custom.r")


def check_hook_files(files: Sequence[FileEntry], language: object) -> list[FileFinding]:
    """DRUM's custom.py / custom.R discovery over the files that will be uploaded."""
    hooks = sorted((f.path for f in files if is_hook(f.path)), key=lambda p: (p.count("/"), p))
    if len(hooks) > 1:
        return [
            FileFinding(
                extra,
                None,
                "error",
                f"a second hook file besides {hooks[0]}: DRUM searches the task folder for "
                "custom.py and custom.R recursively and refuses a task with more than one; "
                "delete all but one, or exclude the others with files.exclude",
            )
            for extra in hooks[1:]
        ]
    wanted = {"python": "custom.py", "r": "custom.R"}.get(str(language))
    if not hooks or wanted is None:
        return []
    hook = hooks[0]
    found = hook.rsplit("/", 1)[-1]
    if found.lower() != wanted.lower():
        return []  # the manifest's check warns that the task lacks its language's hook file
    if "/" in hook:
        return [
            FileFinding(
                hook,
                None,
                "warning",
                f"{found} is not at the top of the task folder: DRUM's fit finds it "
                "recursively, but its language detection for predictions looks at the top "
                "level only; move it up",
            )
        ]
    return []


def check_metadata(files: Sequence[FileEntry], target_type: object) -> list[FileFinding]:
    """model-metadata.yaml (top level only, as DRUM reads it): required keys, targetType
    agreeing with the manifest's target_type, and DRUM's hyperparameter rules."""
    entry = next((f for f in files if f.path == METADATA_NAME), None)
    if entry is None:
        return []
    text = read_text(entry, METADATA_NAME)
    if isinstance(text, FileFinding):
        return [text]
    try:
        doc = load(text)
    except YamlProblem as exc:
        return [FileFinding(METADATA_NAME, exc.pos, "error", exc.message)]
    findings = [FileFinding(METADATA_NAME, p.pos, "error", p.message) for p in doc.problems]
    data = doc.value
    if not isinstance(data, dict):
        findings.append(
            FileFinding(
                METADATA_NAME,
                doc.pos(()),
                "error",
                "must be a mapping with at least name, type and targetType (DRUM refuses it)",
            )
        )
        return findings
    out = _Out(doc, findings)
    for key in _REQUIRED_METADATA:
        if key not in data:
            out.error((), f"is missing '{key}': DRUM requires name, type and targetType")
    declared = data.get("targetType")
    if "targetType" in data and isinstance(target_type, str) and declared != target_type:
        out.error(
            ("targetType",),
            f"targetType: {show(declared)} disagrees with target_type: {target_type} in "
            "ctask.yaml: make them the same",
        )
    if data.get("hyperparameters") is not None:
        _check_hyperparameters(out, data["hyperparameters"])
    return findings


class _Out:
    """Findings about model-metadata.yaml, placed at the value they are about."""

    def __init__(self, doc: Document, findings: list[FileFinding]) -> None:
        self.doc = doc
        self.findings = findings

    def error(self, path: Path_, message: str, *, at_key: bool = False) -> None:
        pos = self.doc.key_pos(path) if at_key else self.doc.pos(path)
        self.findings.append(FileFinding(METADATA_NAME, pos, "error", message))


def _check_hyperparameters(out: _Out, params: Any) -> None:
    if not isinstance(params, list):
        out.error(("hyperparameters",), "hyperparameters: expected a list of parameters")
        return
    for index, param in enumerate(params):
        path: Path_ = ("hyperparameters", index)
        if not isinstance(param, dict):
            out.error(path, f"{crumb(path)}: expected a mapping with name and type")
            continue
        _check_parameter(out, path, param)


def _check_parameter(out: _Out, path: Path_, param: dict[str, Any]) -> None:
    kind = param.get("type")
    if kind not in _PARAM_KEYS:
        choices = ", ".join(_PARAM_KEYS)
        if kind is None:
            out.error(path, f"{crumb(path)}: 'type' is required (one of: {choices})")
        else:
            hint = suggest(kind, list(_PARAM_KEYS)) if isinstance(kind, str) else ""
            out.error(
                (*path, "type"), f"{crumb(path)}.type: {show(kind)} is not one of: {choices}{hint}"
            )
        return
    allowed = _PARAM_KEYS[kind]
    for extra in sorted(set(param) - set(allowed)):
        hint = suggest(extra, list(allowed)) or f" ({kind} parameters take {', '.join(allowed)})"
        out.error((*path, extra), f"{crumb(path)}: unknown key '{extra}'{hint}", at_key=True)
    _check_name(out, path, param.get("name"))
    if kind in ("int", "float"):
        _check_range(out, path, param, kind)
    elif kind == "string":
        default = param.get("default")
        if default is not None and len(str(default)) > PARAM_STRING_MAX_LENGTH:
            out.error(
                (*path, "default"),
                f"{crumb(path)}.default: longer than {PARAM_STRING_MAX_LENGTH} characters",
            )
    elif kind == "select":
        _check_select_values(out, (*path, "values"), param.get("values"))
    else:
        _check_multi(out, path, param.get("values"))


def _check_name(out: _Out, path: Path_, name: Any) -> None:
    where = (*path, "name")
    if name is None:
        out.error(path, f"{crumb(path)}: 'name' is required")
    elif not isinstance(name, str) or not _PARAM_NAME_RE.match(name):
        out.error(
            where,
            f"{crumb(where)}: {show(name)} is not a parameter name DRUM accepts: English "
            "letters and underscores only, not starting or ending with '_'",
        )
    elif len(name) > PARAM_NAME_MAX_LENGTH:
        out.error(where, f"{crumb(where)}: longer than {PARAM_NAME_MAX_LENGTH} characters")


def _number(value: Any, kind: str) -> float | int | None:
    if isinstance(value, bool):
        return None
    if kind == "int":
        if isinstance(value, float) and value.is_integer():
            return int(value)
        return value if isinstance(value, int) else None
    return value if isinstance(value, (int, float)) else None


def _check_range(out: _Out, path: Path_, param: dict[str, Any], kind: str) -> None:
    word = "an integer" if kind == "int" else "a number"
    bounds: dict[str, float | int] = {}
    for key in ("min", "max", "default"):
        if key not in param:
            if key != "default":
                out.error(path, f"{crumb(path)}: '{key}' is required for {kind} parameters")
            continue
        number = _number(param[key], kind)
        if number is None:
            out.error((*path, key), f"{crumb(path)}.{key}: expected {word}, got {show(param[key])}")
        else:
            bounds[key] = number
    low, high = bounds.get("min"), bounds.get("max")
    if low is None or high is None:
        return
    if low >= high:
        out.error((*path, "max"), f"{crumb(path)}: max ({high}) must be greater than min ({low})")
    elif "default" in bounds and not low <= bounds["default"] <= high:
        out.error(
            (*path, "default"),
            f"{crumb(path)}.default: {bounds['default']} is outside [{low}, {high}]",
        )


def _check_select_values(out: _Out, path: Path_, values: Any) -> None:
    if not isinstance(values, list) or not values:
        out.error(path, f"{crumb(path)}: expected a list of 1 to 24 values")
        return
    if len(values) > PARAM_SELECT_NUM_VALUES_MAX_LENGTH:
        out.error(
            path,
            f"{crumb(path)}: {len(values)} values, more than the "
            f"{PARAM_SELECT_NUM_VALUES_MAX_LENGTH} DRUM allows",
        )
    for index, value in enumerate(values):
        where = (*path, index)
        if isinstance(value, (dict, list)) or value is None or str(value).strip() == "":
            out.error(where, f"{crumb(where)}: expected a non-empty text value")
        elif len(str(value)) > PARAM_SELECT_VALUE_MAX_LENGTH:
            out.error(
                where, f"{crumb(where)}: longer than {PARAM_SELECT_VALUE_MAX_LENGTH} characters"
            )


def _check_multi(out: _Out, path: Path_, values: Any) -> None:
    where = (*path, "values")
    if not isinstance(values, dict):
        out.error(where, f"{crumb(where)}: expected a mapping of int, float and/or select")
        return
    for kind, spec in values.items():
        sub = (*where, kind)
        if kind not in ("int", "float", "select"):
            out.error(sub, f"{crumb(where)}: unknown key '{kind}' (multi takes int, float, select)")
        elif not isinstance(spec, dict):
            out.error(sub, f"{crumb(sub)}: expected a mapping")
        elif kind == "select":
            _check_select_values(out, (*sub, "values"), spec.get("values"))
        else:
            _check_range(out, sub, spec, kind)
