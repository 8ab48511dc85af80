"""Keep the API token out of every message: the last guard before text leaves the process."""

from __future__ import annotations

import os

_TOKEN_VARIABLES = ("DATAROBOT_API_TOKEN", "INPUT_API_TOKEN", "GITHUB_TOKEN", "INPUT_GITHUB_TOKEN")


def secrets() -> list[str]:
    """The secrets this process knows of, longest first (so overlaps are fully hidden)."""
    found = {os.environ.get(name, "") for name in _TOKEN_VARIABLES}
    return sorted((s for s in found if len(s) >= 4), key=len, reverse=True)


def redact(text: str) -> str:
    """Replace every known secret in text with <hidden>."""
    for secret in secrets():
        text = text.replace(secret, "<hidden>")
    return text
