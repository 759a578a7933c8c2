"""Finding what people mean from what they type: case, accents and small typos.

rapidfuzz scores names folded to lowercase ASCII. Indexes answer from memory and
are reused until the store's names change (``Store.change_token``). They stay fast on a
catalog of thousands of events: a query is scored first against the names that
hold every typed word as the start of a word (what people type into autocomplete),
and against every name only when that finds too little (a typo); each index
remembers its recent answers; and every guild shares the catalog's index, adding
only a small one of its own events (``LayeredIndex``).
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from rapidfuzz import fuzz, process, utils

T = TypeVar("T")

YEAR = re.compile(r"\b(?:19|20|21)\d\d\b")

# Below this score a name is not a match, only a suggestion.
MATCH_SCORE = 80.0
SUGGEST_SCORE = 45.0
MIN_FUZZY_LENGTH = 2
# A name that starts with what was typed beats one that merely contains it.
PREFIX_BONUS = 5.0
MAX_SCORE = 105.0
# Answers a large index remembers: autocomplete asks the same prefixes again and again.
MEMO_SIZE = 512
# Smaller indexes (a guild's own names) score a query faster than they would look it up.
MEMO_MIN_TERMS = 200
# How many candidates a query is ranked for, whatever the caller's limit, so that
# ``find`` and autocomplete (25 choices) agree on what comes first.
RANK_DEPTH = 25


class _CombiningMarks(dict[int, int | None]):
    """A ``str.translate`` table that drops combining marks (accents, once decomposed):
    each character is looked up once, then translate runs in C."""

    def __missing__(self, codepoint: int) -> int | None:
        kept = None if unicodedata.combining(chr(codepoint)) else codepoint
        self[codepoint] = kept
        return kept


_WITHOUT_MARKS = _CombiningMarks()


def fold(text: str) -> str:
    """Lowercase, accents removed, punctuation to spaces: 'São Paulo' -> 'sao paulo'."""
    if text.isascii():  # most names: nothing to decompose, and ten times faster
        return str(utils.default_process(text))
    decomposed = unicodedata.normalize("NFKD", text)
    return str(utils.default_process(decomposed.translate(_WITHOUT_MARKS)))


@dataclass(frozen=True)
class Candidate(Generic[T]):
    label: str  # what a person sees (autocomplete choice name)
    value: T  # what the command gets back
    terms: tuple[str, ...]  # every name this candidate answers to, folded


class NameIndex(Generic[T]):
    """An in-memory fuzzy index over named things.

    ``order`` holds one sort key per candidate, smaller first: how equal scores are
    ordered when this index is merged with another (``LayeredIndex``); by default
    the candidates' own order.
    """

    def __init__(self, candidates: Sequence[Candidate[T]], order: Sequence[Any] | None = None) -> None:
        self.candidates = list(candidates)
        self.order: list[Any] = list(order) if order is not None else list(range(len(self.candidates)))
        # Each distinct folded term once, with the candidates that answer to it.
        self._terms: list[str] = []
        self._owners: list[list[int]] = []
        self._first: dict[str, int] = {}  # term -> first candidate answering to it
        self._labels: dict[str, int] = {}
        ids: dict[str, int] = {}
        for i, c in enumerate(self.candidates):
            self._labels.setdefault(c.label, i)
            for term in c.terms:
                tid = ids.get(term)
                if tid is None:
                    tid = ids[term] = len(self._terms)
                    self._terms.append(term)
                    self._owners.append([])
                    self._first[term] = i
                owners = self._owners[tid]
                if not owners or owners[-1] != i:
                    owners.append(i)
        self._years = [frozenset(YEAR.findall(fold(c.label))) for c in self.candidates]
        self._words: list[str] | None = None  # built on first use: sorted distinct words
        self._postings: dict[str, list[int]] = {}  # word -> terms holding it
        self._memo: OrderedDict[str, list[tuple[int, float]]] = OrderedDict()
        self._memo_size = MEMO_SIZE if len(self._terms) >= MEMO_MIN_TERMS else 0

    @classmethod
    def build(
        cls, items: Sequence[tuple[str, T, Sequence[str]]], order: Sequence[Any] | None = None
    ) -> NameIndex[T]:
        return cls(
            [
                Candidate(label, value, tuple(fold(n) for n in (label, *names) if n))
                for label, value, names in items
            ],
            order,
        )

    def ranked(self, query: str, limit: int = 25) -> list[tuple[Candidate[T], float]]:
        """Candidates best first, at most one per candidate, with their scores.

        A year typed in the query ("le mans 2025") must appear in the label:
        a wrong year is no match at all, not a near one.
        """
        return [(self.candidates[i], score) for i, score in self._ranked(fold(query), limit)]

    def choices(self, query: str, limit: int = 25) -> list[Candidate[T]]:
        """What autocomplete offers for ``query``."""
        return [c for c, _ in self.ranked(query, limit)]

    def find(self, query: str) -> Candidate[T] | None:
        """The one candidate ``query`` means, or None when nothing is close enough."""
        folded = fold(query)
        exact = self._exact(folded, query)  # an exact name or label always wins
        if exact is not None:
            return self.candidates[exact]
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

    # ------------------------------------------------------------------ inside

    def _exact(self, folded: str, query: str) -> int | None:
        """The first candidate with ``folded`` among its names or ``query`` as its label."""
        hits = [i for i in (self._first.get(folded), self._labels.get(query)) if i is not None]
        return min(hits) if hits else None

    def _ranked(self, folded: str, limit: int) -> list[tuple[int, float]]:
        if limit > RANK_DEPTH:
            return self._rank(folded, limit)
        hit = self._memo.get(folded)
        if hit is not None:
            self._memo.move_to_end(folded)
            return hit[:limit]
        found = self._rank(folded, RANK_DEPTH)
        if self._memo_size:
            self._memo[folded] = found
            if len(self._memo) > self._memo_size:
                self._memo.popitem(last=False)
        return found[:limit]

    def _rank(self, folded: str, limit: int) -> list[tuple[int, float]]:
        years = set(YEAR.findall(folded))
        allowed = {i for i, ys in enumerate(self._years) if years <= ys} if years else None
        if not folded:
            return [(i, 0.0) for i in range(min(limit, len(self.candidates)))]
        best: dict[int, float] = {}
        shortlist = self._word_prefix_terms(folded)
        if shortlist:
            best = self._score(folded, shortlist, allowed)
        if len(best) < limit or max(best.values(), default=0.0) < MATCH_SCORE:
            # Too few names hold what was typed (a typo, a name written differently):
            # score every name, as a slow but thorough fallback.
            every: Iterable[int] = range(len(self._terms))
            if allowed is not None:
                every = [t for t in every if any(o in allowed for o in self._owners[t])]
            best = self._score(folded, list(every), allowed)
        order = sorted(best.items(), key=lambda kv: (-kv[1], kv[0]))
        return order[:limit]

    def _word_prefix_terms(self, folded: str) -> list[int]:
        """Terms in which every typed word starts a word ("le m" -> "24 hours of le mans")."""
        if self._words is None:
            for tid, term in enumerate(self._terms):
                for word in set(term.split()):
                    self._postings.setdefault(word, []).append(tid)
            self._words = sorted(self._postings)
        words = sorted(set(folded.split()), key=len, reverse=True)  # the most telling first
        found: set[int] | None = None
        for typed in words:
            lo = bisect_left(self._words, typed)
            hi = bisect_left(self._words, typed + "\U0010ffff")
            holding: set[int] = set()
            for word in self._words[lo:hi]:
                holding.update(self._postings[word])
            found = holding if found is None else found & holding
            if not found:
                return []
        return sorted(found or ())

    def _score(self, folded: str, term_ids: Sequence[int], allowed: set[int] | None) -> dict[int, float]:
        """Best score per candidate over ``term_ids``, only candidates reaching SUGGEST_SCORE.

        WRatio copes with partial names ("spa" in "circuit de spa francorchamps") and small
        typos ("petit lemans"); token_set_ratio with word order ("road atlanta michelin").
        A name that starts with what was typed beats one that merely contains it ("le mans"
        is the 24 Hours, not Petit Le Mans). rapidfuzz runs both scorers over the whole
        list natively, which is what keeps this fast."""
        terms = [self._terms[t] for t in term_ids]
        scores: dict[int, float] = {}
        # A term under SUGGEST_SCORE - PREFIX_BONUS with both scorers cannot reach SUGGEST_SCORE.
        cutoff = SUGGEST_SCORE - PREFIX_BONUS
        for scorer in (fuzz.WRatio, fuzz.token_set_ratio):
            for _, score, k in process.extract(folded, terms, scorer=scorer, limit=None, score_cutoff=cutoff):
                if score > scores.get(k, -1.0):
                    scores[k] = score
        best: dict[int, float] = {}
        for k, raw in scores.items():
            score = min(raw + PREFIX_BONUS, MAX_SCORE) if terms[k].startswith(folded) else raw
            if score < SUGGEST_SCORE:
                continue
            for owner in self._owners[term_ids[k]]:
                if (allowed is None or owner in allowed) and score > best.get(owner, -1.0):
                    best[owner] = float(score)
        return best


class LayeredIndex(NameIndex[T]):
    """A shared index (the catalog, the same for every guild, built once and remembering
    its answers) with a small one on top (a guild's own names). It answers as one index
    over both; equal scores are ordered by the two indexes' ``order`` keys."""

    def __init__(self, base: NameIndex[T], extra: NameIndex[T]) -> None:
        # No index of its own: everything is asked of the two layers.
        self.base = base
        self.extra = extra
        self.candidates = base.candidates + extra.candidates
        self.order = base.order + extra.order

    def _exact(self, folded: str, query: str) -> int | None:
        shift = len(self.base.candidates)
        own = self.extra._exact(folded, query)
        hits = [
            i
            for i in (self.base._exact(folded, query), None if own is None else own + shift)
            if i is not None
        ]
        return min(hits, key=lambda i: self.order[i]) if hits else None

    def _ranked(self, folded: str, limit: int) -> list[tuple[int, float]]:
        shift = len(self.base.candidates)
        merged = self.base._ranked(folded, limit) + [
            (i + shift, s) for i, s in self.extra._ranked(folded, limit)
        ]
        merged.sort(key=lambda pair: (-pair[1], self.order[pair[0]]))
        return merged[:limit]
