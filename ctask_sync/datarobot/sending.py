"""How one request to DataRobot is prepared and its answer read: as `Session.request` does it,
without the per-request work that is the same for every request of a run (issue 17)."""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any, TypeVar

import requests
from requests.cookies import RequestsCookieJar
from requests.structures import CaseInsensitiveDict

__all__ = ["BODY_BLOCK", "prepare", "read_body", "send_settings"]

_Setting = TypeVar("_Setting", bound=MutableMapping[str, Any])


def prepare(
    session: requests.Session,
    method: str,
    url: str,
    params: dict[str, Any] | None,
    json_body: dict[str, Any] | None,
    data: Any,
    headers: dict[str, str] | None,
) -> requests.PreparedRequest:
    """The request `session.request` would prepare, merged with the session's settings.

    Session.prepare_request merges each setting through requests' generic merge, whose
    runtime Protocol checks cost ~300 us a request (of ~1.6 ms; issue 17). The same merges,
    done directly: request headers and params over the session's, None values dropped; the
    session's auth, cookies and hooks. test_prepare.py holds them equal to requests' own."""
    merged_headers = CaseInsensitiveDict(session.headers)
    if headers:
        merged_headers.update(headers)
    # the session's params stay requests' empty default: nothing to merge them with
    merged_params = _without_none(dict(params)) if params else None
    # a copy, as requests sends each request its own jar (a redirect's cookies go to it)
    cookies = RequestsCookieJar()
    cookies.update(session.cookies)
    prepared = requests.PreparedRequest()
    prepared.prepare(
        method=method.upper(),
        url=url,
        headers=_without_none(merged_headers),
        data=data,
        params=merged_params,
        auth=session.auth,
        cookies=cookies,
        hooks=session.hooks,  # registered onto the request's own hooks, as requests does
        json=json_body,
    )
    return prepared


def send_settings(session: requests.Session, stream: bool) -> dict[str, Any]:
    """What `session.request` passes to `send`: the session's proxies, CA bundle and client
    certificate (the transport turned trust_env off once it had read the environment)."""
    return {
        "proxies": _without_none(dict(session.proxies)),
        "stream": stream,
        "verify": session.verify,
        "cert": session.cert,
    }


# requests reads a body it is not told to stream in 10 KiB blocks, each through urllib3's and
# http.client's Python layers: a 1,000-task page (3.9 MB) was ~390 reads and ~9 ms of CPU, against
# ~4 ms in 1 MiB blocks (11 pages a plan at 10,000 tasks).
BODY_BLOCK = 1024 * 1024


def read_body(response: requests.Response) -> None:
    """What Session.send does for a request not streamed (`response.content`, so the connection
    goes back to the pool), in BODY_BLOCK reads: iter_content raises what `content` would (a
    body cut short is requests' ChunkedEncodingError or ConnectionError, and is retried)."""
    if response.status_code == 0 or response.raw is None:
        return
    # iter_content marks the body consumed; `content` then gives what is kept here
    response._content = b"".join(response.iter_content(BODY_BLOCK)) or b""


def _without_none(settings: _Setting) -> _Setting:
    """The setting with its None values removed, as requests' merge of settings leaves it."""
    for key in [key for key, value in settings.items() if value is None]:
        del settings[key]
    return settings
