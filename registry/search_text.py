"""Folded search text: lower case, accents removed, words separated by single spaces. Pure."""

from __future__ import annotations

import re
import unicodedata
from typing import Any, Iterable

_NOT_WORD = re.compile(r"[^a-z0-9]+")


def fold(text: str | None) -> str:
    """'Café van Dijk-Ødegård' -> 'cafe van dijk odegard'."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFKD", text.replace("ı", "i").replace("ø", "o").replace("Ø", "o").replace("ß", "ss"))
    ascii_only = "".join(char for char in decomposed if not unicodedata.combining(char)).lower()
    return _NOT_WORD.sub(" ", ascii_only).strip()


def words(parts: Iterable[str | None]) -> str:
    """Searchable words of several fields, padded with spaces so `LIKE '% word%'` finds a word's start."""
    folded = " ".join(filter(None, (fold(part) for part in parts)))
    return f" {folded} " if folded else ""


def places(cities: Iterable[str | None]) -> str:
    """Folded city names between bars, so `LIKE '%|utrecht|%'` finds an exact city."""
    folded = [fold(city) for city in cities if city]
    return "|" + "|".join(folded) + "|" if folded else ""


def _list(value: Any) -> list[str]:
    return list(value) if isinstance(value, (list, tuple)) else []


def search_columns(table: str, record: dict[str, Any]) -> dict[str, str]:
    """The `search_text` and `places` of a record of one of the searchable tables."""
    if table == "programme":
        cities = _list(record.get("cities"))
        return {"search_text": words([record.get("name"), record.get("code"), *cities]), "places": places(cities)}
    if table == "coach":
        parts = [record.get("initials"), record.get("prefix"), record.get("surname"), record.get("registration_number"), record.get("city")]
        return {"search_text": words(parts), "places": places([record.get("city")])}
    if table == "training":
        return {"search_text": words([record.get("name"), record.get("code")]), "places": ""}
    if table == "organisation":
        return {"search_text": words([record.get("name"), record.get("code"), record.get("city")]), "places": places([record.get("city")])}
    raise ValueError(f"{table} is not searchable")


MAX_QUERY_WORDS = 8


def query_words(query: str | None) -> list[str]:
    """The distinct words of a search box entry that narrow it, longest first, at most MAX_QUERY_WORDS.

    A word that starts another typed word adds nothing (every match of the longer one matches it), and
    each word costs a pass over its matches, so "0 0 0 ..." is one word and a pasted paragraph is 8.
    """
    distinct = sorted(set(fold(query).split()), key=lambda word: (-len(word), word))
    narrowing: list[str] = []
    for word in distinct:
        if not any(longer.startswith(word) for longer in narrowing):
            narrowing.append(word)
    return narrowing[:MAX_QUERY_WORDS]
