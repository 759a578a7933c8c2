"""Finding what people mean from what they type: case, accents and small typos.

rapidfuzz scores names folded to lowercase ASCII; the index is built from one
query per guild and reused until the store changes (``Store.revision``), so
autocomplete answers from memory, well inside Discord's 3-second limit.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from rapidfuzz import fuzz, process, utils

T = TypeVar("T")

YEAR = re.compile(r"\b(?:19|20|21)\d\d\b")

# Below this score a name is not a match, only a suggestion.
MATCH_SCORE = 80.0
SUGGEST_SCORE = 45.0
MIN_FUZZY_LENGTH = 2


def fold(text: str) -> str:
    """Lowercase, accents removed, punctuation to spaces: 'São Paulo' -> 'sao paulo'."""
    decomposed = unicodedata.normalize("NFKD", text)
    ascii_text = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return str(utils.default_process(ascii_text))


@dataclass(frozen=True)
class Candidate(Generic[T]):
    label: str  # what a person sees (autocomplete choice name)
    value: T  # what the command gets back
    terms: tuple[str, ...]  # every name this candidate answers to, folded


class NameIndex(Generic[T]):
    """An in-memory fuzzy index over named things."""

    def __init__(self, candidates: Sequence[Candidate[T]]) -> None:
        self.candidates = list(candidates)
        self._terms: list[str] = []
        self._owner: list[int] = []
        for i, c in enumerate(self.candidates):
            for term in c.terms:
                self._terms.append(term)
                self._owner.append(i)

    @classmethod
    def build(cls, items: Sequence[tuple[str, T, Sequence[str]]]) -> NameIndex[T]:
        return cls(
            [
                Candidate(label, value, tuple(fold(n) for n in (label, *names) if n))
                for label, value, names in items
            ]
        )

    def ranked(self, query: str, limit: int = 25) -> list[tuple[Candidate[T], float]]:
        """Candidates best first, at most one per candidate, with their scores.

        A year typed in the query ("le mans 2025") must appear in the label:
        a wrong year is no match at all, not a near one.
        """
        folded = fold(query)
        years = set(YEAR.findall(folded))
        allowed = [i for i, c in enumerate(self.candidates) if years <= set(YEAR.findall(fold(c.label)))]
        if not folded:
            return [(self.candidates[i], 0.0) for i in allowed[:limit]]
        allowed_set = set(allowed)
        hits = process.extract(
            folded,
            self._terms,
            scorer=_score,
            limit=None,
            score_cutoff=SUGGEST_SCORE,
        )
        best: dict[int, float] = {}
        for _term, score, term_index in hits:
            owner = self._owner[term_index]
            if owner in allowed_set and score > best.get(owner, -1.0):
                best[owner] = float(score)
        order = sorted(best.items(), key=lambda kv: (-kv[1], kv[0]))
        return [(self.candidates[i], s) for i, s in order[:limit]]

    def choices(self, query: str, limit: int = 25) -> list[Candidate[T]]:
        """What autocomplete offers for ``query``."""
        return [c for c, _ in self.ranked(query, limit)]

    def find(self, query: str) -> Candidate[T] | None:
        """The one candidate ``query`` means, or None when nothing is close enough."""
        folded = fold(query)
        for c in self.candidates:  # an exact name or label always wins
            if folded in c.terms or query == c.label:
                return c
        if len(folded.replace(" ", "")) < MIN_FUZZY_LENGTH:
            return None  # one character matches too much to mean anything
        ranked = self.ranked(query, limit=2)
        if ranked and ranked[0][1] >= MATCH_SCORE:
            return ranked[0][0]
        return None

    def suggestions(self, query: str, limit: int = 3) -> list[str]:
        """The closest names; when a typed year matches nothing, the closest of any year."""
        ranked = self.ranked(query, limit) or self.ranked(YEAR.sub(" ", fold(query)), limit)
        return [c.label for c, _ in ranked]


def _score(query: str, term: str, **kwargs: object) -> float:
    # WRatio copes with partial names ("spa" in "circuit de spa francorchamps")
    # and small typos ("petit lemans"); token_set_ratio with word order
    # ("road atlanta michelin"). A name that starts with what was typed beats
    # one that merely contains it ("le mans" is the 24 Hours, not Petit Le Mans).
    del kwargs
    score = max(fuzz.WRatio(query, term), fuzz.token_set_ratio(query, term))
    if term.startswith(query):
        score += 5
    return float(min(score, 105))
