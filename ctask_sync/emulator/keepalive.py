"""HTTP/1.1 keep-alive for the emulator's werkzeug server, as DataRobot's own front end has it.

werkzeug's development server closes every connection (`Connection: close` on each response),
so every request cost a TCP connection, an accept and a new handler thread: in the benchmark's
initial sync of 200 tasks (600 requests, tool and emulator on the same 2 cores) about a third
of the emulator's CPU, and a new connection for every request on the client side. Real
DataRobot keeps connections open, and both the official client and ctask-sync reuse them.

A connection stays open after a response only when the next request's first byte is known to
be the next thing on it: an HTTP/1.1 request without `Connection: close`, whose body had a
Content-Length (not chunked) and was read by the app or is drained here exactly (at most
DRAIN_LIMIT bytes), answered with a response whose end the client can find (Content-Length, or
a chunked body), and nothing went wrong on the way. Otherwise the response says
`Connection: close` and the connection is closed, as werkzeug always did, after draining what
the client still sends the way werkzeug does, so it sees the answer (a 413) and not a reset. A
connection idle for `idle_timeout` seconds between requests is closed without a word.
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import threading
import typing as t

from werkzeug.exceptions import InternalServerError

from ctask_sync.emulator.request_headers import EmulatorRequestHandler

# An unread request body up to this size is read and dropped to keep the connection; a larger
# one (an upload refused before it was read) is not worth reading: the connection is closed.
DRAIN_LIMIT = 1024 * 1024
IDLE_TIMEOUT = 30.0  # seconds between requests on an open connection (nginx: 75 s)


class _Body:
    """The request body as the app reads it (wsgi.input): counts what is left of it."""

    def __init__(self, stream: t.Any, length: int) -> None:
        self._stream = stream
        self.remaining = length

    def read(self, size: int = -1) -> bytes:
        if self.remaining <= 0:
            return b""
        size = self.remaining if size is None or size < 0 else min(size, self.remaining)
        data: bytes = self._stream.read(size)
        self.remaining -= len(data)
        return data

    def readline(self, size: int = -1) -> bytes:
        if self.remaining <= 0:
            return b""
        size = self.remaining if size is None or size < 0 else min(size, self.remaining)
        data: bytes = self._stream.readline(size)
        self.remaining -= len(data)
        return data

    def __iter__(self) -> t.Iterator[bytes]:
        while line := self.readline():
            yield line

    def drain(self) -> bool:
        """Read and drop what the app left unread; False when the client sent less."""
        while self.remaining > 0:
            if not self.read(64 * 1024):
                return False
        return True


class ConnectionCount:
    """How many connections a server accepted (tests check that clients reuse them)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.accepted = 0

    def add(self) -> None:
        with self._lock:
            self.accepted += 1


class KeepAliveRequestHandler(EmulatorRequestHandler):
    """werkzeug's request handler, but a connection may serve more than one request."""

    idle_timeout: float = IDLE_TIMEOUT

    def setup(self) -> None:
        super().setup()
        # As nginx's tcp_nodelay for kept-alive connections: a response goes out as headers,
        # then body, and Nagle would hold the body until the client ACKs the headers, which a
        # client waiting for the body delays by up to 40 ms (a closing connection flushed it).
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        count = getattr(self.server, "connections", None)
        if isinstance(count, ConnectionCount):
            count.add()

    def handle_one_request(self) -> None:
        # The wait for a request line is bounded; a request's own reads are not (a slow
        # upload of a large file must not be cut off).
        self.connection.settimeout(self.idle_timeout)
        try:
            self.raw_requestline = self.rfile.readline(65537)
        except (TimeoutError, OSError):
            self.close_connection = True
            return
        finally:
            self.connection.settimeout(None)
        if not self.raw_requestline:
            self.close_connection = True
            return
        self._handle_request_line()

    def _handle_request_line(self) -> None:
        """http.server's handle_one_request after the request line was read."""
        if len(self.raw_requestline) > 65536:
            self.requestline = ""
            self.request_version = ""
            self.command = ""
            self.send_error(414)
            return
        if not self.parse_request():
            return  # parse_request answered the error
        method = getattr(self, "do_" + self.command, None)  # werkzeug: every do_* is run_wsgi
        if method is None:
            self.send_error(501, f"Unsupported method ({self.command!r})")
            return
        method()
        self.wfile.flush()

    def run_wsgi(self) -> None:
        """werkzeug 3.1's run_wsgi with a connection kept open when that is safe (see the
        module docstring); everything else as werkzeug does it."""
        if self.headers.get("Expect", "").lower().strip() == "100-continue":
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")

        self.environ = environ = self.make_environ()
        body = _body_of(environ)
        # None: the connection is closed after this response, whatever happens
        keep: list[_Body | None] = [body if self._may_keep_alive() else None]
        status_set: str | None = None
        headers_set: list[tuple[str, str]] | None = None
        status_sent: str | None = None
        headers_sent: list[tuple[str, str]] | None = None
        chunk_response = False

        def write(data: bytes) -> None:
            nonlocal status_sent, headers_sent, chunk_response
            assert status_set is not None, "write() before start_response"
            assert headers_set is not None, "write() before start_response"
            if status_sent is None:
                status_sent = status_set
                headers_sent = headers_set
                try:
                    code_str, msg = status_sent.split(None, 1)
                except ValueError:
                    code_str, msg = status_sent, ""
                code = int(code_str)
                self.send_response(code, msg)
                header_keys = set()
                for key, value in headers_sent:
                    self.send_header(key, value)
                    header_keys.add(key.lower())
                # As werkzeug: a body without a length is sent chunked.
                if (
                    not (
                        "content-length" in header_keys
                        or environ["REQUEST_METHOD"] == "HEAD"
                        or (100 <= code < 200)
                        or code in {204, 304}
                    )
                    and self.protocol_version >= "HTTP/1.1"
                ):
                    chunk_response = True
                    self.send_header("Transfer-Encoding", "chunked")
                kept = keep[0]
                if kept is None or kept.remaining > DRAIN_LIMIT:
                    keep[0] = None
                    self.send_header("Connection", "close")  # also sets close_connection
                self.end_headers()

            assert isinstance(data, bytes), "applications must write bytes"

            if data:
                if chunk_response:
                    self.wfile.write(hex(len(data))[2:].encode())
                    self.wfile.write(b"\r\n")

                self.wfile.write(data)

                if chunk_response:
                    self.wfile.write(b"\r\n")

            self.wfile.flush()

        def start_response(status, headers, exc_info=None):  # type: ignore[no-untyped-def]
            nonlocal status_set, headers_set
            if exc_info:
                try:
                    if headers_sent:
                        raise exc_info[1].with_traceback(exc_info[2])
                finally:
                    exc_info = None
            elif headers_set:
                raise AssertionError("Headers already set")
            status_set = status
            headers_set = headers
            return write

        def execute(app: t.Any) -> None:
            application_iter = app(environ, start_response)
            try:
                for data in application_iter:
                    write(data)
                if not headers_sent:
                    write(b"")
                if chunk_response:
                    self.wfile.write(b"0\r\n\r\n")
            finally:
                kept = keep[0]
                if kept is not None and not self.close_connection:
                    if not kept.drain():  # exactly the rest of this body, never the next request
                        self.close_connection = True
                else:
                    self.close_connection = True
                    _discard_incoming(self)
                if hasattr(application_iter, "close"):
                    application_iter.close()

        try:
            execute(self.server.app)
        except (TimeoutError, ConnectionError) as e:
            self.close_connection = True
            self.connection_dropped(e, environ)
        except Exception as e:
            if self.server.passthrough_errors:
                raise
            # A response cut short, or one about to be replaced: its length cannot be trusted.
            self.close_connection = True
            keep[0] = None
            try:
                # if we haven't yet sent the headers but they are set
                # we roll back to be able to set them again.
                if status_sent is None:
                    status_set = None
                    headers_set = None
                execute(InternalServerError())
            except Exception:
                pass

            from werkzeug.debug.tbtools import DebugTraceback

            msg = DebugTraceback(e).render_traceback_text()
            self.server.log("error", f"Error on request:\n{msg}")

    def _may_keep_alive(self) -> bool:
        """The request allows it: HTTP/1.1 and no `Connection: close` (parse_request has set
        close_connection from them). A body of unknown length is _body_of's to refuse."""
        return not self.close_connection and self.request_version == "HTTP/1.1"


def _body_of(environ: dict[str, t.Any]) -> _Body | None:
    """Wrap wsgi.input so that what the app leaves of the body is known; None when its length
    is not (chunked, or a Content-Length that is not a number)."""
    if environ.get("wsgi.input_terminated"):
        return None  # werkzeug dechunks it: its end is only known once read
    raw = environ.get("CONTENT_LENGTH") or "0"
    try:
        length = int(raw)
    except ValueError:
        return None
    if length < 0:
        return None
    body = _Body(environ["wsgi.input"], length)
    environ["wsgi.input"] = body
    return body


def _discard_incoming(handler: t.Any) -> None:
    """What werkzeug does before it closes: read what the client still sends for a moment, so
    that it sees the response (a 413) rather than a connection reset."""
    selector = selectors.DefaultSelector()
    try:
        selector.register(handler.connection, selectors.EVENT_READ)
    except (ValueError, OSError):  # already closed (a dropped connection)
        selector.close()
        return
    total_size = 0
    total_reads = 0
    try:
        while selector.select(timeout=0.01):
            data = handler.rfile.read(10_000_000)
            total_size += len(data)
            total_reads += 1
            if not data or total_size >= 10_000_000_000 or total_reads > 1000:
                break
    except (OSError, ValueError):
        pass
    finally:
        selector.close()
