"""Is a loaded document surely valid against one of schemas/? A check that needs no jsonschema.

Importing jsonschema (attrs, referencing, the bundled metaschemas) takes 0.08-0.13 s, a fifth of
validating 200 new manifests in an initial sync (issue 17), and almost every manifest is valid.
So a valid document is recognised here, by a small reader of the keywords schemas/ uses, and
jsonschema runs only for a document this check does not accept: it finds and words the errors.

The check is one-sided. `surely_valid` is True only when jsonschema would report no error; it
may say False for a valid document (then jsonschema decides, and finds none). So wherever the
two could differ this module is stricter: enum members are compared by exact type, unique items
by a looser equality; only the keywords below are read, and a schema with any other keyword (a
`$ref`, an `if`, a `format`) is never checked here at all. tests/manifest/test_schemafast.py
holds it to jsonschema over generated documents.
"""

from __future__ import annotations

import functools
import re
from typing import Any

# Keywords that only annotate: jsonschema asserts nothing for them.
_ANNOTATIONS = frozenset(
    ("$schema", "$id", "$comment", "title", "description", "default", "examples", "deprecated")
)
# Keywords this module asserts exactly as jsonschema's Draft 2020-12 validator does.
_ASSERTED = frozenset(
    (
        "type",
        "enum",
        "minLength",
        "maxLength",
        "pattern",
        "minimum",
        "maximum",
        "required",
        "properties",
        "additionalProperties",
        "propertyNames",
        "items",
        "minItems",
        "maxItems",
        "uniqueItems",
        "oneOf",
    )
)
# Subschema-valued keywords, for the walk that looks for unknown keywords.
_SUBSCHEMA = ("additionalProperties", "propertyNames", "items")
_SCALARS = (str, int, float, bool, type(None))


def readable(schema: Any) -> bool:
    """True when every keyword anywhere in `schema` is one this module reads."""
    if isinstance(schema, bool):
        return True
    if not isinstance(schema, dict) or not set(schema) <= _ASSERTED | _ANNOTATIONS:
        return False
    if not all(readable(s) for s in schema.get("properties", {}).values()):
        return False
    if not all(readable(schema[k]) for k in _SUBSCHEMA if k in schema):
        return False
    if not all(readable(s) for s in schema.get("oneOf", [])):
        return False
    enum = schema.get("enum", [])
    return isinstance(enum, list) and all(isinstance(e, _SCALARS) for e in enum)


@functools.lru_cache(maxsize=64)
def _pattern(text: str) -> re.Pattern[str]:
    return re.compile(text)


def _is_type(value: Any, name: str) -> bool:
    # jsonschema: a bool is never a number, and 1.0 is an integer (stricter here: only an int)
    if name == "string":
        return isinstance(value, str)
    if name == "object":
        return isinstance(value, dict)
    if name == "array":
        return isinstance(value, list)
    if name == "boolean":
        return isinstance(value, bool)
    if name == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if name == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if name == "null":
        return value is None
    return False


def _same(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b


def valid(value: Any, schema: Any) -> bool:
    """`value` against a readable schema: True only if jsonschema finds no error."""
    if isinstance(schema, bool):
        return schema
    kind = schema.get("type")
    if kind is not None:
        kinds = kind if isinstance(kind, list) else [kind]
        if not any(_is_type(value, k) for k in kinds):
            return False
    if "enum" in schema and not any(_same(value, e) for e in schema["enum"]):
        return False
    if isinstance(value, str):
        return _valid_string(value, schema)
    if isinstance(value, dict):
        return _valid_object(value, schema) and _valid_one_of(value, schema)
    if isinstance(value, list):
        return _valid_array(value, schema) and _valid_one_of(value, schema)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            return False
        if "maximum" in schema and value > schema["maximum"]:
            return False
    elif not isinstance(value, (bool, type(None))):
        return False  # a date, bytes or any other YAML value: never JSON, let jsonschema say
    return _valid_one_of(value, schema)


def _valid_string(value: str, schema: dict[str, Any]) -> bool:
    if "minLength" in schema and len(value) < schema["minLength"]:
        return False
    if "maxLength" in schema and len(value) > schema["maxLength"]:
        return False
    if "pattern" in schema and not _pattern(schema["pattern"]).search(value):
        return False
    return _valid_one_of(value, schema)


def _valid_object(value: dict[Any, Any], schema: dict[str, Any]) -> bool:
    if not all(isinstance(key, str) for key in value):
        return False  # jsonschema would see keys JSON cannot have
    if not all(name in value for name in schema.get("required", ())):
        return False
    properties: dict[str, Any] = schema.get("properties", {})
    for name, item in value.items():
        sub = properties.get(name)
        if sub is None:
            sub = schema.get("additionalProperties", True)
        if not valid(item, sub):
            return False
    names = schema.get("propertyNames")
    return names is None or all(valid(name, names) for name in value)


def _valid_array(value: list[Any], schema: dict[str, Any]) -> bool:
    if "minItems" in schema and len(value) < schema["minItems"]:
        return False
    if "maxItems" in schema and len(value) > schema["maxItems"]:
        return False
    if schema.get("uniqueItems") is True:
        keys = [_loose_key(v) for v in value]
        if None in keys or len(set(keys)) != len(keys):
            return False
    items = schema.get("items")
    return items is None or all(valid(v, items) for v in value)


def _loose_key(value: Any) -> Any:
    """A key equal for any two values jsonschema's uniqueItems calls equal (and for some it
    does not: True and 1 here, so a list is called unique only when jsonschema agrees); None
    for a value that is not JSON."""
    if isinstance(value, str):
        return ("s", value)
    if value is None:
        return ("z",)
    if isinstance(value, (int, float)):
        return ("n", float(value))
    if isinstance(value, list):
        items = [_loose_key(v) for v in value]
        return None if None in items else ("l", tuple(items))
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        pairs = [(k, _loose_key(v)) for k, v in value.items()]
        return None if any(v is None for _, v in pairs) else ("d", frozenset(pairs))
    return None


def _valid_one_of(value: Any, schema: dict[str, Any]) -> bool:
    choices = schema.get("oneOf")
    return choices is None or sum(1 for s in choices if valid(value, s)) == 1


def surely_valid(value: Any, schema: dict[str, Any]) -> bool:
    """True only when jsonschema would find no error in `value`; False when unsure."""
    return readable(schema) and valid(value, schema)
