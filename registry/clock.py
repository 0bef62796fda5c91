"""The registry's clock: every 'now' is timezone-aware UTC, read in one place."""

from __future__ import annotations

import datetime as dt


def utc_now() -> dt.datetime:
    """The current moment, timezone-aware in UTC."""
    return dt.datetime.now(dt.timezone.utc)
