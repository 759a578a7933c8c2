"""The one way fanbot compares typed text: case, accents and punctuation folded away.

Name lookup (``answers.lookup``), calendar-file headers, series and zone names
(``calendar_files``) and moderators' options all compare folded text, so that
"São Paulo", "sao-paulo" and "SAO PAULO" are the same words everywhere.
"""

from __future__ import annotations

import unicodedata

from rapidfuzz import utils


class _CombiningMarks(dict[int, int | None]):
    """A ``str.translate`` table that drops combining marks (accents, once decomposed):
    each character is looked up once, then translate runs in C."""

    def __missing__(self, codepoint: int) -> int | None:
        kept = None if unicodedata.combining(chr(codepoint)) else codepoint
        self[codepoint] = kept
        return kept


_WITHOUT_MARKS = _CombiningMarks()


def fold(text: str) -> str:
    """Lowercase, accents removed, each punctuation mark a space: 'São Paulo' -> 'sao paulo'.
    Runs of spaces are kept (callers that compare words split on whitespace)."""
    if not text.isascii():  # most names are: nothing to decompose, and ten times faster
        text = unicodedata.normalize("NFKD", text).translate(_WITHOUT_MARKS)
    return str(utils.default_process(text))


def fold_words(text: str) -> str:
    """``fold`` with runs of spaces made one, for finding a folded phrase inside another:
    'Spa - Francorchamps' -> 'spa francorchamps'."""
    return " ".join(fold(text).split())
