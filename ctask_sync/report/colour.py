"""Colour on a terminal: the plan's symbols (+ green, ~ yellow, - red, ! bold red), and the
conventions that switch it (https://no-color.org, FORCE_COLOR, --no-color)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TextIO

_RESET = "\033[0m"
_CODES = {"+": "32", "~": "33", "-": "31", "!": "1;31"}


def wanted(stream: TextIO, *, no_color: bool = False, env: Mapping[str, str] | None = None) -> bool:
    """Whether to colour what goes to stream: --no-color and NO_COLOR (any non-empty value) win,
    then FORCE_COLOR (non-empty, not 0); otherwise only on a terminal that is not `dumb`."""
    environ = os.environ if env is None else env
    if no_color or environ.get("NO_COLOR"):
        return False
    force = environ.get("FORCE_COLOR")
    if force is not None and force not in ("", "0"):
        return True
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty()) and environ.get("TERM") != "dumb"


def paint(symbol: str, text: str, on: bool) -> str:
    """text in the colour of the plan symbol, when colour is on and the symbol has one."""
    code = _CODES.get(symbol)
    return f"\033[{code}m{text}{_RESET}" if on and code else text
