"""Reading the pages of a long list side by side, without trusting more than DataRobot says.

The first page's `totalCount` and its `next` link (which carries `offset` and `limit`,
datarobot-api.md §2) say where every later page starts, so they can be asked for at once
instead of one after another. Each page's own `next` must then be the link planned for the
page after it, and every page must report the same total; otherwise the list changed while it
was read (or the server pages differently) and the caller walks the `next` links one by one."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit


def planned_links(first: dict[str, Any], next_link: str) -> list[str] | None:
    """The links of every page after the first (the first of them is next_link itself), or
    None when the first page does not say enough to plan them."""
    total = first.get("totalCount")
    parts = urlsplit(next_link)
    query = parse_qsl(parts.query, keep_blank_values=True)
    values = dict(query)
    try:
        offset, limit = int(values["offset"]), int(values["limit"])
    except (KeyError, ValueError):
        return None
    if type(total) is not int or limit < 1 or offset != len(first["data"]) or offset >= total:
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


def consistent(first: dict[str, Any], pages: Sequence[dict[str, Any]], links: list[str]) -> bool:
    """Whether the pages fetched from links continue the first page exactly as planned."""
    total = first["totalCount"]
    for index, page in enumerate(pages):
        if page.get("totalCount") != total:
            return False
        following = page.get("next")
        if index + 1 < len(links):
            if not same_link(following, links[index + 1]):
                return False
        elif following:
            return False  # more pages than the total said
    return bool(sum(len(page["data"]) for page in [first, *pages]) == total)
