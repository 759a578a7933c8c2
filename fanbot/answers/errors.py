"""Failures a user can cause. Renderers turn them into a short message in the reader's language."""

from __future__ import annotations

from fanbot.i18n import N_, Translate


class AnswerError(Exception):
    """Something the asker can fix; ``message`` is an English msgid with fields."""

    message: str = N_("Something was wrong with that request.")

    def __init__(self, **fields: object) -> None:
        super().__init__(self.message.format(**fields) if fields else self.message)
        self.fields = fields

    def render(self, tr: Translate) -> str:
        return tr(self.message, **self.fields)


class NotFound(AnswerError):
    """Nothing matched a name; ``suggestions`` holds the closest names."""

    def __init__(self, what: str, query: str, suggestions: list[str]) -> None:
        self.what = what
        self.query = query
        self.suggestions = suggestions
        super().__init__(what=what, query=query)

    def render(self, tr: Translate) -> str:
        what = tr(self.what)
        text = tr("No {what} matches “{query}”.", what=what, query=self.query)
        if self.suggestions:
            text += " " + tr("Did you mean: {names}?", names=", ".join(self.suggestions))
        return text


# Declared here so the extractor sees the names the lookups pass as ``what``.
WHAT_EVENT = N_("event")
WHAT_SERIES = N_("series")
WHAT_CIRCUIT = N_("circuit")
WHAT_DRIVER = N_("driver")
WHAT_CLASS = N_("class")
WHAT_TEAM = N_("team")


class BadOption(AnswerError):
    message = N_("“{value}” is not a valid {option}: {hint}")
