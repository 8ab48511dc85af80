"""schemafast says "valid" only when jsonschema agrees, and says it for the manifests users write
(so the fast path is taken); jsonschema is imported only for a document it does not accept."""

from __future__ import annotations

import datetime
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator  # type: ignore[import-untyped]

from ctask_sync.manifest import schemafast
from ctask_sync.manifest.schemacheck import ROOT_SCHEMA_RESOURCE, SCHEMA_RESOURCE, load_schema

SCHEMAS = {name: load_schema(name) for name in (SCHEMA_RESOURCE, ROOT_SCHEMA_RESOURCE)}
VALIDATORS = {name: Draft202012Validator(schema) for name, schema in SCHEMAS.items()}
HEX24 = "0123456789abcdef" * 2

# Values near every keyword's edge: the types YAML gives, strings that pass or fail the patterns
# (spaces, slashes, control characters, 23 or 24 hex digits), lengths on both sides of a limit.
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.integers(),
    st.floats(allow_nan=True),
    st.just(1.0),
    st.sampled_from(
        [
            "",
            " ",
            "a",
            "a b",
            " a",
            "a/b",
            "/a",
            "a\x01",
            "\t",
            "x" * 200,
            "x" * 201,
            "x" * 255,
            "x" * 256,
            HEX24[:24],
            HEX24[:23],
            HEX24[:24].upper(),
            "2Gi",
            "512M",
            "1.5 G",
            "12",
            "G",
            "python",
            "r",
            "Python",
            "binary",
            "transform",
            "ISOLATED",
            "PUBLIC",
            "auto",
            "never",
            "follow",
            "leave",
            "OWNER",
            "CONSUMER",
            "alice",
        ]
    ),
    st.text(max_size=6),
    st.dates(),
    st.binary(max_size=3),
)
KEYS = st.sampled_from(
    [
        "key",
        "adopt",
        "name",
        "target_type",
        "language",
        "description",
        "environment",
        "id",
        "version_id",
        "files",
        "include",
        "exclude",
        "maximum_memory",
        "outbound_network_policy",
        "required_metadata",
        "dependency_build",
        "blueprints",
        "share",
        "username",
        "role",
        "can_share",
        "namespace",
        "",
        "other",
    ]
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(KEYS, inner, max_size=5),
    ),
    max_leaves=12,
)


def mostly(valid: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """A valid value four times in five, anything at all otherwise: whole manifests are then
    often valid, or invalid in one field."""
    return st.one_of(valid, valid, valid, valid, VALUES)


def _share() -> st.SearchStrategy[Any]:
    entry = st.fixed_dictionaries(
        {
            "username": mostly(st.sampled_from(["alice", "bob", " ", ""])),
            "role": mostly(st.sampled_from(["USER", "OWNER"])),
        },
        optional={"can_share": mostly(st.booleans())},
    )
    return st.lists(entry, max_size=3)


# Manifests close to valid: each field valid most of the time, anything at all otherwise.
MANIFESTS = st.fixed_dictionaries(
    {
        "name": mostly(st.sampled_from(["Fraud model", "x", ""])),
        "target_type": mostly(st.sampled_from(["binary", "transform"])),
        "language": mostly(st.sampled_from(["python", "r"])),
        "environment": mostly(
            st.fixed_dictionaries(
                {},
                optional={
                    "id": mostly(st.just(HEX24[:24])),
                    "name": mostly(st.just("[DataRobot] Python 3.12")),
                    "version_id": mostly(st.just(HEX24[:24])),
                },
            )
        ),
    },
    optional={
        "key": mostly(st.sampled_from(["tasks/a", "a b", "a/"])),
        "adopt": mostly(st.just(HEX24[:24])),
        "description": mostly(st.text(max_size=5)),
        "files": mostly(
            st.fixed_dictionaries(
                {},
                optional={
                    "include": mostly(st.lists(st.sampled_from(["*.py", "", "a"]), max_size=3)),
                    "exclude": mostly(st.lists(st.sampled_from(["*.md", ""]), max_size=3)),
                },
            )
        ),
        "maximum_memory": mostly(st.sampled_from([1, 0, -1, "2Gi", "2 Gi", "G", True])),
        "outbound_network_policy": mostly(st.sampled_from(["PUBLIC", "public"])),
        "required_metadata": mostly(
            st.dictionaries(st.sampled_from(["A", "", "B"]), mostly(st.just("v")), max_size=3)
        ),
        "dependency_build": mostly(st.sampled_from(["auto", "always", "never"])),
        "blueprints": mostly(st.sampled_from(["leave", "follow", "releases"])),
        "share": mostly(_share()),
    },
)


def _jsonschema_valid(value: Any, name: str) -> bool:
    return not list(VALIDATORS[name].iter_errors(value))


def _json_only(value: Any) -> bool:
    """No value whose validity the fast check leaves to jsonschema on purpose."""
    if isinstance(value, (datetime.date, bytes)):
        return False  # not JSON: where a schema allows any value, only jsonschema says
    if isinstance(value, list):
        return all(_json_only(v) for v in value)
    if isinstance(value, dict):
        return all(_json_only(v) for v in value.values())
    return True


def _unique_by_type(value: Any) -> bool:
    """A share list without entries jsonschema tells apart and the fast check does not
    (True against 1 in the same field)."""
    if isinstance(value, dict):
        return all(_unique_by_type(v) for v in value.values())
    if isinstance(value, list):
        return all(_unique_by_type(v) for v in value)
    return not isinstance(value, bool)


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_the_shipped_schemas_are_read_by_the_fast_check(name: str) -> None:
    assert schemafast.readable(SCHEMAS[name])


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=VALUES, name=st.sampled_from(sorted(SCHEMAS)))
def test_any_value_it_calls_valid_jsonschema_calls_valid(value: Any, name: str) -> None:
    if schemafast.surely_valid(value, SCHEMAS[name]):
        assert _jsonschema_valid(value, name)


@settings(max_examples=700, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(manifest=MANIFESTS)
def test_on_manifests_it_agrees_with_jsonschema(manifest: dict[str, Any]) -> None:
    fast = schemafast.surely_valid(manifest, SCHEMAS[SCHEMA_RESOURCE])
    slow = _jsonschema_valid(manifest, SCHEMA_RESOURCE)
    if fast:
        assert slow
    elif _json_only(manifest) and _unique_by_type(manifest.get("share")):
        # without the values left to jsonschema on purpose, "unsure" means invalid
        assert not slow


@settings(max_examples=150, deadline=None)
@given(namespace=VALUES, extra=st.none() | VALUES)
def test_on_root_configs_it_agrees_with_jsonschema(namespace: Any, extra: Any) -> None:
    config = {"namespace": namespace} if extra is None else {"namespace": namespace, "x": extra}
    fast = schemafast.surely_valid(config, SCHEMAS[ROOT_SCHEMA_RESOURCE])
    slow = _jsonschema_valid(config, ROOT_SCHEMA_RESOURCE)
    assert fast == slow or (not fast and not _json_only(config))


def test_a_valid_manifest_with_every_field_is_accepted() -> None:
    manifest = {
        "key": "tasks/fraud",
        "adopt": HEX24[:24],
        "name": "Fraud",
        "target_type": "binary",
        "language": "python",
        "description": "d",
        "environment": {"name": "[DataRobot] Python 3.12", "version_id": HEX24[:24]},
        "files": {"include": ["*.py"], "exclude": ["*.md"]},
        "maximum_memory": "2Gi",
        "outbound_network_policy": "PUBLIC",
        "required_metadata": {"A": "b"},
        "dependency_build": "never",
        "blueprints": "follow",
        "share": [{"username": "alice", "role": "USER"}, {"username": "bob", "role": "OWNER"}],
    }
    assert _jsonschema_valid(manifest, SCHEMA_RESOURCE)
    assert schemafast.surely_valid(manifest, SCHEMAS[SCHEMA_RESOURCE])
    manifest["share"] = [{"username": "alice", "role": "USER"}] * 2  # not unique
    assert not schemafast.surely_valid(manifest, SCHEMAS[SCHEMA_RESOURCE])
    assert not _jsonschema_valid(manifest, SCHEMA_RESOURCE)


# Where jsonschema's equality and types are subtle: (schema, value, the fast check's answer,
# jsonschema's). The fast check may be unsure (False) where jsonschema says valid, never the
# other way round.
EDGES: list[tuple[dict[str, Any], Any, bool, bool]] = [
    ({"enum": [1]}, True, False, False),  # True is not 1 to jsonschema
    ({"enum": [1]}, 1.0, False, True),  # equal to jsonschema; left to it here
    ({"enum": ["a"]}, "a", True, True),
    ({"type": "integer"}, 1.0, False, True),  # an integer to jsonschema; left to it here
    ({"type": "integer"}, True, False, False),
    ({"type": "number"}, False, False, False),
    ({"type": ["integer", "string"], "minimum": 1}, "0", True, True),  # minimum: numbers only
    ({"type": ["integer", "string"], "pattern": "^a$"}, 5, True, True),  # pattern: strings only
    ({"minimum": 1}, True, True, True),  # a bool is no number: no minimum applies
    ({"uniqueItems": True}, [1, True], False, True),  # unique to jsonschema; left to it here
    ({"uniqueItems": True}, [1, 1.0], False, False),
    ({"uniqueItems": True}, [{"a": 1}, {"a": 1.0}], False, False),
    ({"uniqueItems": True}, [{"a": 1}, {"a": 2}], True, True),
    ({"oneOf": [{"required": ["a"]}, {"required": ["b"]}]}, {"a": 1, "b": 2}, False, False),
    ({"oneOf": [{"required": ["a"]}, {"required": ["b"]}]}, {"a": 1}, True, True),
    ({"propertyNames": {"minLength": 1}}, {"": 1}, False, False),
    ({"additionalProperties": {"type": "string"}}, {"a": 1}, False, False),
    ({"maxItems": 1}, [1, 2], False, False),
    ({"type": "string"}, datetime.date(2026, 1, 1), False, False),
]


@pytest.mark.parametrize(("schema", "value", "fast", "slow"), EDGES)
def test_edges_of_jsonschema_s_semantics(
    schema: dict[str, Any], value: Any, fast: bool, slow: bool
) -> None:
    assert schemafast.surely_valid(value, schema) == fast
    assert (not list(Draft202012Validator(schema).iter_errors(value))) == slow


@pytest.mark.parametrize(
    "schema",
    [
        {"$ref": "#/$defs/x"},
        {"properties": {"a": {"format": "email"}}},
        {"items": {"if": {"type": "string"}}},
        {"oneOf": [{"const": 1}]},
        {"enum": [[1]]},
        {"additionalProperties": {"patternProperties": {}}},
    ],
)
def test_a_schema_with_a_keyword_it_does_not_read_is_never_checked_by_it(
    schema: dict[str, Any],
) -> None:
    assert not schemafast.readable(schema)
    assert not schemafast.surely_valid({"a": 1}, schema)


def _imports_jsonschema(tmp_path: Path, manifest: str) -> tuple[bool, str]:
    (tmp_path / "ctask.yaml").write_text(manifest, encoding="utf-8")
    code = (
        "import sys; from ctask_sync.manifest import schemacheck, yamlpos\n"
        f"doc = yamlpos.load(open({str(tmp_path / 'ctask.yaml')!r}).read())\n"
        "print([p.message for p in schemacheck.check(doc)])\n"
        "print('jsonschema' in sys.modules)"
    )
    run = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    problems, imported = run.stdout.splitlines()
    return imported == "True", problems


VALID = "name: A\ntarget_type: binary\nlanguage: python\nenvironment: {name: E}\n"


def test_a_valid_manifest_is_checked_without_importing_jsonschema(tmp_path: Path) -> None:
    imported, problems = _imports_jsonschema(tmp_path, VALID)
    assert (imported, problems) == (False, "[]")


def test_an_invalid_manifest_still_gets_jsonschema_s_worded_errors(tmp_path: Path) -> None:
    imported, problems = _imports_jsonschema(tmp_path, VALID.replace("binary", "binray"))
    assert imported
    assert "target_type" in problems and "binary" in problems
