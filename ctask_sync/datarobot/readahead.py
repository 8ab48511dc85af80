"""First attempts of GETs sent before they are asked for: the task list's pages, while the
manifests are still being validated (issue 17: at 10,000 tasks each takes about a second).

A read-ahead sends only requests the run is about to send anyway, and each once: the request
that later asks for the same URL and parameters takes that attempt's outcome (waiting for it
while it is on its way) as its own first attempt, and goes on from there exactly as if it had
just sent it: a 200 is its answer; a 429 or 503 is waited for as its Retry-After says; a 5xx or
a lost connection is retried with its backoff and its line on stderr; a 401 is its error.
Everything that interprets an answer (paging checks, decoding, errors) runs when it is taken.
An attempt nobody takes (a run whose manifests are invalid) is dropped without a word. Each
attempt is taken once; a later read of the same URL is fresh."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import msgspec
import requests

from ctask_sync.datarobot import paging

if TYPE_CHECKING:
    from ctask_sync.datarobot.transport import Transport

Key = tuple[str, str]


class _Shape(msgspec.Struct):
    """A page's place in its list; its entries are skipped over, not read."""

    data: list[msgspec.Raw]
    totalCount: object = None
    next: object = None


_SHAPE = msgspec.json.Decoder(_Shape)


def key_of(url: str, params: Mapping[str, Any] | None) -> Key:
    """The same key for the same URL and parameters, whatever the parameters' order."""
    return url, urlencode(sorted(params.items())) if params else ""


class ReadAhead:
    """Answers by request key: announced (`expect`) before they are sent, so that a taker
    never sends a request the read-ahead is about to send."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._answers: dict[Key, Future[requests.Response]] = {}

    def expect(self, keys: list[Key]) -> list[Future[requests.Response]]:
        """Futures for answers about to be fetched (one per key, in order)."""
        futures: list[Future[requests.Response]] = []
        with self._lock:
            for key in keys:
                future: Future[requests.Response] = Future()
                future.set_running_or_notify_cancel()
                self._answers[key] = future
                futures.append(future)
        return futures

    def take(self, key: Key) -> Future[requests.Response] | None:
        """The first attempt sent ahead for key, once; None when there is none."""
        with self._lock:
            return self._answers.pop(key, None)

    def pending(self) -> int:
        """How many answers were fetched (or are on their way) and not yet taken."""
        with self._lock:
            return len(self._answers)


def fetch_into(future: Future[requests.Response], send: Callable[[], requests.Response]) -> None:
    """send() and settle future with what it gave; never raises."""
    try:
        future.set_result(send())
    except BaseException as exc:  # a RequestException is the attempt's outcome; see taken()
        future.set_exception(exc)


def taken(future: Future[requests.Response]) -> requests.Response | None:
    """The outcome of an attempt sent ahead: its response, or the RequestException it raised
    (raised here, for the taker's retry rules); None when it failed for another reason
    (it may not have been sent at all), and the taker sends it itself."""
    try:
        return future.result()
    except requests.RequestException:
        raise
    except Exception:
        return None


def start(transport: Transport, target: str, params: dict[str, Any]) -> threading.Thread:
    """Fetch every page of the list at target (first page: params) ahead, in a daemon thread:
    a run that ends first (an invalid manifest) does not wait for it."""
    ahead = transport.read_ahead
    assert ahead is not None
    (first,) = ahead.expect([key_of(target, params)])
    thread = threading.Thread(
        target=_pages, args=(transport, ahead, target, params, first), daemon=True
    )
    thread.name = "ctask-sync-read-ahead"
    thread.start()
    return thread


def _pages(
    transport: Transport,
    ahead: ReadAhead,
    target: str,
    params: dict[str, Any],
    first: Future[requests.Response],
) -> None:
    """The first page, then the later ones side by side where it says where they start (as
    paging.read_pages plans them). The later pages are announced before the first is handed
    over, so the taker of the first finds them whatever the threads' timing."""
    links: list[str] = []
    try:
        response = transport.first_attempt(target, params)
    except BaseException as exc:
        first.set_exception(exc)
        return
    try:
        if response.status_code != 200:
            raise ValueError(response.status_code)  # the taker retries or reports it
        shape = _SHAPE.decode(response.content)
        if shape.next:
            link = paging.follow(transport, target, str(shape.next), {target})
            page: paging.Page[object] = paging.Page(shape.totalCount, shape.next, len(shape.data))
            planned = paging.planned_links(page, link)
            if planned and all(map(transport.same_origin, planned)):
                links = planned
    except Exception:  # the taker reads the page itself, and says what is wrong with it
        links = []
    later = ahead.expect([key_of(url, None) for url in links])
    first.set_result(response)
    if not links:
        return
    with ThreadPoolExecutor(min(len(links), paging.PAGE_WORKERS)) as pool:
        for url, future in zip(links, later, strict=True):
            pool.submit(fetch_into, future, functools.partial(transport.first_attempt, url, None))
