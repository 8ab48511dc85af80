"""DataRobot's JSON answers read into typed values: a shape the REST contract does not promise
becomes an ApiError naming the request, never a KeyError or a traceback."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

import msgspec

from ctask_sync.datarobot import paging
from ctask_sync.datarobot.models import Unexpected
from ctask_sync.errors import ApiError

_T = TypeVar("_T")


class TooDeep(ValueError):
    """JSON nested deeper than a decoder recurses: JSON, but no answer the contract promises."""


def decode_json(body: bytes) -> Any:
    """DataRobot's JSON: msgspec first (1.5-2x the standard library's speed), else the standard
    library, which also takes the NaN and Infinity msgspec refuses. Raises ValueError for what
    neither reads."""
    try:
        return _DECODE(body)
    except msgspec.DecodeError:
        pass
    except RecursionError:
        raise TooDeep("its JSON is nested too deeply to read") from None
    try:
        return json.loads(body)
    except RecursionError:
        raise TooDeep("its JSON is nested too deeply to read") from None


_DECODE = msgspec.json.Decoder().decode


def read_answer(method: str, shown: str, status: int, parse: Callable[[Any], _T], raw: Any) -> _T:
    """Parse DataRobot's JSON; a shape the contract does not promise becomes an ApiError."""
    try:
        return parse(raw)
    except (Unexpected, KeyError, TypeError, ValueError) as error:
        raise unexpected_shape(method, shown, status, error) from None


def not_json(method: str, shown: str, status: int, content_type: str, snippet: str) -> ApiError:
    """An answer that is not JSON (snippet: its start, already redacted)."""
    return ApiError(
        method,
        shown,
        status,
        f"expected JSON, got {content_type}: {snippet!r}",
        hint="check that the endpoint is DataRobot's API (it normally ends in /api/v2)",
    )


def unexpected_shape(method: str, shown: str, status: int, error: Exception) -> ApiError:
    return ApiError(
        method,
        shown,
        status,
        f"unexpected response from DataRobot: {error}",
        hint="this DataRobot version answers differently than ctask-sync expects; "
        "please report it with this message",
    )


def read_page(shown: str, parse: Callable[[Any], _T], raw: dict[str, Any]) -> paging.Page[_T]:
    """A page of a list with its entries parsed; an entry of a shape the contract does not
    promise is kept as the ApiError `read_answer` gives, for the caller to raise in list order."""
    shape = paging.Page.shape(raw)
    try:
        items = [parse(entry) for entry in raw["data"]]
    except (Unexpected, KeyError, TypeError, ValueError) as error:
        failed = unexpected_shape("GET", shown, 200, error)
        return paging.Page(shape.total, shape.next, shape.count, error=failed)
    return paging.Page(shape.total, shape.next, shape.count, items)
