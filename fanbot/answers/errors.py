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


# How much of what was typed an answer quotes back: enough to recognise it, never a wall.
QUOTE_LIMIT = 100


def quoted(text: str, limit: int = QUOTE_LIMIT) -> str:
    """``text`` as an answer quotes it: at most ``limit`` characters, "…" marking a cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


class NotFound(AnswerError):
    """Nothing matched a name; ``suggestions`` holds the closest names."""

    def __init__(self, what: str, query: str, suggestions: list[str]) -> None:
        self.what = what
        self.query = query
        self.suggestions = suggestions
        super().__init__(what=what, query=query)

    def render(self, tr: Translate) -> str:
        what = tr(self.what)
        text = tr("No {what} matches “{query}”.", what=what, query=quoted(self.query))
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


class Ambiguous(AnswerError):
    """A typed name matches several things equally well ("Lucas": two drivers); the asker
    says which rather than being given one at random.

    ``choices`` are (label, value) pairs: what to show, and what to ask again with in place
    of ``query``, as the answer function's keyword argument ``option`` ("driver", "event",
    "car_class"...). Discord offers them as buttons, the console as a list."""

    message = N_("Which {what} do you mean by “{query}”?")

    def __init__(self, what: str, query: str, choices: list[tuple[str, str]], option: str) -> None:
        self.what = what
        self.query = query
        self.choices = choices
        self.option = option
        super().__init__(what=what, query=quoted(query))

    def question(self, tr: Translate) -> str:
        return tr(self.message, what=tr(self.what), query=quoted(self.query))

    def render(self, tr: Translate) -> str:
        names = ", ".join(label for label, _ in self.choices)
        return self.question(tr) + " " + tr("One of: {names}.", names=names)


class BadOption(AnswerError):
    """A value an option cannot take. ``option`` and ``hint`` are msgids, translated
    when rendered; ``hint_fields`` fill the hint's own placeholders."""

    message = N_("“{value}” is not a valid {option}: {hint}")

    def __init__(
        self, *, value: object, option: str, hint: str, hint_fields: dict[str, object] | None = None
    ) -> None:
        self.hint_fields = dict(hint_fields or {})
        super().__init__(value=quoted(str(value)), option=option, hint=hint.format(**self.hint_fields))
        self.fields["hint"] = hint

    def render(self, tr: Translate) -> str:
        return tr(
            self.message,
            value=self.fields["value"],
            option=tr(str(self.fields["option"])),
            hint=tr(str(self.fields["hint"]), **self.hint_fields),
        )


# Declared here so the extractor sees the option names passed to ``BadOption``.
OPTION_SEASON = N_("season")
OPTION_BEFORE = N_("before")
OPTION_SESSIONS = N_("sessions")
