"""Spelling suggestions over the register's words, and other names of a place."""

from __future__ import annotations

import time

from registry.demo import CITIES, NAME_POOL
from registry.search_text import fold
from registry.spelling import Vocabulary, distance, place_names, query_variants

WRITTEN = [" ".join(part for part in name if part) for name in NAME_POOL] + list(CITIES)
VOCABULARY = Vocabulary.build([fold(text) for text in WRITTEN], WRITTEN)


def test_a_typo_is_spelt_as_the_register_spells_it() -> None:
    assert VOCABULARY.suggest("Utrect") == "Utrecht"  # as the register writes it
    assert VOCABULARY.suggest("bakkr") == "Bakker"
    assert VOCABULARY.suggest("Amstredam") == "Amsterdam"
    assert VOCABULARY.suggest("de vris") == "de Vries"  # a known word stays as typed
    assert Vocabulary.build([fold(text) for text in WRITTEN]).suggest("Utrect") == "utrecht"  # without originals: folded


def test_known_words_prefixes_short_words_and_nonsense_get_no_suggestion() -> None:
    for typed in ("utrecht", "utre", "de", "c 000123", "qqqzzz", ""):
        assert VOCABULARY.suggest(typed) is None


def test_other_names_of_a_place() -> None:
    assert place_names("Den Bosch") == ["den bosch", "s hertogenbosch"]
    assert query_variants("coach den bosch") == ["coach den bosch", "coach s hertogenbosch"]
    assert query_variants("'s-Gravenhage") == ["s gravenhage", "den haag", "the hague"]
    assert query_variants("bosch") == ["bosch"]  # only the whole name


def test_distance_and_a_suggestion_cost_little() -> None:
    assert distance("utrect", "utrecht", 2) == 1 and distance("abc", "xyzxyz", 2) == 3
    started = time.perf_counter()
    for _ in range(100):
        VOCABULARY.suggest("rotterdma eindhovn")
    assert (time.perf_counter() - started) / 100 < 0.05  # about 0.1 ms on a quiet machine
