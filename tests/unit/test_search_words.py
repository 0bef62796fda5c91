"""Search words: a typed query costs at most a few passes, and coach search finds exactly what a plain scan finds."""

from __future__ import annotations

import datetime as dt
import types

from hypothesis import given, settings
from hypothesis import strategies as st

from registry.search_text import MAX_QUERY_WORDS, query_words, words
from registry.services.public.search_index import STANDINGS, CoachSearch


def test_a_repeated_word_is_searched_once() -> None:
    assert query_words(" ".join(["0"] * 99)) == ["0"]


def test_a_word_that_starts_another_typed_word_adds_nothing() -> None:
    assert query_words("de vries v") == ["vries", "de"]


def test_a_pasted_paragraph_is_cut_to_the_longest_words() -> None:
    typed = " ".join(f"word{number:03d}" for number in range(100))
    assert len(query_words(typed)) == MAX_QUERY_WORDS


def _search(coach_words: list[list[str]], common_run: int = 0) -> CoachSearch:
    coaches = {
        f"C-{number:06d}": types.SimpleNamespace(
            registration_number=f"C-{number:06d}", sort_key=(number,), search_text=words(own), city=None)
        for number, own in enumerate(coach_words)
    }
    return CoachSearch.build(types.SimpleNamespace(coaches=coaches), common_run)


WORD = st.text(alphabet="abc0", min_size=1, max_size=3)


@settings(max_examples=300, deadline=None)
@given(coach_words=st.lists(st.lists(WORD, min_size=1, max_size=4), min_size=1, max_size=60),
       typed=st.lists(WORD, min_size=1, max_size=MAX_QUERY_WORDS))
def test_coach_search_finds_what_a_scan_finds(coach_words: list[list[str]], typed: list[str]) -> None:
    wanted = [word for word in " ".join(typed).split()]
    # As built for a large register (no prefix common enough) and with every prefix's coaches worked out ahead.
    for search in (_search(coach_words), _search(coach_words, common_run=1)):
        expected = [position for position, coach in enumerate(search.coaches)
                    if all(any(own.startswith(word) for own in coach.search_text.split()) for word in wanted)]
        assert list(search.find(" ".join(typed), None) or []) == expected


@settings(max_examples=100, deadline=None)
@given(coach_words=st.lists(st.lists(WORD, min_size=1, max_size=4), min_size=1, max_size=60), typed=WORD,
       statuses=st.lists(st.sampled_from(["accredited", "suspended", "expired"]), min_size=60, max_size=60))
def test_a_status_filtered_search_of_a_common_prefix_keeps_what_a_scan_keeps(coach_words: list[list[str]], typed: str,
                                                                             statuses: list[str]) -> None:
    search = _search(coach_words, common_run=2)
    statuses = statuses[: len(search.coaches)]
    on = dt.date(2026, 12, 1)
    found = search.find(typed, None)
    for status in ("accredited", "suspended"):
        expected = [position for position in (range(len(statuses)) if found is None else found) if statuses[position] == status]
        # Twice: worked out, then remembered for this search and day.
        for _ in range(2):
            assert list(STANDINGS.kept(search, on, statuses, found, status)) == expected  # type: ignore[arg-type]
