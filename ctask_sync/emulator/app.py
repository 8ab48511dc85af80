"""The WSGI application: DataRobot's API under /api/v2 and the emulator's admin API under
/_emulator.

Every /api/v2 request goes through: latency, fault rules (before), auth, the handler, fault
rules (after), the request log. Admin requests skip all of that."""

from __future__ import annotations

import contextlib
import hmac
import socket
import sys
import time
import traceback
from collections.abc import Iterable, Iterator
from typing import Any

from werkzeug.exceptions import (
    ClientDisconnected,
    HTTPException,
    MethodNotAllowed,
    NotFound,
    RequestEntityTooLarge,
)
from werkzeug.routing import RequestRedirect
from werkzeug.wrappers import Request, Response

from ctask_sync.emulator import admin
from ctask_sync.emulator.context import Context
from ctask_sync.emulator.faults import FaultBook, FaultRule, RequestLog
from ctask_sync.emulator.routes import build_map
from ctask_sync.emulator.settings import EmulatorSettings
from ctask_sync.emulator.store import Store
from ctask_sync.emulator.web import ApiFailure, EmulatorRequest, json_response

API_PREFIX = "/api/v2/"
ADMIN_PREFIX = "/_emulator/"


class EmulatorApp:
    """A WSGI callable emulating DataRobot's custom task API."""

    def __init__(self, settings: EmulatorSettings) -> None:
        store = Store(settings.state_dir, settings.username, settings.users)
        self.ctx = Context(store=store, settings=settings)
        self.faults = FaultBook()
        self.log = RequestLog()
        self._map, self._handlers = build_map()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        """WSGI entry point: route to the admin API, the DataRobot API or a JSON 404."""
        counter = _CountingInput(environ["wsgi.input"])
        environ["wsgi.input"] = counter
        request = EmulatorRequest(environ)
        request.environ["ctask_sync.emulator.input"] = counter
        if request.path.startswith(ADMIN_PREFIX) or request.path == ADMIN_PREFIX.rstrip("/"):
            response = self._admin(request)
        elif request.path.startswith(API_PREFIX):
            response = self._api(request)
        else:
            response = ApiFailure(404, f"No such path: {request.path}").response()
        return response(environ, start_response)

    def _admin(self, request: Request) -> Response:
        try:
            return admin.dispatch(self, request)
        except ApiFailure as failure:
            return failure.response()

    def _api(self, request: Request) -> Response:
        started = time.perf_counter()
        settings = self.ctx.settings
        if settings.latency_ms:
            time.sleep(settings.latency_ms / 1000.0)
        rule = self.faults.take(request.method, request.path)
        if rule is not None and rule.when == "before":
            _drain(request)
            response = _fault_response(rule)
            # A dropped request that never ran is logged with status 0: nothing answered it.
            logged_status = 0 if rule.drop else response.status_code
        else:
            response = self._execute(request)
            logged_status = response.status_code
            if rule is not None:  # after: the write above is committed; the client never knows
                response = _fault_response(rule)
                if not rule.drop:
                    logged_status = response.status_code
        self.log.add(
            method=request.method,
            path=request.path,
            query=request.query_string.decode("latin-1"),
            status=logged_status,
            request_bytes=_request_bytes(request),
            response_bytes=0 if rule is not None and rule.drop else _body_size(response),
            ms=round((time.perf_counter() - started) * 1000.0, 3),
            fault=rule.describe() if rule is not None else None,
        )
        if rule is not None and rule.drop:
            _drop_connection(
                request
            )  # after logging, so the log is complete once the client sees it
        return response

    def _execute(self, request: Request) -> Response:
        try:
            self._authenticate(request)
            adapter = self._map.bind_to_environ(request.environ)
            try:
                endpoint, args = adapter.match()
            except RequestRedirect:
                raise ApiFailure(
                    404, f"No such path: {request.path} (DataRobot paths end with '/')"
                ) from None
            except MethodNotAllowed:
                raise ApiFailure(
                    405, f"Method {request.method} is not allowed on {request.path}"
                ) from None
            except NotFound:
                raise ApiFailure(404, f"No such path: {request.path}") from None
            return self._handlers[str(endpoint)](self.ctx, request, **args)
        except ApiFailure as failure:
            _drain(request)
            return failure.response()
        except RequestEntityTooLarge:
            _drain(request)
            limit = self.ctx.settings.max_upload_bytes
            # Without an upload limit the one left is werkzeug's on each non-file form field
            # (required metadata, say), not on the body: say which one was passed.
            too_large = (
                f"the limit is {limit} bytes"
                if limit is not None
                else f"a form field is over the {request.max_form_memory_size} bytes a field "
                "may hold"
            )
            return ApiFailure(413, f"Request is too large in size; {too_large}").response()
        except ClientDisconnected:
            # the client went away mid-body (a killed run): nothing to answer, nothing to log
            return ApiFailure(
                400, "The client disconnected before sending the whole body"
            ).response()
        except Exception as exc:  # an emulator bug: still answer in DataRobot's error shape
            traceback.print_exc(file=sys.stderr)
            return ApiFailure(500, f"Emulator internal error: {type(exc).__name__}").response()

    def _authenticate(self, request: Request) -> None:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        token = token.strip()
        expected = self.ctx.settings.token
        if scheme not in ("Token", "Bearer") or not token:
            raise ApiFailure(
                401,
                "Authentication required: send 'Authorization: Token <api key>' "
                "or 'Authorization: Bearer <token>'",
            )
        # Constant-time, as a real server compares secrets.
        if expected is not None and not hmac.compare_digest(token.encode(), expected.encode()):
            raise ApiFailure(401, "Invalid API token")


def _fault_response(rule: FaultRule) -> Response:
    status = rule.status or 500
    message = rule.message or f"Emulated fault: HTTP {status}"
    response = json_response({"message": message}, status)
    if rule.retry_after is not None:
        seconds = rule.retry_after
        # RFC 9110 wants whole seconds; fractions are sent as-is so tests can stay fast.
        response.headers["Retry-After"] = (
            str(int(seconds)) if seconds == int(seconds) else str(seconds)
        )
    return response


def _drain(request: Request) -> None:
    """Read the rest of the request body so an unread upload does not reset the connection."""
    stream = request.stream
    try:
        while stream.read(1024 * 1024):
            pass
    except HTTPException:
        # Over max_content_length, or the client went away: werkzeug's server discards the
        # rest after the response.
        return


def _drop_connection(request: Request) -> None:
    """Close the TCP connection now: werkzeug's later write fails quietly (BrokenPipeError) and
    the client sees the connection end without any response."""
    sock = request.environ.get("werkzeug.socket")
    if sock is None:
        raise RuntimeError("dropping a connection needs werkzeug's development server")
    with contextlib.suppress(OSError):  # already closed by the client: nothing to drop
        sock.shutdown(socket.SHUT_RDWR)


class _CountingInput:
    """Wraps wsgi.input to count body bytes, for chunked uploads that send no Content-Length."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream
        self.count = 0

    def read(self, size: int = -1) -> bytes:
        data: bytes = self._stream.read(size)
        self.count += len(data)
        return data

    def readline(self, size: int = -1) -> bytes:
        data: bytes = self._stream.readline(size)
        self.count += len(data)
        return data

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.readline, b"")


def _request_bytes(request: Request) -> int:
    if request.content_length is not None:
        return request.content_length
    counter = request.environ.get("ctask_sync.emulator.input")
    return counter.count if isinstance(counter, _CountingInput) else 0


def _body_size(response: Response) -> int:
    if response.is_streamed:
        return 0
    return len(response.get_data())
