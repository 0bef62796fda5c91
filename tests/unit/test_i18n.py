"""Choosing the visitor's language, and dates written the Dutch way."""

from __future__ import annotations

import datetime as dt

import pytest

from registry.i18n import choose_language, speaking
from registry.templating import day, moment, number


@pytest.mark.parametrize(
    ("cookie", "accept", "expected"),
    [
        (None, None, "nl"),
        (None, "en-GB,en;q=0.9", "en"),
        (None, "de-DE,de;q=0.9,en;q=0.5", "en"),
        (None, "de-DE,fr;q=0.9", "nl"),
        (None, "en;q=0.5,nl;q=0.8", "nl"),
        (None, "en;q=0", "nl"),
        (None, "en;q=abc, nl", "nl"),
        ("en", "nl-NL", "en"),
        ("nl", "en", "nl"),
        ("fr", "en", "en"),
    ],
)
def test_cookie_wins_then_accept_language_then_dutch(cookie: str | None, accept: str | None, expected: str) -> None:
    assert choose_language(cookie, accept) == expected


def test_dates_and_numbers_follow_the_language() -> None:
    with speaking("nl"):
        assert day(dt.date(2026, 3, 14)) == "14 maart 2026"
        assert day("2026-12-01") == "1 december 2026"
        assert moment("2026-06-01T10:00:00Z") == "1 juni 2026 12:00"  # summer time in the Netherlands
        assert number(12345) == "12.345"
    with speaking("en"):
        assert day(dt.date(2026, 3, 14)) == "14 March 2026"
        assert moment("2026-01-01T10:00:00Z") == "1 January 2026 11:00"
        assert number(12345) == "12,345"
    assert day(None) == ""
