"""The saved plan's fingerprint of a task's manifest settings digests them as plain values:
TaskSpec and ShareEntry are msgspec Structs and EnvironmentRef a dataclass, and each nests
as a dict, as dataclasses.asdict nested them when all three were dataclasses."""

from __future__ import annotations

from pathlib import Path

import pytest

from ctask_sync.engine.saved_plan import _digest, local_fingerprint
from ctask_sync.engine.steps import TaskPlan
from ctask_sync.manifest.files import FileEntry, content_digest
from ctask_sync.manifest.spec import EnvironmentRef, ShareEntry, TaskSpec

SHARE = (ShareEntry("ann", "USER"), ShareEntry("bob", "OWNER", can_share=False))


@pytest.mark.parametrize("share", [None, SHARE])
def test_the_manifest_fingerprint_digests_the_settings_as_nested_dicts(
    share: tuple[ShareEntry, ...] | None,
) -> None:
    spec = TaskSpec(
        key="a/b",
        name="B",
        target_type="binary",
        language="python",
        description="d",
        environment=EnvironmentRef(id="e1", where="a/ctask.yaml:3:5"),
        maximum_memory=4096,
        outbound_network_policy="PUBLIC",
        required_metadata={"k": "v"},
        dependency_build="auto",
        folder=Path("/r/a"),
        manifest_path=Path("/r/a/ctask.yaml"),
        files=(FileEntry("custom.py", "/r/a/custom.py", 3, "sha256:" + "1" * 64),),
        share=share,
    )
    settings = {
        "key": "a/b",
        "name": "B",
        "target_type": "binary",
        "language": "python",
        "description": "d",
        "environment": {"id": "e1", "name": None, "version_id": None, "where": "a/ctask.yaml:3:5"},
        "maximum_memory": 4096,
        "outbound_network_policy": "PUBLIC",
        "required_metadata": {"k": "v"},
        "dependency_build": "auto",
        "adopt": None,
        "blueprints": "leave",
        "share": None
        if share is None
        else [
            {"username": "ann", "role": "USER", "can_share": True},
            {"username": "bob", "role": "OWNER", "can_share": False},
        ],
    }

    found = local_fingerprint(TaskPlan(key="a/b", name="B", spec=spec))

    assert found == {"content": content_digest(spec.files), "manifest": _digest(settings)}
    # and the digest moves with any setting (the shape above is what was digested)
    assert _digest({**settings, "description": "e"}) != found["manifest"]
