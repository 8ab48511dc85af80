"""--target KEY: the keys a run is limited to, checked against the keys that exist."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from ctask_sync.errors import ConfigError


def check_targets(targets: Iterable[str], known: set[str]) -> None:
    """Refuse a target that is no key of the repository or of DataRobot's owned tasks, naming
    the closest keys (a typo must not silently plan nothing)."""
    unknown = [t for t in targets if t not in known]
    if not unknown:
        return
    lines = []
    for target in unknown:
        close = difflib.get_close_matches(target, sorted(known), n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        lines.append(f"--target {target}: no task has this key{hint}")
    raise ConfigError(
        "\n".join(lines), hint="keys are the `key:` of each ctask.yaml (default: its folder path)"
    )
