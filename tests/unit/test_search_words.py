"""Search words: a typed query costs at most a few passes, and coach search finds exactly what a plain scan finds."""

from __future__ import annotations

import types

from hypothesis import given, settings
from hypothesis import strategies as st

from registry.search_text import MAX_QUERY_WORDS, query_words, words
from registry.services.public.search_index import CoachSearch


def test_a_repeated_word_is_searched_once() -> None:
    assert query_words(" ".join(["0"] * 99)) == ["0"]


def test_a_word_that_starts_another_typed_word_adds_nothing() -> None:
    assert query_words("de vries v") == ["vries", "de"]


def test_a_pasted_paragraph_is_cut_to_the_longest_words() -> None:
    typed = " ".join(f"word{number:03d}" for number in range(100))
    assert len(query_words(typed)) == MAX_QUERY_WORDS


def _search(coach_words: list[list[str]]) -> CoachSearch:
    coaches = {
        f"C-{number:06d}": types.SimpleNamespace(
            registration_number=f"C-{number:06d}", sort_key=(number,), search_text=words(own), city=None)
        for number, own in enumerate(coach_words)
    }
    return CoachSearch.build(types.SimpleNamespace(coaches=coaches))


WORD = st.text(alphabet="abc0", min_size=1, max_size=3)


@settings(max_examples=300, deadline=None)
@given(coach_words=st.lists(st.lists(WORD, min_size=1, max_size=4), min_size=1, max_size=60),
       typed=st.lists(WORD, min_size=1, max_size=MAX_QUERY_WORDS))
def test_coach_search_finds_what_a_scan_finds(coach_words: list[list[str]], typed: list[str]) -> None:
    search = _search(coach_words)
    wanted = [word for word in " ".join(typed).split()]
    expected = [position for position, coach in enumerate(search.coaches)
                if all(any(own.startswith(word) for own in coach.search_text.split()) for word in wanted)]
    assert (search.find(" ".join(typed), None) or []) == expected
