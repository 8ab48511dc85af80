"""Where requests go and with what: the endpoint and token checked before any request, URLs
joined to the endpoint, and the token's Authorization header (never shown)."""

from __future__ import annotations

from urllib.parse import urlsplit

import requests
from requests.auth import AuthBase

from ctask_sync.errors import ConfigError

__all__ = ["TokenAuth", "check_endpoint", "check_token", "join_url", "normalise_endpoint"]


class TokenAuth(AuthBase):
    """`Authorization: Token …` set per request; also keeps ~/.netrc from overriding it."""

    def __init__(self, token: str) -> None:
        self._token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Token {self._token}"
        return request

    def __repr__(self) -> str:
        return "TokenAuth(token=<hidden>)"


def normalise_endpoint(endpoint: str) -> str:
    """The endpoint without trailing slashes (`https://x/api/v2/` -> `https://x/api/v2`)."""
    return endpoint.strip().rstrip("/")


def check_endpoint(endpoint: str) -> str:
    """The normalised endpoint; ConfigError unless it is an http(s) URL with a host."""
    normalised = normalise_endpoint(endpoint)
    try:
        parts = urlsplit(normalised)
        host = parts.hostname or ""
        valid = parts.scheme in ("http", "https") and bool(host)
        # an empty label ("a..b") only fails later, deep in urllib3, while connecting
        if valid and not host.startswith("["):
            valid = "" not in host.removesuffix(".").split(".")
    except ValueError:  # e.g. an unclosed IPv6 bracket
        valid = False
    if not valid:
        raise ConfigError(
            f"the DataRobot endpoint {normalised!r} is not a valid http(s) URL",
            hint="set --endpoint / DATAROBOT_ENDPOINT to e.g. https://app.datarobot.com/api/v2",
        )
    return normalised


def check_token(token: str) -> str:
    """The token without surrounding whitespace (a secret pasted with its newline still works).

    ConfigError if it is empty or has inner whitespace or control characters, which HTTP
    headers cannot carry; the message never shows the token."""
    stripped = token.strip()
    if not stripped:
        raise ConfigError("the DataRobot API token is empty", hint="set DATAROBOT_API_TOKEN")
    if any(char.isspace() or ord(char) < 32 or ord(char) == 127 for char in stripped):
        raise ConfigError(
            "the DataRobot API token contains spaces or control characters",
            hint="copy the API key again from DataRobot's Developer Tools page into "
            "DATAROBOT_API_TOKEN",
        )
    return stripped


def join_url(endpoint: str, path: str) -> str:
    """Join a relative API path to the endpoint; absolute http(s) URLs (paging) pass through."""
    if path.startswith(("http://", "https://")):
        return path
    if path.startswith("/"):
        raise ValueError(f"API paths are relative to the endpoint, got {path!r}")
    return f"{normalise_endpoint(endpoint)}/{path}"
