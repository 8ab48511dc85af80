"""Issue 11: `ctask-sync.yaml`, the sync root's config: its schema is shipped with the package,
the examples' root passes an independent validator, and bad configs read like bad manifests."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ctask_sync.errors import ManifestError
from ctask_sync.manifest.rootconfig import find_root
from ctask_sync.manifest.schemacheck import ROOT_SCHEMA_RESOURCE, load_schema

REPO = Path(__file__).resolve().parents[2]
CANONICAL = REPO / "schemas" / "ctask-sync.schema.json"


def test_the_package_loads_the_published_file() -> None:
    # no second copy: schemas/ is the package data (setup.py maps it to ctask_sync.schemas)
    assert load_schema(ROOT_SCHEMA_RESOURCE) == json.loads(CANONICAL.read_text("utf-8"))
    assert load_schema(ROOT_SCHEMA_RESOURCE)["required"] == ["namespace"]


def test_the_examples_root_passes_check_jsonschema() -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "check_jsonschema",
            "--schemafile",
            str(CANONICAL),
            str(REPO / "examples" / "ctask-sync.yaml"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("namespace: acme/tasks\nnamspace: x\n", ":2:1: error: unknown key 'namspace'"),
        ("namespace: /acme\n", ":1:12: error: namespace: '/acme' is not a valid namespace"),
        ("team: a\n", ":1:1: error: ctask-sync.yaml is missing the required key 'namespace'"),
        ("namespace: 12\n", ":1:12: error: namespace: expected a string, got an integer (12)"),
        ("- a\n", ": error: ctask-sync.yaml must be a mapping"),
    ],
)
def test_a_bad_root_config_names_file_line_and_column(
    tmp_path: Path, text: str, message: str
) -> None:
    (tmp_path / "ctask-sync.yaml").write_text(text, "utf-8")
    (tmp_path / "sub").mkdir()
    with pytest.raises(ManifestError) as caught:
        find_root(tmp_path / "sub")
    assert f"\n{tmp_path}/ctask-sync.yaml{message}" in str(caught.value)


def test_the_root_is_the_nearest_config_else_the_path(tmp_path: Path) -> None:
    (tmp_path / "team" / "tasks").mkdir(parents=True)
    (tmp_path / "team" / "ctask-sync.yaml").write_text("namespace: acme/team\n", "utf-8")
    root = find_root(tmp_path / "team" / "tasks")
    assert (root.folder, root.namespace) == (tmp_path / "team", "acme/team")
    (tmp_path / "plain").mkdir()
    lonely = find_root(tmp_path / "plain")  # outside git, no config above: PATH itself
    assert (lonely.folder, lonely.config_file) == (tmp_path / "plain", None)
