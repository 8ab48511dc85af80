"""Reading the pages of a long list side by side, without trusting more than DataRobot says.

The first page's `totalCount` and its `next` link (which carries `offset` and `limit`,
datarobot-api.md §2) say where every later page starts, so they can be asked for at once
instead of one after another. Each page's own `next` must then be the link planned for the
page after it, and every page must report the same total; otherwise the list changed while it
was read (or the server pages differently) and the caller walks the `next` links one by one.

Each page is read into items (`read`) in the thread that fetched it, as soon as it arrives, so
reading one page overlaps with waiting for the others; the order of pages never changes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from ctask_sync.datarobot.endpoint import shown_url
from ctask_sync.errors import ApiError

# Pages read side by side at most (they also wait on the adaptive request limit).
PAGE_WORKERS = 8

_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class Page(Generic[_T]):
    """One page of a list: what it says of the whole list, and its items as read."""

    total: object  # its `totalCount`, as given
    next: object  # its `next` link, as given
    count: int  # how many entries its `data` held
    items: Sequence[_T] = ()
    # why an entry could not be read; raised only once the pages are settled (a page of a
    # list that changed while it was read is read again, and may then be fine)
    error: Exception | None = None

    @classmethod
    def shape(cls, raw: dict[str, Any]) -> Page[Any]:
        """The page's place in the list, without its items."""
        return Page(raw.get("totalCount"), raw.get("next"), len(raw["data"]))


class Origin(Protocol):
    """What paging needs of the transport: which URLs the token may go to, and how to show one."""

    def same_origin(self, url: str) -> bool: ...

    def shown_path(self, url: str) -> str: ...


def read_pages(
    origin: Origin,
    target: str,
    first: dict[str, Any],
    fetch: Callable[[str], dict[str, Any]],
    read: Callable[[dict[str, Any]], Page[_T]],
) -> list[Page[_T]]:
    """Every page of a list whose first page is `first`: the later ones side by side when the
    first says where they start, else along DataRobot's `next` links as given. Each page,
    fetched by `fetch`, is read into items by `read` in the thread that fetched it."""
    following = first.get("next")
    if not following:
        return [read(first)]
    link = follow(origin, target, str(following), {target})
    links = planned_links(Page.shape(first), link)
    if links is not None and len(links) > 1 and all(map(origin.same_origin, links)):
        with ThreadPoolExecutor(min(len(links), PAGE_WORKERS)) as pool:
            later = pool.map(lambda url: read(fetch(url)), links)
            head = read(first)  # while the later pages are on their way
            rest = list(later)
        if consistent(head, rest, links):
            return [head, *rest]
    else:
        head = read(first)
    # the list changed while it was read, or the links say too little: one after another
    return [head, *walk(origin, target, link, lambda url: read(fetch(url)))]


def follow(origin: Origin, current: str, following: str, seen: set[str]) -> str:
    """The absolute URL of a page's `next` link, refused when it leaves the host or loops."""
    shown = origin.shown_path(current)
    # DataRobot sends absolute links; a relative one is read as a browser would.
    target = urljoin(current, following)
    if not origin.same_origin(target):
        # The token goes with every request: never follow a link to another host.
        raise ApiError(
            "GET",
            shown,
            200,
            f"refusing to follow a paging link to another host: {shown_url(target)}",
        )
    if target in seen:
        raise ApiError("GET", shown, 200, f"the paging link loops back to {shown_url(target)}")
    seen.add(target)
    return target


def walk(origin: Origin, first: str, target: str, get: Callable[[str], Page[_T]]) -> list[Page[_T]]:
    """The pages from target on, one after another along their `next` links."""
    pages = []
    seen = {first, target}
    while True:
        page = get(target)
        pages.append(page)
        following = page.next
        if not following:
            return pages
        target = follow(origin, target, str(following), seen)


def planned_links(first: Page[Any], next_link: str) -> list[str] | None:
    """The links of every page after the first (the first of them is next_link itself), or
    None when the first page does not say enough to plan them."""
    total = first.total
    parts = urlsplit(next_link)
    query = parse_qsl(parts.query, keep_blank_values=True)
    values = dict(query)
    try:
        offset, limit = int(values["offset"]), int(values["limit"])
    except (KeyError, ValueError):
        return None
    if type(total) is not int or limit < 1 or offset != first.count or offset >= total:
        return None
    links = []
    for start in range(offset, total, limit):
        moved = [(k, str(start) if k == "offset" else v) for k, v in query]
        links.append(urlunsplit(parts._replace(query=urlencode(moved))))
    return links


def same_link(a: object, b: str) -> bool:
    """Whether link a (as a page gave it) names the page b: same place, same parameters."""
    if not isinstance(a, str):
        return False
    x, y = urlsplit(a), urlsplit(b)
    same_place = (x.scheme, x.netloc, x.path) == (y.scheme, y.netloc, y.path)
    return same_place and sorted(parse_qsl(x.query)) == sorted(parse_qsl(y.query))


def consistent(first: Page[Any], pages: Sequence[Page[Any]], links: list[str]) -> bool:
    """Whether the pages fetched from links continue the first page exactly as planned."""
    total = first.total
    for index, page in enumerate(pages):
        if page.total != total:
            return False
        following = page.next
        if index + 1 < len(links):
            if not same_link(following, links[index + 1]):
                return False
        elif following:
            return False  # more pages than the total said
    return bool(sum(page.count for page in [first, *pages]) == total)


def items_of(pages: Sequence[Page[_T]]) -> list[_T]:
    """Every item of pages, in order; a page with an entry that could not be read raises its
    error instead (the first such page in the list's order)."""
    items: list[_T] = []
    for page in pages:
        if page.error is not None:
            raise page.error
        items.extend(page.items)
    return items
