"""The JSON Schema: valid draft 2020-12, documented, shipped inside the package, and in step
with what `validate` accepts."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any, get_args

import pytest
from jsonschema import Draft202012Validator  # type: ignore[import-untyped]

from ctask_sync.engine.plan import TARGET_TYPES
from ctask_sync.manifest import vocabulary
from ctask_sync.manifest.schemacheck import load_schema

REPO = Path(__file__).resolve().parents[2]
CANONICAL = REPO / "schemas" / "ctask.schema.json"


def test_the_package_reads_the_published_file_itself() -> None:
    # No second copy: the installed package's data is schemas/ (setup.py maps it).
    assert load_schema() == json.loads(CANONICAL.read_text("utf-8"))
    assert not (REPO / "ctask_sync" / "schema").exists()


@pytest.mark.parametrize("prop", sorted(vocabulary.BY_PROPERTY))
def test_each_literal_spells_its_schema_enum(prop: str) -> None:
    assert list(get_args(vocabulary.BY_PROPERTY[prop])) == load_schema()["properties"][prop]["enum"]


def test_datarobot_spells_every_target_type() -> None:
    assert set(TARGET_TYPES) == set(get_args(vocabulary.TargetType))


def test_every_schema_enum_has_its_literal() -> None:
    enums = {name for name, sub in load_schema()["properties"].items() if "enum" in sub}
    assert enums == set(vocabulary.BY_PROPERTY)


def test_schema_is_valid_draft_2020_12() -> None:
    schema = json.loads(CANONICAL.read_text("utf-8"))
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)
    assert load_schema() == schema


def _properties(node: Any, where: str) -> list[tuple[str, Any]]:
    found = []
    if isinstance(node, dict):
        for name, sub in node.get("properties", {}).items():
            found.append((f"{where}.{name}", sub))
            found.extend(_properties(sub, f"{where}.{name}"))
    return found


def test_every_property_has_a_description_for_editors() -> None:
    schema = load_schema()
    props = _properties(schema, "$")
    assert len(props) >= 15
    missing = [name for name, sub in props if not sub.get("description")]
    assert missing == []


def test_examples_pass_check_jsonschema() -> None:
    # An independent validator (the one editors and pre-commit use) agrees with ours.
    manifests = sorted(str(p) for p in (REPO / "examples").glob("*/ctask.yaml"))
    assert len(manifests) == 3
    done = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--schemafile", str(CANONICAL), *manifests],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_examples_point_editors_at_the_schema() -> None:
    for manifest in (REPO / "examples").glob("*/ctask.yaml"):
        first = manifest.read_text("utf-8").splitlines()[0]
        assert first == "# yaml-language-server: $schema=../../schemas/ctask.schema.json"
        target = (manifest.parent / "../../schemas/ctask.schema.json").resolve()
        assert target == CANONICAL
