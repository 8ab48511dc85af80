"""ctask-sync: keep DataRobot custom tasks in step with folders in a git repository."""

from __future__ import annotations

__version__ = "0.1.0"
