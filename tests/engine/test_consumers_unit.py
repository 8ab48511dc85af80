"""The pure half of consumers.py: which pins move, labels, policies, deletion blockers."""

from __future__ import annotations

from ctask_sync.datarobot.blueprints import parse_conflicts, repin, version_refs
from ctask_sync.engine.consumers import (
    BlueprintUse,
    blockers,
    follows,
    next_label,
    plan_updates,
)

from .test_plan import version


def step(task_id: str, ref: str, code: str = "CUSTOMR") -> dict[str, object]:
    return {
        "taskId": task_id,
        "taskData": {
            "taskCode": code,
            "inputs": ["NUM"],
            "outputMethod": "P",
            "taskParameters": [{"param": "version_id", "value": ref}, {"param": "x", "value": 1}],
        },
    }


def test_only_pinned_uses_are_updated_one_update_per_blueprint() -> None:
    uses = [
        BlueprintUse("bp2", "Two", "t1", None),
        BlueprintUse("bp1", "One", "t1", "v1", "1.0"),
        BlueprintUse("bp1", "One", "t1", "v2", "1.1"),
    ]
    (update,) = plan_updates(uses, "1.2")
    assert (update.blueprint_id, update.old_version_ids, update.old_labels) == (
        "bp1",
        ("v1", "v2"),
        ("1.0", "1.1"),
    )
    assert update.new_label == "1.2"


def test_repin_moves_only_the_named_versions() -> None:
    blueprint = (step("1", "v1"), step("2", "latest_t1"), step("3", "other-v9"))
    moved = repin(blueprint, frozenset({"v1"}), "v3")
    assert version_refs(moved) == [("1", "v3"), ("2", "latest_t1"), ("3", "other-v9")]
    assert version_refs(blueprint)[0] == ("1", "v1")  # the input is not changed
    assert moved[0]["taskData"]["taskParameters"][1] == {"param": "x", "value": 1}


def test_next_label_and_policies() -> None:
    latest = version(label="1.4")
    assert next_label(latest, major=False) == "1.5"
    assert next_label(latest, major=True) == "2.0"
    assert next_label(None, major=False) == "1.0"
    assert next_label(version(label="draft"), major=False) == "the new version"
    assert follows("follow", tag=None) and follows("releases", tag="v2.0.0")
    assert not follows("releases", tag=None) and not follows("leave", tag="v2.0.0")


def test_blockers_and_conflicts() -> None:
    uses = [BlueprintUse("bp1", "One", "t1", None), BlueprintUse("bp1", "One", "t1", "v1")]
    assert blockers(uses) == (("bp1", "One"),)
    body = {
        "message": "in use",
        "conflicts": [
            {"type": "userBlueprint", "url": "http://x/api/v2/userBlueprints/bp1/"},
            {"type": "model", "id": "m1", "url": None},
            "junk",
        ],
    }
    assert [(c.type, c.id) for c in parse_conflicts(body)] == [
        ("userBlueprint", "bp1"),
        ("model", "m1"),
    ]
    assert parse_conflicts("not json") == ()
