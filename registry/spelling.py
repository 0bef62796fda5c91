"""Typo-tolerant search: the nearest known word to a mistyped one, and the place names people use for others. Pure.

A `Vocabulary` holds the folded words of the register (surnames, programme names, cities), indexed by their
letter pairs. A typed word that starts no known word is compared (edit distance) only with the words sharing
enough of its pairs, so a suggestion costs a few dozen comparisons, not one per word of the register.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable

from registry.search_text import fold

# Names of the same place, the first as official lists write it. Data: add a line for another alias.
PLACE_ALIASES: tuple[tuple[str, ...], ...] = (
    ("'s-Hertogenbosch", "Den Bosch"),
    ("Den Haag", "'s-Gravenhage", "The Hague"),
    ("Brielle", "Den Briel"),
    ("Sittard-Geleen", "Sittard"),
    ("Súdwest-Fryslân", "Sudwest Friesland", "Zuidwest-Friesland"),
    ("Nuenen, Gerwen en Nederwetten", "Nuenen"),
)
_WORD = re.compile(r"[a-z]+")
MIN_LENGTH = 3  # shorter words (initials, "de", "op") are never corrected


def _phrase_pattern(phrase: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![a-z0-9]){re.escape(phrase)}(?![a-z0-9])")


# folded alias -> the folded names of its place, other than itself
_ALIASES: dict[str, tuple[str, ...]] = {}
for _group in PLACE_ALIASES:
    _folded = [fold(name) for name in _group]
    for _name in _folded:
        _ALIASES[_name] = tuple(other for other in _folded if other != _name)
_PATTERNS = {name: _phrase_pattern(name) for name in _ALIASES}


def place_names(place: str) -> list[str]:
    """A folded place name and the folded names of the same place ('den bosch' -> ['den bosch', 's hertogenbosch'])."""
    folded = fold(place)
    return [folded, *_ALIASES.get(folded, ())]


def query_variants(query: str | None) -> list[str]:
    """The folded query, then the query with each place alias in it replaced by the other names of that place."""
    folded = fold(query)
    variants = [folded]
    for name, pattern in _PATTERNS.items():
        if pattern.search(folded):
            variants.extend(pattern.sub(other, folded) for other in _ALIASES[name])
    return list(dict.fromkeys(variants))


def _pairs(word: str) -> set[str]:
    padded = f"^{word}$"
    return {padded[i : i + 2] for i in range(len(padded) - 1)}


def distance(a: str, b: str, limit: int) -> int:
    """Levenshtein distance of a and b, or limit + 1 once it is known to exceed `limit`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous = list(range(len(b) + 1))
    for i, char in enumerate(a, 1):
        current = [i]
        for j, other in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char != other)))
        if min(current) > limit:
            return limit + 1
        previous = current
    return previous[-1]


def allowed_edits(word: str) -> int:
    """How many typing errors a word of this length may hold and still be corrected."""
    return 1 if len(word) <= 5 else 2


@dataclass(slots=True)
class Vocabulary:
    """The register's words with how often each occurs, and which words hold each letter pair."""

    counts: Counter[str] = field(default_factory=Counter)
    by_pair: dict[str, list[str]] = field(default_factory=dict)
    sorted_words: list[str] = field(default_factory=list)
    spelt: dict[str, str] = field(default_factory=dict)  # folded word -> as the register writes it most often ("utrecht" -> "Utrecht")

    @classmethod
    def build(cls, texts: Iterable[str], originals: Iterable[str] = ()) -> "Vocabulary":
        """From folded texts (search_text columns): every word of letters only, at least MIN_LENGTH long; `originals`
        (names and places as written) give each word the spelling a suggestion shows."""
        counts: Counter[str] = Counter()
        for text in texts:
            counts.update(word for word in text.split() if len(word) >= MIN_LENGTH and _WORD.fullmatch(word))
        for group in PLACE_ALIASES:
            counts.update(word for name in group for word in fold(name).split() if len(word) >= MIN_LENGTH and _WORD.fullmatch(word))
        by_pair: dict[str, list[str]] = {}
        for word in counts:
            for pair in _pairs(word):
                by_pair.setdefault(pair, []).append(word)
        written: dict[str, Counter[str]] = {}
        for original in originals:
            for token in original.split():
                folded = fold(token)
                if folded in counts and " " not in folded:
                    written.setdefault(folded, Counter())[token.strip(".,;:()")] += 1
        spelt = {word: forms.most_common(1)[0][0] for word, forms in written.items()}
        return cls(counts, by_pair, sorted(counts), spelt)

    def known(self, word: str) -> bool:
        """True when the word starts a word of the register (as search matches it)."""
        position = bisect_left(self.sorted_words, word)
        return position < len(self.sorted_words) and self.sorted_words[position].startswith(word)

    def nearest(self, word: str) -> str | None:
        """The register's word nearest to a typed one that starts none, within allowed_edits; the more common on a tie."""
        if len(word) < MIN_LENGTH or not _WORD.fullmatch(word) or self.known(word):
            return None
        pairs = _pairs(word)
        shared = Counter(candidate for pair in pairs for candidate in self.by_pair.get(pair, ()))
        needed = max(1, len(pairs) // 3)
        limit = allowed_edits(word)
        best: tuple[int, int, int, str] | None = None
        for candidate, common in shared.items():
            if common < needed:
                continue
            # A typed word may be the mistyped start of a longer one ("utrec" of "utrecht"): its start counts too,
            # ranked after a whole word as near.
            whole = distance(word, candidate, limit)
            edits = min(whole, distance(word, candidate[: len(word)], limit))
            if edits <= limit:
                ranked = (edits, whole, -self.counts[candidate], candidate)
                if best is None or ranked < best:
                    best = ranked
        return best[3] if best else None

    def suggest(self, query: str | None) -> str | None:
        """The query with each unknown word replaced by its nearest known word; None when nothing would change."""
        typed = (query or "").split()
        words = fold(query).split()
        if len(typed) != len(words):  # punctuation split or joined words: correct the folded words as they are
            typed = words
        corrected = [self.nearest(word) for word in words]
        if not any(corrected):
            return None
        return " ".join(self.spelt.get(near, near) if near else own for near, own in zip(corrected, typed, strict=True))
