"""The moment of a write (sessions, accounts, clients, imports): timezone-aware UTC."""

from __future__ import annotations

import datetime as dt


def utc_now() -> dt.datetime:
    """The current moment, timezone-aware in UTC."""
    return dt.datetime.now(dt.timezone.utc)
