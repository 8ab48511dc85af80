"""Where requests go and with what: the endpoint and token checked before any request, URLs
joined to the endpoint, the token's Authorization header (never shown), and the endpoint as it
may be shown (its credentials hidden)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

import requests
from requests.auth import AuthBase

from ctask_sync.errors import ConfigError

__all__ = [
    "TokenAuth",
    "check_endpoint",
    "check_token",
    "join_url",
    "normalise_endpoint",
    "password_of",
    "shown_url",
    "site_url",
]

HIDDEN = "<hidden>"
# scheme:// then the authority's userinfo: up to the last @ before the path, query or fragment
_USERINFO = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://)[^/?#]*@")


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
            f"the DataRobot endpoint {shown_url(normalised)!r} is not a valid http(s) URL",
            hint="set --endpoint / DATAROBOT_ENDPOINT to e.g. https://app.datarobot.com/api/v2",
        )
    if "?" in normalised or "#" in normalised:
        # API paths are joined after it, so a query would end up inside every path (404s)
        raise ConfigError(
            f"the DataRobot endpoint {shown_url(normalised)!r} has a query or fragment",
            hint="remove everything from '?' or '#': the token goes in DATAROBOT_API_TOKEN, "
            "e.g. DATAROBOT_ENDPOINT=https://app.datarobot.com/api/v2",
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


def shown_url(url: str) -> str:
    """The URL as it may be printed or stored: `user:password@` becomes `<hidden>@`, every query
    value and the fragment `<hidden>`. Requests keep the real URL (shown_url never goes there).

    Pure text work, no parsing that can fail: it also hides what an invalid URL holds."""
    shown = _USERINFO.sub(rf"\1{HIDDEN}@", url, count=1)
    before_fragment, hash_mark, fragment = shown.partition("#")
    base, question_mark, query = before_fragment.partition("?")
    if question_mark:
        base += "?" + "&".join(_hidden_value(item) for item in query.split("&"))
    if hash_mark:
        base += "#" + (HIDDEN if fragment else "")
    return base


def _hidden_value(item: str) -> str:
    """`name=value` -> `name=<hidden>`; a bare item may itself be a key, so all of it."""
    if not item:
        return item
    name, equals, _value = item.partition("=")
    return f"{name}={HIDDEN}" if equals else HIDDEN


def site_url(endpoint: str) -> str:
    """DataRobot's web address from its API endpoint (`https://u:p@x/api/v2?k=v` ->
    `https://x`): what links to its pages start with, never carrying credentials."""
    parts = urlsplit(normalise_endpoint(endpoint))
    host = parts.netloc.rpartition("@")[2]
    path = parts.path.rstrip("/").removesuffix("/api/v2")
    return urlunsplit((parts.scheme, host, path, "", ""))


def password_of(endpoint: str) -> str:
    """The secret in the endpoint's userinfo ("" when none), for the action to mask: the password
    of `user:password@`, or all of `key@` (a key alone in the user's place). It is not the API
    token, so nothing else knows to hide it."""
    try:
        userinfo = urlsplit(endpoint.strip()).netloc.rpartition("@")[0]
    except ValueError:  # an invalid URL: the run fails on it, shown through shown_url
        return ""
    user, colon, password = userinfo.partition(":")
    return password if colon else user
