"""Load a YAML document into plain values plus the line/column of every key and value.

PyYAML's `compose` keeps positions (start_mark) that `safe_load` throws away; walking the node
tree ourselves also lets us reject what safe_load accepts silently: duplicate keys in one
mapping, and aliases (which no manifest needs and which can blow up in size). The walk is in
yamlcompose.py, imported on the first `load`: a plan whose manifests all come from the task cache
(and with no ctask-sync.yaml) never needs PyYAML, ~30 ms of the CLI's start-up.
"""

from __future__ import annotations

from typing import Any

import msgspec

Path_ = tuple[str | int, ...]

# A manifest needs four levels and a model-metadata.yaml typeSchema a few more; PyYAML composes
# nodes recursively, so a hostile file nested thousands deep would exhaust Python's stack.
MAX_DEPTH = 100


# gc=False: two numbers, never a cycle.
class Pos(msgspec.Struct, frozen=True, gc=False):
    """1-based line and column."""

    line: int
    column: int


class YamlProblem(Exception):
    """A document that cannot be turned into values; `pos` is where, when known."""

    def __init__(self, message: str, pos: Pos | None) -> None:
        super().__init__(message)
        self.message = message
        self.pos = pos


class Document(msgspec.Struct):
    """The loaded value and where each part of it is in the file."""

    value: Any
    # path -> position of the value, and of its mapping key
    values: dict[Path_, Pos] = msgspec.field(default_factory=dict)
    keys: dict[Path_, Pos] = msgspec.field(default_factory=dict)
    problems: list[YamlProblem] = msgspec.field(default_factory=list)  # e.g. duplicate keys
    bad_values: set[Path_] = msgspec.field(default_factory=set)  # values that could not be read

    def pos(self, path: Path_) -> Pos | None:
        """Position of the value at `path`, or of its nearest parent that has one."""
        while True:
            if path in self.values:
                return self.values[path]
            if not path:
                return None
            path = path[:-1]

    def key_pos(self, path: Path_) -> Pos | None:
        """Position of the key naming `path` (falls back to the value's position)."""
        return self.keys.get(path) or self.pos(path)


def load(text: str) -> Document:
    """Compose `text` (one YAML document) and convert it; raise YamlProblem on bad syntax."""
    from ctask_sync.manifest import yamlcompose  # (start-up) PyYAML, on the first manifest read

    return yamlcompose.load(text)
