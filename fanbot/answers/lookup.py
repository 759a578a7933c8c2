"""Finding what people mean from what they type: case, accents, small typos, the ways
fans write a race in English and French ("24h du Mans"), and which edition they mean.

rapidfuzz scores names folded to lowercase ASCII, hours, ordinals and numbers written
one way (``fold_name``); each word a query holds must be found in the name it picks.
A typed name is resolved (``NameIndex.resolve``) to one thing, to the edition of one
thing nearest now, or to a question back when several things match as well.

Indexes answer from memory and are reused until the store's names change
(``Store.change_token``). They stay fast on a
catalog of thousands of events: a query is scored first against the names that
hold every typed word as the start of a word (what people type into autocomplete),
and against every name only when that finds too little (a typo); each index
remembers its recent answers; and every guild shares the catalog's index, adding
only a small one of its own events (``LayeredIndex``).
"""

from __future__ import annotations

import heapq
import re
from bisect import bisect_left
from collections import OrderedDict
from collections.abc import Hashable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, Generic, TypeVar, overload

from rapidfuzz import fuzz, process

from fanbot.domain.folding import fold

T = TypeVar("T")
V = TypeVar("V")

YEAR = re.compile(r"\b(?:19|20|21)\d\d\b")
# What a query may say of the edition it wants: its year, or its ordinal ("94e", "94th"
# become "94th" in ``fold_name``). The label must say the same, or it is no match at all.
EDITION_MARK = re.compile(r"\b(?:(?:19|20|21)\d\d|\d+th)\b")

# Below this score a name is not a match, only a suggestion.
MATCH_SCORE = 80.0
SUGGEST_SCORE = 45.0
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
# A query's word of this length or more can name something ("spa", "vir", "lucas").
TELLING_LENGTH = 3
# Each telling word of a query must be found among a name's words (a typo allowed):
# "24h du mans" is not Petit Le Mans, which has no "hours"; "Rebelion" is Rebellion Racing.
WORD_MATCH = 75.0
# A name missing the query's words loses up to this much ("12 heures de sebring" is not Le
# Mans for its "hours")...
MISSING_WORDS_PENALTY = 45.0
# ...and one holding every word, each nearly as typed, scores at least their mean less this
# (a typo in one word of a long name: "Rebelion" in "Rebellion Racing").
WORD_MEAN_PENALTY = 10.0
# A name's word this long may be found inside a typed word ("mans" in "lemans").
PART_LENGTH = 4
# How many of the best raw scores are weighed word by word (the rest cannot come first).
WEIGH_DEPTH = 100
# Matches within this many points of the best are as good as it: "Lucas" is Lucas Luhr
# and Lucas Ordóñez alike, and the asker is asked which one.
TIE_MARGIN = 2.0
# Alternatives a "which one?" answer offers at most.
MAX_ALTERNATIVES = 10


# Words fans write differently for the same thing, in English and French, once folded: the
# hours of a race's length ("24h", "24 heures", "12 hrs"), its length in words ("Twelve
# Hours", "six heures"). Names themselves (aliases, translations) live in the data.
_SAME_WORD = {
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours", "heure", "heures"), "hours"),
    "four": "4",
    "quatre": "4",
    "six": "6",
    "eight": "8",
    "huit": "8",
    "ten": "10",
    "dix": "10",
    "twelve": "12",
    "douze": "12",
}
# Words that tell nothing apart: "24 Heures du Mans" is "24 Hours of Le Mans", and "le mans
# race" is Le Mans ("le" stays: it is part of the name). "s" is what "Sahlen's" leaves.
_STOP_WORDS = frozenset(("of", "the", "at", "du", "de", "des", "d", "s", "race", "course"))
# "93rd", "15th", "94e", "1er", "94ème": one way, "94th".
_ORDINAL_SUFFIX = r"(?:st|nd|rd|th|e|er|re|eme|ieme)\b"
_ORDINAL = re.compile(r"\b(\d+)" + _ORDINAL_SUFFIX)
# "24h", "6H", "1812km": a number glued to its unit (not to an ordinal's ending).
_GLUED_UNIT = re.compile(r"(\d)(?!" + _ORDINAL_SUFFIX + r")([a-z])")
_TWENTY_FOUR = re.compile(r"\b(?:twenty|vingt) ?(?:four|quatre)\b")
_DIGIT_LETTER = re.compile(r"\d[a-z]")
FOLD_CACHE_SIZE = 16384


@lru_cache(maxsize=FOLD_CACHE_SIZE)
def fold_name(text: str) -> str:
    """What names and queries are compared on: ``fold`` and the same words written the
    same way, without stop words: '24h du Mans' and '24 Hours of Le Mans' both hold
    '24 hours', 'Mobil 1 Twelve Hours of Sebring (73rd)' is 'mobil 1 12 hours sebring 73th'.
    Remembered: an index repeats its circuits' names once per event."""
    folded = fold(text)
    if _DIGIT_LETTER.search(folded):  # rare: most names hold a year or none
        folded = _ORDINAL.sub(r"\1th", _GLUED_UNIT.sub(r"\1 \2", folded))
    if "twenty" in folded or "vingt" in folded:
        folded = _TWENTY_FOUR.sub("24", folded)
    return " ".join(_SAME_WORD.get(w, w) for w in folded.split() if w not in _STOP_WORDS)


def _folded_names(names: Iterable[str]) -> tuple[str, ...]:
    """Each name folded once, in order, leaving out empty ones and repeats."""
    return tuple(dict.fromkeys(f for n in names if n and (f := fold_name(n))))


def telling_words(folded: str) -> list[str]:
    """The words of a folded query that can name something on their own: three characters
    or more, not a year or an ordinal. A query without one ("2025", "x", "' OR 1=1 --")
    names nothing."""
    return [
        w for w in dict.fromkeys(folded.split()) if len(w) >= TELLING_LENGTH and not EDITION_MARK.fullmatch(w)
    ]


@dataclass(frozen=True)
class Candidate(Generic[T]):
    label: str  # what a person sees (autocomplete choice name)
    value: T  # what the command gets back
    terms: tuple[str, ...]  # every name this candidate answers to, folded (``fold_name``)


@dataclass(frozen=True)
class Span:
    """When a candidate takes place, as UTC timestamps: its first instant and the latest
    it may still be running. An index that knows them answers a name without a year with
    the edition nearest now."""

    first: float
    until: float


@dataclass(frozen=True)
class Resolution(Generic[T]):
    """What a typed name means: one candidate, or several as good (the asker must say
    which), or nothing (``found`` None and no ``alternatives``)."""

    found: Candidate[T] | None = None
    alternatives: tuple[Candidate[T], ...] = ()


# "The coming year", for the edition nearest now.
YEAR_SECONDS = 366 * 24 * 3600.0


class NameIndex(Generic[T]):
    """An in-memory fuzzy index over named things.

    ``order`` holds one sort key per candidate, smaller first: how equal scores are
    ordered when this index is merged with another (``LayeredIndex``); by default
    the candidates' own order. ``groups`` says which candidates are editions of one
    thing (the events at one circuit): a name matching several editions means the one
    nearest now (``spans``), while one matching several things is a question back.
    Without ``groups`` every candidate is a thing of its own.
    """

    # Values this index stands in for in another one (``LayeredIndex``): a guild's own
    # index holds the ids of the catalog races its events replace.
    hidden: frozenset[object] = frozenset()

    def __init__(
        self,
        candidates: Sequence[Candidate[T]],
        order: Sequence[Any] | None = None,
        groups: Sequence[Hashable | None] | None = None,
        spans: Sequence[Span | None] | None = None,
    ) -> None:
        self.candidates = list(candidates)
        self.order: list[Any] = list(order) if order is not None else list(range(len(self.candidates)))
        count = len(self.candidates)
        self.groups: list[Hashable | None] = list(groups) if groups is not None else [None] * count
        self.spans: list[Span | None] = list(spans) if spans is not None else [None] * count
        self._vocabs: dict[int, tuple[str, ...]] = {}
        # Each distinct folded term once, with the candidates that answer to it.
        self._terms: list[str] = []
        self._owners: list[list[int]] = []
        self._labels: dict[str, int] = {}
        self._ids: dict[str, int] = {}  # term -> its position in _terms
        ids = self._ids
        for i, c in enumerate(self.candidates):
            self._labels.setdefault(c.label, i)
            for term in c.terms:
                tid = ids.get(term)
                if tid is None:
                    tid = ids[term] = len(self._terms)
                    self._terms.append(term)
                    self._owners.append([])
                owners = self._owners[tid]
                if not owners or owners[-1] != i:
                    owners.append(i)
        self._marks = [frozenset(EDITION_MARK.findall(fold_name(c.label))) for c in self.candidates]
        self._words: list[str] | None = None  # built on first use: sorted distinct words
        self._postings: dict[str, list[int]] = {}  # word -> terms holding it
        self._memo: OrderedDict[str, list[tuple[int, float]]] = OrderedDict()
        self._memo_size = MEMO_SIZE if len(self._terms) >= MEMO_MIN_TERMS else 0

    @classmethod
    def build(
        cls,
        items: Sequence[tuple[str, T, Sequence[str]]],
        order: Sequence[Any] | None = None,
        groups: Sequence[Hashable | None] | None = None,
        spans: Sequence[Span | None] | None = None,
        *,
        label_is_a_name: bool = True,
    ) -> NameIndex[T]:
        """An index of (label, value, other names); the label is one of the names unless
        ``label_is_a_name`` is False (it is still found when typed exactly)."""
        first = 0 if label_is_a_name else 1
        return cls(
            [
                Candidate(label, value, _folded_names((label, *names)[first:]))
                for label, value, names in items
            ],
            order,
            groups,
            spans,
        )

    def ranked(self, query: str, limit: int = 25) -> list[tuple[Candidate[T], float]]:
        """Candidates best first, at most one per candidate, with their scores.

        A year or an ordinal typed in the query ("le mans 2025", "94e 24 heures du Mans")
        must appear in the label: a wrong year is no match at all, not a near one.
        """
        return [(self.candidates[i], score) for i, score in self._ranked(fold_name(query), limit)]

    def choices(self, query: str, limit: int = 25, now: datetime | None = None) -> list[Candidate[T]]:
        """What autocomplete offers for ``query``, best first; given ``now``, the edition
        nearest now of the best match comes first (what ``resolve`` would answer)."""
        ranked = self._ranked(fold_name(query), limit)
        if now is not None and len(ranked) > 1:
            best_group = self._group(ranked[0][0])
            floor = ranked[0][1] - TIE_MARGIN
            first = self._nearest([i for i, s in ranked if s >= floor and self._group(i) == best_group], now)
            ranked = [(first, 0.0)] + [pair for pair in ranked if pair[0] != first]
        return [self.candidates[i] for i, _ in ranked]

    def resolve(self, query: str, now: datetime | None = None) -> Resolution[T]:
        """What ``query`` means: an exact name or label wins; otherwise the matches close to
        the best one. Several editions of one thing (a group) mean the one nearest ``now``;
        several things mean a question back. A query without a telling word (a year, a
        letter, punctuation) means nothing."""
        folded = fold_name(query)
        exact = self._exact_all(folded, query)
        if exact:
            scored = [(i, MAX_SCORE) for i in sorted(exact, key=lambda i: self.order[i])]
        elif not telling_words(folded):
            return Resolution()
        else:
            scored = [(i, s) for i, s in self._ranked(folded, RANK_DEPTH) if s >= MATCH_SCORE]
            # "le mans 2012", "2025 le mans": without its year or ordinal the query is exactly
            # a name ("le mans": the 24 Hours' circuit). It then means that thing's editions
            # only; when none has that year, nothing, rather than a race whose longer name
            # holds the same words (Petit Le Mans 2012).
            bare = " ".join(EDITION_MARK.sub(" ", folded).split())
            named = self._exact_all(bare, "") if bare and bare != folded else []
            if named:
                wanted = {self._group(i) for i in named}
                scored = [(i, s) for i, s in scored if self._group(i) in wanted]
        if not scored:
            return Resolution()
        # As good as the best: within TIE_MARGIN of it. Editions of one thing among them
        # mean the one nearest now; several things, a question back.
        tied = [i for i, s in scored if s >= scored[0][1] - TIE_MARGIN]
        groups = dict.fromkeys(self._group(i) for i in tied)
        picks = [self._nearest([i for i in tied if self._group(i) == g], now) for g in groups]
        if len(picks) == 1:
            return Resolution(self.candidates[picks[0]])
        return Resolution(None, tuple(self.candidates[i] for i in picks[:MAX_ALTERNATIVES]))

    def find(self, query: str, now: datetime | None = None) -> Candidate[T] | None:
        """The candidate ``query`` means (of several as good, the best), or None."""
        found = self.resolve(query, now)
        return found.found or (found.alternatives[0] if found.alternatives else None)

    def suggestions(self, query: str, limit: int = 3) -> list[str]:
        """The closest names; when a typed year matches nothing, the closest of any year."""
        ranked = self.ranked(query, limit) or self.ranked(EDITION_MARK.sub(" ", fold_name(query)), limit)
        return [c.label for c, _ in ranked]

    # ------------------------------------------------------------------ inside

    def _group(self, i: int) -> Hashable:
        group = self.groups[i]
        return ("candidate", i) if group is None else group

    def _nearest(self, members: list[int], now: datetime | None) -> int:
        """Of editions of one thing (best first), the next still to come within the coming
        year, else the most recent, else the soonest; undated ones only when all are."""
        dated = [(i, span) for i in members if (span := self.spans[i]) is not None]
        if now is None or not dated:
            return members[0]
        t = now.timestamp()
        coming = [(span.first, i) for i, span in dated if span.until > t and span.first <= t + YEAR_SECONDS]
        if coming:
            return min(coming)[1]
        past = [(span.until, i) for i, span in dated if span.until <= t]
        if past:
            return max(past, key=lambda pair: pair[0])[1]
        return min((span.first, i) for i, span in dated)[1]

    def _exact_all(self, folded: str, query: str) -> list[int]:
        """Every candidate with ``folded`` among its names or ``query`` as its label."""
        tid = self._ids.get(folded)
        hits = list(self._owners[tid]) if tid is not None else []
        label = self._labels.get(query)
        if label is not None and label not in hits:
            hits.append(label)
        return hits

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
        marks = set(EDITION_MARK.findall(folded))
        allowed = {i for i, ms in enumerate(self._marks) if marks <= ms} if marks else None
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
        best = self._weigh_words(folded, best, limit)
        order = sorted(best.items(), key=lambda kv: (-kv[1], kv[0]))
        return order[:limit]

    def _vocab(self, i: int) -> tuple[str, ...]:
        """The distinct words of a candidate's names."""
        words = self._vocabs.get(i)
        if words is None:
            terms = self.candidates[i].terms
            words = self._vocabs[i] = tuple(dict.fromkeys(w for t in terms for w in t.split()))
        return words

    def _weigh_words(self, folded: str, best: dict[int, float], limit: int) -> dict[int, float]:
        """Scores weighed by the query's telling words found among each name's words.

        A whole-string score alone lets "le mans" in "24h du mans" pull Petit Le Mans
        (it has no "hours"), and misses one typo in a long name ("Rebelion" scores 79 on
        "Rebellion Racing" as a string, 94 as a word). Only the best raw scores are weighed:
        weighing lowers scores, so the rest cannot come first."""
        words = telling_words(folded)
        if not words or not best:
            return best
        top = heapq.nlargest(max(WEIGH_DEPTH, limit), best.items(), key=lambda kv: (kv[1], -kv[0]))
        vocab: list[str] = []
        place: list[int] = []  # vocab position -> position in top
        for at, (owner, _) in enumerate(top):
            own = self._vocab(owner)
            vocab.extend(own)
            place.extend([at] * len(own))
        # A typed word matches a word it is spelt nearly like, or nearly the start of
        # ("bahrein": "bahrain", "sebr": "sebring"), or one it holds ("lemans": "mans");
        # never one that merely holds it ("usa" in "lusail") or a short word ("e").
        found = [[0.0] * len(top) for _ in words]
        for row, word in zip(found, words, strict=True):
            starts = [w[: len(word)] for w in vocab]
            held = [k for k, w in enumerate(vocab) if PART_LENGTH <= len(w) < len(word)]
            for scorer, among, positions in (
                (fuzz.ratio, vocab, None),
                (fuzz.ratio, starts, None),
                (fuzz.partial_ratio, [vocab[k] for k in held], held),
            ):
                matches = process.extract(word, among, scorer=scorer, limit=None, score_cutoff=WORD_MATCH)
                for _, score, k in matches:
                    at = place[positions[k] if positions is not None else k]
                    if score > row[at]:
                        row[at] = score
        weighed: dict[int, float] = {}
        for at, (owner, raw) in enumerate(top):
            scores = [row[at] for row in found]
            missing = sum(1 for sc in scores if sc < WORD_MATCH)
            if missing:
                # Then no match, but still a suggestion, after the better ones in the order
                # of its raw score ("ELMS": ALMS, then IMSA).
                penalised = raw - MISSING_WORDS_PENALTY * missing / len(words)
                weighed[owner] = max(penalised, SUGGEST_SCORE + raw / 1000)
            else:
                weighed[owner] = max(raw, sum(scores) / len(scores) - WORD_MEAN_PENALTY)
        return weighed

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


class _Joined(Sequence[V]):
    """Two lists read as one, without copying either."""

    __slots__ = ("first", "second")

    def __init__(self, first: Sequence[V], second: Sequence[V]) -> None:
        self.first = first
        self.second = second

    def __len__(self) -> int:
        return len(self.first) + len(self.second)

    @overload
    def __getitem__(self, i: int) -> V: ...
    @overload
    def __getitem__(self, i: slice) -> Sequence[V]: ...
    def __getitem__(self, i: int | slice) -> V | Sequence[V]:
        if isinstance(i, slice):
            return [*self.first, *self.second][i]
        if i < 0:
            i += len(self)
        n = len(self.first)
        return self.first[i] if i < n else self.second[i - n]

    def __iter__(self) -> Iterator[V]:
        yield from self.first
        yield from self.second


class LayeredIndex(NameIndex[T]):
    """A shared index (the catalog, the same for every guild, built once and remembering
    its answers) with a small one on top (a guild's own names). It answers as one index
    over both; equal scores are ordered by the two indexes' ``order`` keys."""

    def __init__(
        self, base: NameIndex[T], extra: NameIndex[T], hidden: frozenset[object] = frozenset()
    ) -> None:
        # No index of its own: everything is asked of the two layers.
        self.base = base
        self.extra = extra
        # Values of the base that the extra layer stands in for (a guild's feed event for
        # the catalog's race): never answered, so the name finds the guild's one alone.
        self.hidden = hidden
        # Views, not copies: a guild asks over the catalog's thousands of candidates, and
        # joining four lists of them again for each question cost more than the question.
        self.candidates = _Joined(base.candidates, extra.candidates)  # type: ignore[assignment]
        self.order = _Joined(base.order, extra.order)  # type: ignore[assignment]
        self.groups = _Joined(base.groups, extra.groups)  # type: ignore[assignment]
        self.spans = _Joined(base.spans, extra.spans)  # type: ignore[assignment]

    def _exact_all(self, folded: str, query: str) -> list[int]:
        shift = len(self.base.candidates)
        return self._shown(self.base._exact_all(folded, query)) + [
            i + shift for i in self.extra._exact_all(folded, query)
        ]

    def _shown(self, found: list[int]) -> list[int]:
        if not self.hidden:
            return found
        return [i for i in found if self.base.candidates[i].value not in self.hidden]

    def _ranked(self, folded: str, limit: int) -> list[tuple[int, float]]:
        shift = len(self.base.candidates)
        base = self.base._ranked(folded, limit)
        if self.hidden:
            base = [(i, s) for i, s in base if self.base.candidates[i].value not in self.hidden]
        merged = base + [(i + shift, s) for i, s in self.extra._ranked(folded, limit)]
        merged.sort(key=lambda pair: (-pair[1], self.order[pair[0]]))
        return merged[:limit]
