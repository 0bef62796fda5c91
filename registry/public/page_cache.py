"""Rendered public detail pages, kept by what they depend on: the register's state, the language and the day.

A key names the page's path, the audit event the verification index has followed up to (with its chain hash, so a
restored database never meets a page of the timeline it left), the page's language and today's date. A change to
the register moves the index to a new event, so every later request misses and renders afresh; nothing is ever
invalidated by hand. Least recently used pages go first past `size`.
"""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PageKey:
    """What a rendered detail page depends on."""

    path: str
    audit_seen: int
    audit_hash: str
    language: str
    day: dt.date


class PageCache:
    """At most `size` rendered pages (their HTML and status), least recently used out first."""

    def __init__(self, size: int = 2_000):
        self.size = size
        self._pages: OrderedDict[PageKey, tuple[str, int]] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def get(self, key: PageKey) -> tuple[str, int] | None:
        """The page rendered for this key, if kept."""
        page = self._pages.get(key)
        if page is None:
            self.misses += 1
            return None
        self.hits += 1
        self._pages.move_to_end(key)
        return page

    def put(self, key: PageKey, html: str, status: int) -> None:
        """Keep a rendered page."""
        self._pages[key] = (html, status)
        self._pages.move_to_end(key)
        while len(self._pages) > self.size:
            self._pages.popitem(last=False)
