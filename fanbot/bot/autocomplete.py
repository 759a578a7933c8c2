"""Autocomplete for every command's options: events, series, circuits, drivers, time zones,
and what the event already typed in the same command holds (its sessions, cars, classes).

Each function takes (interaction, what is typed so far) and returns at most 25 choices,
so that a command attaches it as is: ``@app_commands.autocomplete(event=events)``. Stored
rows travel as "id:N" (``choice_value``), names as themselves. An autocomplete that fails
offers nothing (and logs why): an exception would show the user nothing useful either.

Names come from what the answer will see: the server's own and the catalog's where the bot
is in the server, the catalog's alone elsewhere (``context.reader_scope``: a fan's own
install); the moderators' completions (own events, sessions, cars) from their server.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

import discord
import pytz
from discord import app_commands

from fanbot.answers import moderation as mod
from fanbot.answers.context import choice_value
from fanbot.answers.errors import AnswerError
from fanbot.answers.lookup import NameIndex
from fanbot.bot.context import asker, bot_of, fan_asker, language, reader_scope
from fanbot.bot.embeds.moderation import entry_line
from fanbot.domain.model import Entry, Event
from fanbot.i18n import format_local
from fanbot.store import Scope

log = logging.getLogger(__name__)

# Discord shows at most 25 choices; a choice's name and value are at most 100 characters.
MAX_CHOICES = 25
CHOICE_TEXT = 100

Choices = list[app_commands.Choice[str]]
Completer = Callable[[discord.Interaction, str], Coroutine[Any, Any, Choices]]


def _value(value: object) -> str:
    # Stored rows (events, circuits) travel as "id:N"; names (series, drivers) as themselves.
    return choice_value(value) if isinstance(value, int) else str(value)[:CHOICE_TEXT]


async def _from_index(
    interaction: discord.Interaction,
    current: str,
    index_for: Callable[[Scope], Awaitable[NameIndex[object]]],
) -> Choices:
    bot = bot_of(interaction)
    try:
        index = await index_for(reader_scope(interaction))
        # Given now, a name's edition nearest now comes first (what typing it would answer).
        return [
            app_commands.Choice(name=c.label[:CHOICE_TEXT], value=_value(c.value))
            for c in index.choices(current, MAX_CHOICES, now=bot.clock.now())
        ]
    except Exception:
        log.exception("autocomplete failed for %r", current)
        return []


# ---------------------------------------------------------------------------- names


async def events(interaction: discord.Interaction, current: str) -> Choices:
    """Every event the server sees: the catalog's and its own."""
    return await _from_index(interaction, current, bot_of(interaction).lookups.events)


async def own_events(interaction: discord.Interaction, current: str) -> Choices:
    """The server's own events only (what moderators may change)."""
    bot = bot_of(interaction)
    try:
        found = await mod.own_event_choices(asker(bot, interaction), current, MAX_CHOICES)
    except Exception:
        log.exception("autocomplete failed for %r", current)
        return []
    return [app_commands.Choice(name=label[:CHOICE_TEXT], value=choice_value(i)) for label, i in found]


async def series(interaction: discord.Interaction, current: str) -> Choices:
    return await _from_index(interaction, current, bot_of(interaction).lookups.series)


async def series_list(interaction: discord.Interaction, current: str) -> Choices:
    """Series codes, comma-separated: the last one typed is completed, the others kept."""
    done, _, last = current.rpartition(",")
    prefix = f"{done}, " if done else ""
    codes = [s.code for s in await bot_of(interaction).store.series()]
    return [
        app_commands.Choice(name=f"{prefix}{code}"[:CHOICE_TEXT], value=f"{prefix}{code}"[:CHOICE_TEXT])
        for code in codes
        if code.lower().startswith(last.strip().lower())
    ][:MAX_CHOICES]


async def circuits(interaction: discord.Interaction, current: str) -> Choices:
    return await _from_index(interaction, current, bot_of(interaction).lookups.circuits)


async def drivers(interaction: discord.Interaction, current: str) -> Choices:
    return await _from_index(interaction, current, bot_of(interaction).lookups.drivers)


async def zones(interaction: discord.Interaction, current: str) -> Choices:
    """IANA time zones containing what is typed ("new york" finds America/New_York)."""
    wanted = current.strip().lower().replace(" ", "_")
    found = [z for z in pytz.common_timezones if wanted in z.lower()]
    return [app_commands.Choice(name=z, value=z) for z in found[:MAX_CHOICES]]


# ---------------------------------------------------------------------------- within the event typed


def _typed(interaction: discord.Interaction) -> str | None:
    """The event option already typed in the same command, if any."""
    typed = getattr(interaction.namespace, "event", None)
    return str(typed) if typed else None


async def _typed_own_event(interaction: discord.Interaction) -> Event | None:
    typed = _typed(interaction)
    if typed is None:
        return None
    try:
        return await mod.resolve_own_event(asker(bot_of(interaction), interaction), typed)
    except AnswerError:
        return None


async def sessions(interaction: discord.Interaction, current: str) -> Choices:
    """The sessions of the server's event typed, with their circuit time."""
    tr, locale = language(interaction)
    event = await _typed_own_event(interaction)
    if event is None:
        return []
    wanted = current.strip().lower()
    choices = []
    for s in event.sessions:
        label = f"{mod.session_name(s, tr)} — " + (
            format_local(s.start, event.circuit.timezone, locale) if s.start else tr("time TBA")
        )
        if not wanted or wanted in label.lower() or wanted in s.key:
            choices.append(app_commands.Choice(name=label[:CHOICE_TEXT], value=s.key))
    return choices[:MAX_CHOICES]


async def car_numbers(interaction: discord.Interaction, current: str) -> Choices:
    """The numbered cars of the server's event typed, each shown with its entry."""
    tr, _ = language(interaction)
    event = await _typed_own_event(interaction)
    if event is None:
        return []
    entries = await bot_of(interaction).store.entries(Scope(interaction.guild_id), event.id)
    wanted = current.strip().lstrip("#").lower()
    return [
        app_commands.Choice(name=entry_line(e, tr)[:CHOICE_TEXT], value=e.number or "")
        for e in entries
        if e.number and (not wanted or e.number.lower().startswith(wanted))
    ][:MAX_CHOICES]


async def classes_and_overall(interaction: discord.Interaction, current: str) -> Choices:
    """Overall, then the classes of the server's event typed."""
    event = await _typed_own_event(interaction)
    names: list[str] = ["Overall"]
    if event is not None:
        entries = await bot_of(interaction).store.entries(Scope(interaction.guild_id), event.id)
        names += [e.car_class for e in entries if e.car_class]
    wanted = current.strip().lower()
    return [
        app_commands.Choice(name=n[:CHOICE_TEXT], value=n[:CHOICE_TEXT])
        for n in dict.fromkeys(names)
        if wanted in n.lower()
    ][:MAX_CHOICES]


async def _of_entries(
    interaction: discord.Interaction, current: str, pick: Callable[[Entry], str | None]
) -> Choices:
    """Classes or teams of any event typed (the catalog's too)."""
    typed = _typed(interaction)
    if typed is None:
        return []
    try:
        ask = fan_asker(bot_of(interaction), interaction)
        event = await ask.resolve_event(typed)
        names = dict.fromkeys(name for e in await ask.store.entries(ask.scope, event.id) if (name := pick(e)))
    except AnswerError:
        return []
    except Exception:
        log.exception("autocomplete failed for %r", current)
        return []
    index = NameIndex.build([(n[:CHOICE_TEXT], n, []) for n in names])
    return [
        app_commands.Choice(name=c.label, value=str(c.value)[:CHOICE_TEXT]) for c in index.choices(current)
    ]


async def entry_classes(interaction: discord.Interaction, current: str) -> Choices:
    return await _of_entries(interaction, current, lambda e: e.car_class)


async def entry_teams(interaction: discord.Interaction, current: str) -> Choices:
    return await _of_entries(interaction, current, lambda e: e.team)
