"""Task version `arguments` from the hyperparameters in a task's model-metadata.yaml.

The shape follows the official client's fixtures (docs/datarobot-api.md §4.1): key
`user_param___<name>`; int/float `values` are `[min, max]`; select values a list; multi a dict
keyed by type (`{"int": [0, 1], "select": {"values": [...]}}`); DRUM's `string` is type `unicode`
with `values: []`; the grid types (intgrid, floatgrid, selectgrid) keep their names. A missing
`default` falls back as DataRobot's hyperparameter docs say: min for int/float, the first value
for select. A file that is missing or unreadable yields no arguments rather than an error, since
DataRobot's validation of it is unpublished (UNCONFIRMED)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import yaml

from ctask_sync.emulator.model import ItemRecord
from ctask_sync.yamldepth import shallow

METADATA_FILE = "model-metadata.yaml"
ARGUMENT_PREFIX = "user_param___"
_SCALAR = (str, int, float, bool)
_RANGE_TYPES = ("int", "float", "intgrid", "floatgrid")
_SELECT_TYPES = ("select", "selectgrid")


def task_arguments(
    items: list[ItemRecord], read_blob: Callable[[str], bytes]
) -> list[dict[str, Any]]:
    """The arguments for a version holding these items (root model-metadata.yaml only)."""
    item = next((i for i in items if i.file_path == METADATA_FILE), None)
    if item is None:
        return []
    try:
        data = _load(read_blob(item.blob))
    except (yaml.YAMLError, RecursionError):  # RecursionError: nested too deeply
        return []
    params = data.get("hyperparameters") if isinstance(data, dict) else None
    if not isinstance(params, list):
        return []
    return [arg for arg in (_argument(p) for p in params) if arg is not None]


# libyaml reads a file ~10x faster than PyYAML's own loader: a third of the emulator's CPU per
# version created went to this file (issue 17's benchmark runs the emulator on the same two
# cores as the tool). It is used only where both loaders agree: printable UTF-8 that libyaml
# reads without error; anything else gets PyYAML's own verdict, as before.
_CSafeLoader: type[yaml.SafeLoader] | None = getattr(yaml, "CSafeLoader", None)


def _load(blob: bytes) -> Any:
    if _CSafeLoader is not None:
        try:
            text = blob.decode("utf-8")
        except UnicodeDecodeError:
            text = None
        if (
            text is not None
            and shallow(text)  # libyaml's composer crashes the process on deep nesting
            and not yaml.reader.Reader.NON_PRINTABLE.search(text)
        ):
            try:
                return yaml.load(text, Loader=_CSafeLoader)
            except yaml.YAMLError:
                pass
    return yaml.safe_load(blob)


def _range(spec: object) -> list[int | float]:
    """[min, max] from a {min, max} mapping; [] when either bound is missing."""
    if not isinstance(spec, dict):
        return []
    bounds = [spec.get("min"), spec.get("max")]
    if all(isinstance(b, (int, float)) and not isinstance(b, bool) for b in bounds):
        return bounds  # type: ignore[return-value]
    return []


def _choices(raw: object) -> list[Any]:
    return [v for v in raw if isinstance(v, _SCALAR)] if isinstance(raw, list) else []


def _multi(raw: object) -> dict[str, Any]:
    if not isinstance(raw, dict):
        return {}
    values: dict[str, Any] = {}
    for kind, spec in raw.items():
        if kind in ("int", "float"):
            values[kind] = _range(spec)
        elif kind == "select" and isinstance(spec, dict):
            values[kind] = {"values": _choices(spec.get("values"))}
    return values


def _argument(param: object) -> dict[str, Any] | None:
    if not isinstance(param, dict):
        return None
    name, kind = param.get("name"), param.get("type")
    if not isinstance(name, str) or not name or not isinstance(kind, str) or not kind:
        return None
    values: Any
    fallback: Any = None
    if kind in _RANGE_TYPES:
        values = _range(param)
        fallback = values[0] if values else None
    elif kind in _SELECT_TYPES:
        values = _choices(param.get("values"))
        fallback = values[0] if values else None
    elif kind == "multi":
        values = _multi(param.get("values"))
    else:  # DRUM's "string" (and anything newer): DataRobot's "unicode", values never null
        kind, values = "unicode", []
    argument: dict[str, Any] = {"name": name, "type": kind, "values": values, "tunable": True}
    default = param.get("default")
    if isinstance(default, _SCALAR):
        argument["default"] = default
    elif fallback is not None:
        argument["default"] = fallback
    return {"key": ARGUMENT_PREFIX + name, "argument": argument}
