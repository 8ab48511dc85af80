"""Planning the later pages of a list from its first page (datarobot/paging.py): only what
the first page says for certain is planned, and pages that do not continue it as planned are
refused, so the client then walks the `next` links one by one."""

from __future__ import annotations

from typing import Any

from ctask_sync.datarobot.paging import Page, consistent, planned_links

BASE = "https://dr.example/api/v2/customTasks/"


def page(offset: int, count: int, total: int, limit: int = 2) -> Page[Any]:
    after = offset + limit
    raw = {
        "count": count,
        "totalCount": total,
        "next": f"{BASE}?searchFor=a+b&offset={after}&limit={limit}" if after < total else None,
        "data": [{"id": str(offset + i)} for i in range(count)],
    }
    return Page.shape(raw)


def test_the_links_of_every_later_page_keep_the_filters() -> None:
    first = page(0, 2, 7)

    assert planned_links(first, str(first.next)) == [
        f"{BASE}?searchFor=a+b&offset=2&limit=2",
        f"{BASE}?searchFor=a+b&offset=4&limit=2",
        f"{BASE}?searchFor=a+b&offset=6&limit=2",
    ]


def test_pages_that_continue_as_planned_are_accepted() -> None:
    first = page(0, 2, 5)
    links = planned_links(first, str(first.next))
    assert links is not None

    assert consistent(first, [page(2, 2, 5), page(4, 1, 5)], links)


def test_nothing_is_planned_without_a_total_or_an_offset_in_the_link() -> None:
    first = page(0, 2, 7)
    no_total: Page[object] = Page(None, first.next, first.count)

    assert planned_links(no_total, str(first.next)) is None
    assert planned_links(first, f"{BASE}?cursor=abc") is None
    assert planned_links(first, f"{BASE}?offset=3&limit=2") is None  # skips an item


def test_a_list_that_changed_while_it_was_read_is_refused() -> None:
    first = page(0, 2, 5)
    links = planned_links(first, str(first.next))
    assert links is not None

    grew = [page(2, 2, 6), page(4, 2, 6)]  # a task was created after the first page
    assert not consistent(first, grew, links)
    shrank = [page(2, 2, 5), page(4, 0, 5)]  # one was deleted
    assert not consistent(first, shrank, links)
    longer = [page(2, 2, 5), Page(5, f"{BASE}?offset=6&limit=2", 1)]
    assert not consistent(first, longer, links)
