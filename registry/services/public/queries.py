"""The SQL of the public register: its list searches.

Statements with `?` parameters only. A search is assembled from the fixed parts below (which list,
how many words, whether paged), never from what they contain; its words are all bound.
"""

from __future__ import annotations

# --- list searches -----------------------------------------------------------------------------------

TRAININGS = (
    "SELECT t.id, t.code, t.name, t.guidance_types, t.formats, o.code AS institute_code, o.name AS institute_name "
    "FROM training t LEFT JOIN organisation o ON o.id = t.organisation"
)
ORGANISATIONS = "SELECT code, name, city FROM organisation"
# list -> (its select, the column search words are looked up in, ORDER BY)
SEARCHES = {
    "trainings": (TRAININGS, "t.search_text", "t.name, t.code"),
    "organisations": (ORGANISATIONS, "search_text", "name, code"),
}


def _matching(listing: str, words: int) -> str:
    # Only lists named in SEARCHES: a list not there raises KeyError rather than reach SQL.
    return " WHERE " + " AND ".join([SEARCHES[listing][1] + " LIKE ?"] * words) if words else ""


def search_count(listing: str, words: int) -> str:
    """How many rows of a list (a key of SEARCHES) match `words` bound search words (each `% word%`)."""
    return "SELECT COUNT(*) AS n FROM (" + SEARCHES[listing][0] + _matching(listing, words) + ") AS matches"  # nosec B608 # select and conditions from SEARCHES; the words are bound


def search_rows(listing: str, words: int, paged: bool) -> str:
    """A list's rows matching `words` bound search words in its order, then LIMIT and OFFSET parameters if paged."""
    select, _column, order = SEARCHES[listing]
    return select + _matching(listing, words) + " ORDER BY " + order + (" LIMIT ? OFFSET ?" if paged else "")
