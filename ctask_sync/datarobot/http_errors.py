"""Read failures: DataRobot's own error message from a response, and what a requests
exception really was (refused before sending, or lost after), told in a few words."""

from __future__ import annotations

import json
import ssl
from collections.abc import Iterator
from typing import Any

import requests
import urllib3.exceptions


def _exception_chain(exc: BaseException) -> Iterator[BaseException]:
    """The exception and everything it wraps (args, urllib3 `reason`, causes), each once."""
    seen: set[int] = set()
    pending: list[BaseException] = [exc]
    while pending:
        current = pending.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        nested = [arg for arg in current.args if isinstance(arg, BaseException)]
        reason = getattr(current, "reason", None)
        if isinstance(reason, BaseException):
            nested.append(reason)
        for linked in (current.__cause__, current.__context__):
            if linked is not None:
                nested.append(linked)
        pending.extend(nested)


def is_connect_error(exc: BaseException) -> bool:
    """Whether the connection failed before any byte of the request was sent."""
    connect_kinds = (
        requests.exceptions.ConnectTimeout,
        urllib3.exceptions.NewConnectionError,  # includes NameResolutionError
        urllib3.exceptions.ConnectTimeoutError,
    )
    return any(isinstance(e, connect_kinds) for e in _exception_chain(exc))


def describe_exception(exc: BaseException) -> str:
    """A short human reason (`Connection refused`) instead of urllib3's nested repr."""
    for inner in _exception_chain(exc):
        if isinstance(inner, ssl.SSLCertVerificationError) and inner.verify_message:
            return f"certificate verify failed: {inner.verify_message}"
    for inner in _exception_chain(exc):
        if isinstance(inner, OSError) and inner.strerror:
            return str(inner.strerror)
    for inner in _exception_chain(exc):
        if isinstance(inner, urllib3.exceptions.ProtocolError) and len(inner.args) > 1:
            return str(inner.args[1])
    text = str(exc)
    return text[:300] if text else type(exc).__name__


def error_body(response: requests.Response) -> dict[str, Any] | None:
    """The JSON object of an error answer, if it is one (a 409 links to its conflicts)."""
    try:
        payload = response.json()
    except (ValueError, RecursionError):  # RecursionError: JSON nested too deeply
        return None
    return payload if isinstance(payload, dict) else None


def error_message(response: requests.Response) -> str:
    """DataRobot's own error message: JSON `message` (plus `errors`), else the start of the text."""
    message = ""
    try:
        payload = response.json()
    except (ValueError, RecursionError):  # RecursionError: JSON nested too deeply
        payload = None
    if isinstance(payload, dict):
        raw = payload.get("message")
        if isinstance(raw, str):
            message = raw
        elif raw is not None:
            message = json.dumps(raw)
        details = payload.get("errors")
        if details:
            detail_text = json.dumps(details, sort_keys=True)
            message = f"{message} (errors: {detail_text[:500]})" if message else detail_text[:500]
    if not message:
        message = response.text[:300].strip() if response.text else ""
    if not message:
        message = response.reason or "no message"
    request_id = response.headers.get("X-DataRobot-Request-ID") or response.headers.get(
        "x-request-id"
    )
    if response.status_code >= 500 and request_id:
        message += f" (request id {request_id})"
    return message
