"""Embeds inside Discord's limits: long answers cut into pages that always fit.

Long answers are cut into pages at entry boundaries, never mid-entry; ``Pages``
guarantees each page fits: title 256, description 4096, 25 fields, field value
1024, 6000 in all.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import discord

from fanbot.i18n import Translate

TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 4096
FIELD_NAME_LIMIT = 256
FIELD_VALUE_LIMIT = 1024
FIELDS_PER_EMBED = 25
EMBED_TOTAL_LIMIT = 6000
# A message's text (content), outside any embed.
CONTENT_LIMIT = 2000
# Room kept for the footer ("Page 2/3 · …") added once pages are counted.
FOOTER_ROOM = 200
COLOUR = discord.Colour.from_rgb(0, 122, 204)


def clip(text: str, limit: int) -> str:
    """Shorten a single label (never a list of entries) to ``limit`` characters."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def page_label(tr: Translate) -> str:
    return tr("Page {page}/{pages}")


@dataclass
class Pages:
    """Builds embeds page by page; a field that would not fit starts a new page."""

    title: str
    description: str = ""
    pages: list[discord.Embed] = field(default_factory=list)

    def _new_page(self) -> discord.Embed:
        first = not self.pages
        embed = discord.Embed(
            title=clip(self.title, TITLE_LIMIT),
            description=clip(self.description, DESCRIPTION_LIMIT) if first else None,
            colour=COLOUR,
        )
        self.pages.append(embed)
        return embed

    @property
    def current(self) -> discord.Embed:
        return self.pages[-1] if self.pages else self._new_page()

    def add_field(self, name: str, value: str, *, inline: bool = False) -> None:
        name = clip(name, FIELD_NAME_LIMIT)
        value = clip(value, FIELD_VALUE_LIMIT) or "—"
        embed = self.current
        if (
            len(embed.fields) >= FIELDS_PER_EMBED
            or len(embed) + len(name) + len(value) > EMBED_TOTAL_LIMIT - FOOTER_ROOM
        ):
            embed = self._new_page()
        embed.add_field(name=name, value=value, inline=inline)

    def add_lines(self, name: str, lines: list[str], continued: str) -> None:
        """A field of ``lines``, split over several fields (and pages) at line
        boundaries when it is longer than one field may be."""
        chunk: list[str] = []
        size = 0
        part = 0
        for line in lines:
            line = clip(line, FIELD_VALUE_LIMIT)
            if chunk and size + len(line) + 1 > FIELD_VALUE_LIMIT:
                self.add_field(name if part == 0 else f"{name} {continued}", "\n".join(chunk))
                part += 1
                chunk, size = [], 0
            chunk.append(line)
            size += len(line) + 1
        if chunk or part == 0:
            self.add_field(name if part == 0 else f"{name} {continued}", "\n".join(chunk) or "—")

    def finish(self, footer: str | None, page_label: str) -> list[discord.Embed]:
        pages = self.pages or [self._new_page()]
        for i, embed in enumerate(pages, start=1):
            parts = [p for p in (footer,) if p]
            if len(pages) > 1:
                parts.append(page_label.format(page=i, pages=len(pages)))
            if parts:
                embed.set_footer(text=clip(" · ".join(parts), 2048))
        return pages
