"""The manifest's enumerations as types, so mypy checks every use of a value.

Each Literal spells exactly the `enum` of its property in schemas/ctask.schema.json, the one
place the values are defined; tests/manifest/test_schema.py fails when the two differ."""

from __future__ import annotations

from typing import Literal

TargetType = Literal["binary", "regression", "multiclass", "anomaly", "transform"]
Language = Literal["python", "r", "other"]
NetworkPolicy = Literal["ISOLATED", "PUBLIC"]
DependencyBuild = Literal["auto", "always", "never"]
Blueprints = Literal["leave", "follow", "releases"]

# schema property -> its Literal, for the test that keeps them equal
BY_PROPERTY = {
    "target_type": TargetType,
    "language": Language,
    "outbound_network_policy": NetworkPolicy,
    "dependency_build": DependencyBuild,
    "blueprints": Blueprints,
}
