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


def redact_data(data: object) -> object:
    """data (JSON-ready: dicts, lists, strings) with every secret in its strings and keys hidden,
    before json.dumps can escape a secret's `"` or `\\` into a form redact() would miss."""
    if isinstance(data, str):
        return redact(data)
    if isinstance(data, dict):
        return {redact_data(k): redact_data(v) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [redact_data(v) for v in data]
    return data
