"""The emulator's requirements.txt parser: DataRobot's contract, kept in one place.

The grammar lives in ctask_sync.datarobot.requirements so that `validate` (offline) and the
emulator (on version creation) accept and reject exactly the same lines."""

from __future__ import annotations

from ctask_sync.datarobot.requirements import ParsedRequirements, parse_requirements

__all__ = ["ParsedRequirements", "parse_requirements"]
