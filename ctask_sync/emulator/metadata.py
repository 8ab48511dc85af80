"""Task version `arguments` from the hyperparameters in a task's model-metadata.yaml.

How DataRobot derives arguments is UNCONFIRMED; this follows DRUM's hyperparameter format
(name, type, min/max or values, default). A file that is missing or unreadable yields no
arguments rather than an error, since DataRobot's validation of it is unpublished."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import yaml

from ctask_sync.emulator.model import ItemRecord

METADATA_FILE = "model-metadata.yaml"
_SCALAR = (str, int, float, bool)


def task_arguments(
    items: list[ItemRecord], read_blob: Callable[[str], bytes]
) -> list[dict[str, Any]]:
    """The arguments for a version holding these items (root model-metadata.yaml only)."""
    item = next((i for i in items if i.file_path == METADATA_FILE), None)
    if item is None:
        return []
    try:
        data = yaml.safe_load(read_blob(item.blob))
    except yaml.YAMLError:
        return []
    params = data.get("hyperparameters") if isinstance(data, dict) else None
    if not isinstance(params, list):
        return []
    return [arg for arg in (_argument(p) for p in params) if arg is not None]


def _argument(param: object) -> dict[str, Any] | None:
    if not isinstance(param, dict):
        return None
    name, kind = param.get("name"), param.get("type")
    if not isinstance(name, str) or not name or not isinstance(kind, str) or not kind:
        return None
    values: Any
    if kind in ("int", "float"):
        values = {k: param[k] for k in ("min", "max") if isinstance(param.get(k), (int, float))}
    elif kind == "select":
        raw = param.get("values")
        values = [v for v in raw if isinstance(v, _SCALAR)] if isinstance(raw, list) else []
    elif kind == "multi":
        raw = param.get("values")
        values = raw if isinstance(raw, dict) else {}
    else:  # string and anything newer: values must still never be null
        values = ""
    argument: dict[str, Any] = {"name": name, "type": kind, "values": values, "tunable": True}
    default = param.get("default")
    if isinstance(default, _SCALAR):
        argument["default"] = default
    return {"key": name, "argument": argument}
