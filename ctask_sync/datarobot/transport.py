"""HTTP transport to DataRobot: one session, auth, timeouts, retries, error mapping, counters.

Retry rules (why): a request that never left this machine (connect error) is always safe to
repeat. Idempotent requests are also repeated on 429/500/502/503/504 and on lost responses. A
POST or PATCH creates something, so it is repeated only when DataRobot refused it without acting
(429); if it may have been acted on (timeout or connection lost after sending, or a 5xx) it raises
`OutcomeUnknownError` and the engine re-reads DataRobot's state instead."""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from typing import Any, NoReturn
from urllib.parse import urlsplit

import msgspec
import requests
from requests.adapters import HTTPAdapter

from ctask_sync import __version__, redact
from ctask_sync.datarobot import retry
from ctask_sync.datarobot.concurrency import AdaptiveLimit, Concurrency
from ctask_sync.datarobot.endpoint import (
    TokenAuth,
    check_endpoint,
    check_token,
    join_url,
    password_of,
    shown_url,
)
from ctask_sync.datarobot.http_errors import (
    describe_exception,
    error_body,
    error_message,
    is_connect_error,
)
from ctask_sync.datarobot.readahead import ReadAhead, key_of, taken
from ctask_sync.datarobot.retry import RetryPolicy
from ctask_sync.datarobot.sending import prepare, read_body, send_settings
from ctask_sync.datarobot.upload import VersionForm
from ctask_sync.errors import ApiError, OutcomeUnknownError

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = 10.0
USER_AGENT = f"ctask-sync/{__version__} (+python-requests)"
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "DELETE", "PUT", "OPTIONS"})
# 500 too: issue 7 asks reads to ride out a transient server error, and a repeat is harmless.
IDEMPOTENT_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
RETRY_AFTER_STATUSES = frozenset({429, 503})
UNKNOWN_OUTCOME_HINT = (
    "the request reached DataRobot but its outcome is unknown, so it was not re-sent; "
    "run the command again: it re-reads DataRobot's state and continues from there"
)


class RequestStats(msgspec.Struct):
    reads: int = 0
    writes: int = 0
    bytes_uploaded: int = 0  # file content bytes sent in version uploads
    retries: int = 0
    by_method: dict[str, int] = msgspec.field(default_factory=dict)


class Transport:
    """Sends requests to one DataRobot endpoint and turns failures into ApiErrors."""

    def __init__(
        self,
        endpoint: str,
        token: str,
        *,
        ca_bundle: str | None,
        timeout: float,
        retry_policy: RetryPolicy,
        pool_size: int = 16,
        limit: AdaptiveLimit | None = None,
    ) -> None:
        self.endpoint = check_endpoint(endpoint)
        self.shown_endpoint = shown_url(self.endpoint)  # messages name this one, never the real
        self._password = password_of(self.endpoint)
        token = check_token(token)
        self._token = token
        self.timeout = timeout
        self.retry_policy = retry_policy
        # Requests in flight; a fixed-width gate unless the caller passes an adaptive one.
        self.limit = limit or AdaptiveLimit(Concurrency(start=pool_size, cap=pool_size))
        self.stats = RequestStats()
        # answers of GETs sent before they are asked for (readahead.py); None: none are
        self.read_ahead: ReadAhead | None = None
        self._lock = threading.Lock()
        self._rng = random.Random()
        self.session = requests.Session()
        self.session.auth = TokenAuth(token)
        self.session.headers["User-Agent"] = USER_AGENT
        self.session.verify = ca_bundle if ca_bundle else True
        # requests reads the proxy and CA-bundle variables of the environment again for every
        # request: a third of its CPU per request (issue 17: 600 requests in an initial sync of
        # 200 tasks). Every request goes to this endpoint's host (paging.py refuses others), so
        # they are read once, as requests would read them for that host.
        found = self.session.merge_environment_settings(
            self.endpoint, {}, None, self.session.verify, None
        )
        self.session.proxies, self.session.verify = found["proxies"], found["verify"]
        self.session.trust_env = False
        adapter = HTTPAdapter(pool_connections=2, pool_maxsize=pool_size, max_retries=0)
        self.session.mount("https://", adapter)
        self.session.mount("http://", adapter)

    def close(self) -> None:
        self.session.close()

    def url(self, path: str) -> str:
        return join_url(self.endpoint, path)

    def same_origin(self, url: str) -> bool:
        """Whether url is on the endpoint's scheme, host and port (the token may be sent there).
        Credentials in the endpoint (`user:pw@`) are not part of where it points: DataRobot's
        next-page links carry none."""
        return _origin(self.endpoint) == _origin(url)

    def shown_path(self, url: str) -> str:
        """The request path as errors show it: relative to the endpoint, without the query."""
        without_query = url.split("?", 1)[0]
        prefix = self.endpoint + "/"
        if without_query.startswith(prefix):
            return without_query[len(prefix) :]
        return urlsplit(without_query).path

    def redact(self, text: str) -> str:
        """Hide this client's token, the endpoint's password and every token in the environment."""
        text = text.replace(self.endpoint, self.shown_endpoint)
        for secret in (self._token, self._password):
            if len(secret) >= 4:
                text = text.replace(secret, "<hidden>")
        return redact.redact(text)

    def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json_body: dict[str, Any] | None = None,
        form: Callable[[], VersionForm] | None = None,
        stream: bool = False,
        gone_is_done: bool = False,
    ) -> requests.Response:
        """Send one logical request with retries; return a response with status < 400.

        `form` builds a fresh multipart body per attempt. With `gone_is_done`, a 404 after an
        earlier attempt whose outcome was unknown counts as success (a DELETE that landed).
        A GET whose first attempt was sent ahead (readahead.py) goes on from that attempt's
        outcome: the same attempts, waits and lines as when it is sent now."""
        url = self.url(path)
        ahead = None
        if method == "GET" and self.read_ahead is not None:
            ahead = self.read_ahead.take(key_of(url, params))
        shown = self.shown_path(url)
        policy = self.retry_policy
        started = time.monotonic()
        maybe_done = False
        attempt = 0
        while True:
            attempt += 1
            body = None
            try:
                response = taken(ahead) if ahead is not None else None
                ahead = None
                if response is None:
                    with self.limit.slot():
                        body = form() if form is not None else None
                        sent = time.monotonic()
                        response = self._send(method, url, params, json_body, body, stream)
                    self._observe(response.status_code, time.monotonic() - sent)
            except requests.RequestException as exc:
                failure = self._failure(method, shown, exc)
                if failure.retryable and attempt < policy.attempts:
                    maybe_done = maybe_done or not failure.before_sending
                    delay = retry.backoff_delay(policy, attempt, self._rng)
                    if self._wait(started, delay, method, shown, failure.message, attempt):
                        continue
                raise failure.error(attempt) from None
            finally:
                if body is not None:
                    with self._lock:
                        self.stats.bytes_uploaded += body.file_bytes
                    body.close()
            status = response.status_code
            if status < 400:
                return response
            if status == 404 and gone_is_done and maybe_done:
                return response
            # A gateway error may come after the server acted (a DELETE that landed).
            maybe_done = maybe_done or status >= 500
            if self._status_retryable(method, status) and attempt < policy.attempts:
                delay = self._status_delay(response, attempt)
                if self._wait(started, delay, method, shown, f"HTTP {status}", attempt):
                    response.close()
                    continue
            self._raise_status(method, shown, response, attempt)

    def first_attempt(self, url: str, params: dict[str, Any] | None) -> requests.Response:
        """The first attempt of `request("GET", url, params=params)`, sent now for a request
        made later (readahead.py): its response whatever the status, or the RequestException it
        raised. The adaptive limit gates and learns from it as from any attempt."""
        url = self.url(url)
        with self.limit.slot():
            sent = time.monotonic()
            response = self._send("GET", url, params, None, None, False)
        self._observe(response.status_code, time.monotonic() - sent)
        return response

    def _send(
        self,
        method: str,
        url: str,
        params: dict[str, Any] | None,
        json_body: dict[str, Any] | None,
        body: VersionForm | None,
        stream: bool,
    ) -> requests.Response:
        with self._lock:
            self.stats.by_method[method] = self.stats.by_method.get(method, 0) + 1
            if method in ("GET", "HEAD", "OPTIONS"):
                self.stats.reads += 1
            else:
                self.stats.writes += 1
        headers = {"Content-Type": body.content_type} if body is not None else None
        # A PreparedBody reads as a bytearray, which requests and urllib3 send like bytes (its
        # stubs say bytes only); a MultipartEncoder is untyped.
        data: Any = body.encoder if body is not None else None
        prepared = prepare(self.session, method, url, params, json_body, data, headers)
        response = self.session.send(
            prepared,
            timeout=(CONNECT_TIMEOUT, self.timeout),
            allow_redirects=method == "GET",
            **send_settings(self.session, stream=True),
        )
        if not stream:
            read_body(response)
        return response

    def _observe(self, status: int, seconds: float) -> None:
        if status in RETRY_AFTER_STATUSES:
            self.limit.refused()
        elif status < 500:
            self.limit.answered(seconds)

    def _status_retryable(self, method: str, status: int) -> bool:
        if status == 429:
            return True  # refused before acting, whatever the method
        return method in IDEMPOTENT_METHODS and status in IDEMPOTENT_RETRY_STATUSES

    def _status_delay(self, response: requests.Response, attempt: int) -> float:
        if response.status_code in RETRY_AFTER_STATUSES:
            asked = retry.parse_retry_after(response.headers.get("Retry-After"))
            if asked is not None:
                return asked
        return retry.backoff_delay(self.retry_policy, attempt, self._rng)

    def _wait(
        self, started: float, delay: float, method: str, shown: str, reason: str, attempt: int
    ) -> bool:
        """Sleep before the next attempt if the retry budget allows it; False when it does not."""
        if time.monotonic() - started + delay > self.retry_policy.max_total:
            return False
        with self._lock:
            self.stats.retries += 1
        log.info(
            "%s %s: %s; retrying in %.1f s (attempt %d of %d)",
            method,
            shown,
            reason,
            delay,
            attempt + 1,
            self.retry_policy.attempts,
        )
        if self.retry_policy.on_retry is not None:
            attempts = self.retry_policy.attempts
            self.retry_policy.on_retry(
                self.redact(f"{reason}, retrying in {delay:.1f} s ({attempt + 1}/{attempts})")
            )
        retry.sleep(delay)
        return True

    def _raise_status(
        self, method: str, shown: str, response: requests.Response, attempt: int
    ) -> NoReturn:
        status = response.status_code
        message = self.redact(error_message(response))
        body = error_body(response) if status == 409 else None
        response.close()
        if attempt > 1:
            message += f" (gave up after {attempt} attempts)"
        if method not in IDEMPOTENT_METHODS and status >= 500:
            raise OutcomeUnknownError(method, shown, status, message, hint=UNKNOWN_OUTCOME_HINT)
        raise ApiError(method, shown, status, message, hint=self._status_hint(status), body=body)

    def _status_hint(self, status: int) -> str | None:
        hints = {
            401: "check DATAROBOT_API_TOKEN (the action's api-token input): it is missing, "
            f"expired, or belongs to another DataRobot installation than {self.shown_endpoint}",
            403: "the token's user lacks permission for this; ask a DataRobot admin to enable "
            "custom tasks for the account",
            404: self._not_found_hint(),
            413: (
                "the request is larger than DataRobot accepts: leave large files out of the "
                "task, or shorten a large setting such as required_metadata"
            ),
            429: "DataRobot is rate-limiting this client; try again later or lower --concurrency",
        }
        if status >= 500:
            return "DataRobot had a server error; try again later"
        return hints.get(status)

    def _not_found_hint(self) -> str:
        if self.endpoint.endswith("/api/v2"):
            return "it does not exist, or the token's user cannot see it"
        return (
            f"the endpoint {self.shown_endpoint} does not end in /api/v2; DataRobot's API is "
            "normally at https://<your DataRobot host>/api/v2"
        )

    def _failure(self, method: str, shown: str, exc: requests.RequestException) -> _Failure:
        reason = self.redact(describe_exception(exc))
        if isinstance(exc, requests.exceptions.SSLError):
            return _Failure(
                ApiError,
                method,
                shown,
                f"TLS verification of {self.shown_endpoint} failed: {reason}",
                "pass --ca-bundle PATH with the certificate authorities your network uses",
                retryable=False,
                before_sending=True,
            )
        if is_connect_error(exc):
            return _Failure(
                ApiError,
                method,
                shown,
                f"could not connect to {self.shown_endpoint}: {reason}",
                "check --endpoint / DATAROBOT_ENDPOINT and that DataRobot is reachable from here",
                retryable=True,
                before_sending=True,
            )
        if isinstance(exc, requests.exceptions.ReadTimeout):
            message = f"no response within {self.timeout:g} s"
        elif isinstance(exc, (requests.ConnectionError, requests.exceptions.ChunkedEncodingError)):
            message = f"connection lost after the request was sent: {reason}"
        else:
            # A request that could not even be built (bad URL, bad header) fails the same way
            # every time: no retry.
            return _Failure(
                ApiError,
                method,
                shown,
                f"request could not be sent: {reason}",
                "check --endpoint / DATAROBOT_ENDPOINT and DATAROBOT_API_TOKEN",
                retryable=False,
                before_sending=True,
            )
        if method in IDEMPOTENT_METHODS:
            return _Failure(
                ApiError,
                method,
                shown,
                message,
                "DataRobot did not answer in time; try again later",
                retryable=True,
                before_sending=False,
            )
        return _Failure(
            OutcomeUnknownError,
            method,
            shown,
            message,
            UNKNOWN_OUTCOME_HINT,
            retryable=False,
            before_sending=False,
        )


class _Failure(msgspec.Struct):
    """A transport failure, classified: may it be retried, and did it fail before sending?"""

    kind: type[ApiError]
    method: str
    shown: str
    message: str
    hint: str
    retryable: bool
    before_sending: bool

    def error(self, attempts: int) -> ApiError:
        message = self.message
        if attempts > 1:
            message += f" (gave up after {attempts} attempts)"
        return self.kind(self.method, self.shown, None, message, hint=self.hint)


def _origin(url: str) -> tuple[str, str, int | None] | None:
    """(scheme, host, port) of url, the default port filled in; None when it has no valid port."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    return scheme, (parts.hostname or "").lower(), port or {"http": 80, "https": 443}.get(scheme)
