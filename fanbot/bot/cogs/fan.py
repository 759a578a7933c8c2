"""Fan commands: /nextrace /schedule /race /lineup /circuit /driver /help.

Each handler parses options, calls one answer function and renders the result;
no SQL and no formatting rules live here.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.app_commands import locale_str as _T
from discord.ext import commands

from fanbot.answers.calendar import race, schedule
from fanbot.answers.context import Asker, choice_value
from fanbot.answers.errors import Ambiguous, AnswerError
from fanbot.answers.lookup import NameIndex
from fanbot.answers.nextrace import next_race
from fanbot.answers.people import circuit, driver, lineup
from fanbot.bot.cogs.reminders import remind_me_button
from fanbot.bot.replies import send, send_pages, send_which_one, within_deadline
from fanbot.bot.tree import interaction_translator
from fanbot.commands import COMMANDS
from fanbot.domain.model import Entry, Event
from fanbot.i18n import Translate, pick_locale
from fanbot.reminders.planner import FAN_KINDS
from fanbot.render import embed as render
from fanbot.store import Scope

if TYPE_CHECKING:
    from fanbot.bot.app import FanBot

log = logging.getLogger(__name__)

MAX_CHOICES = 25

Renderer = Callable[[Any, Translate, str], list[discord.Embed]]
Choices = list[app_commands.Choice[str]]


def remindable(event: Event, now: datetime) -> bool:
    """Worth a "Remind me" button: a qualifying or race still to come with a known time."""
    return any(s.start is not None and s.start > now and s.kind in FAN_KINDS for s in event.sessions)


def _value(value: object) -> str:
    # Stored rows (events, circuits) travel as "id:N"; names (series, drivers) as themselves.
    return choice_value(value) if isinstance(value, int) else str(value)[:100]


def _desc(command: str, option: str | None = None) -> _T:
    spec = COMMANDS[command]
    if option is None:
        return _T(spec.description)
    return _T(next(o.description for o in spec.options if o.name == option))


class FanCog(commands.Cog):
    def __init__(self, bot: FanBot) -> None:
        self.bot = bot

    def asker(self, interaction: discord.Interaction) -> Asker:
        return Asker(self.bot.store, Scope(interaction.guild_id), self.bot.clock, self.bot.lookups)

    async def answer(
        self,
        interaction: discord.Interaction,
        question: Callable[..., Awaitable[Any]],
        renderer: Renderer,
        *,
        remind: Callable[[Any], Event | None] | None = None,
        **options: Any,
    ) -> None:
        tr = interaction_translator(interaction)
        locale = pick_locale(interaction.locale, interaction.guild_locale)
        try:
            result = await within_deadline(interaction, question(self.asker(interaction), **options))
        except Ambiguous as exc:
            option = exc.option
            if option not in options:
                await send(interaction, content=exc.render(tr), ephemeral=True)
                return

            async def chosen(pressed: discord.Interaction, value: str) -> None:
                # The same question again, with the name chosen in place of the one typed.
                await self.answer(pressed, question, renderer, remind=remind, **{**options, option: value})

            await send_which_one(interaction, exc.question(tr), exc.choices, tr, chosen)
            return
        except AnswerError as exc:
            await send(interaction, content=exc.render(tr), ephemeral=True)
            return
        lasting: list[discord.ui.Item[Any]] = []
        event = remind(result) if remind else None
        if event is not None and remindable(event, self.bot.clock.now()):
            lasting.append(remind_me_button(event.id, tr))
        await send_pages(interaction, renderer(result, tr, locale), tr, lasting=lasting)

    async def _choices(
        self,
        interaction: discord.Interaction,
        current: str,
        index_for: Callable[[Scope], Awaitable[NameIndex[object]]],
    ) -> list[app_commands.Choice[str]]:
        try:
            index = await index_for(Scope(interaction.guild_id))
            # Given now, a name's edition nearest now comes first (what typing it would answer).
            return [
                app_commands.Choice(name=c.label[:100], value=_value(c.value))
                for c in index.choices(current, MAX_CHOICES, now=self.bot.clock.now())
            ]
        except Exception:
            # An autocomplete that raises shows the user nothing useful; log and offer nothing.
            log.exception("autocomplete failed for %r", current)
            return []

    async def event_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await self._choices(interaction, current, self.bot.lookups.events)

    async def series_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await self._choices(interaction, current, self.bot.lookups.series)

    async def circuit_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await self._choices(interaction, current, self.bot.lookups.circuits)

    async def driver_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await self._choices(interaction, current, self.bot.lookups.drivers)

    @app_commands.command(name=_T("nextrace"), description=_desc("nextrace"))
    @app_commands.rename(series=_T("series"))
    @app_commands.describe(series=_desc("nextrace", "series"))
    async def nextrace(self, interaction: discord.Interaction, series: str | None = None) -> None:
        await self.answer(
            interaction, next_race, render.next_race_pages, remind=lambda r: r.event, series=series
        )

    @nextrace.autocomplete("series")
    async def _nextrace_series(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await self.series_choices(interaction, current)

    @app_commands.command(name=_T("schedule"), description=_desc("schedule"))
    @app_commands.rename(series=_T("series"), season=_T("season"))
    @app_commands.describe(series=_desc("schedule", "series"), season=_desc("schedule", "season"))
    async def schedule(
        self,
        interaction: discord.Interaction,
        series: str | None = None,
        season: app_commands.Range[int, 1900, 2200] | None = None,
    ) -> None:
        await self.answer(interaction, schedule, render.schedule_pages, series=series, season=season)

    @schedule.autocomplete("series")
    async def _schedule_series(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await self.series_choices(interaction, current)

    @app_commands.command(name=_T("race"), description=_desc("race"))
    @app_commands.rename(event=_T("event"))
    @app_commands.describe(event=_desc("race", "event"))
    async def race(self, interaction: discord.Interaction, event: app_commands.Range[str, 1, 200]) -> None:
        await self.answer(interaction, race, render.race_pages, remind=lambda r: r.event, event=event)

    @race.autocomplete("event")
    async def _race_event(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await self.event_choices(interaction, current)

    @app_commands.command(name=_T("lineup"), description=_desc("lineup"))
    @app_commands.rename(event=_T("event"), car_class=_T("class"), team=_T("team"))
    @app_commands.describe(
        event=_desc("lineup", "event"), car_class=_desc("lineup", "class"), team=_desc("lineup", "team")
    )
    async def lineup(
        self,
        interaction: discord.Interaction,
        event: app_commands.Range[str, 1, 200],
        car_class: app_commands.Range[str, 1, 60] | None = None,
        team: app_commands.Range[str, 1, 120] | None = None,
    ) -> None:
        await self.answer(
            interaction, lineup, render.lineup_pages, event=event, car_class=car_class, team=team
        )

    @lineup.autocomplete("event")
    async def _lineup_event(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await self.event_choices(interaction, current)

    async def _entry_choices(
        self, interaction: discord.Interaction, current: str, pick: Callable[[Entry], str | None]
    ) -> list[app_commands.Choice[str]]:
        """Classes or teams of the event already typed in the same command."""
        typed_event = getattr(interaction.namespace, "event", None)
        if not typed_event:
            return []
        try:
            asker = self.asker(interaction)
            event = await asker.resolve_event(str(typed_event))
            names = dict.fromkeys(
                name for e in await asker.store.entries(asker.scope, event.id) if (name := pick(e))
            )
        except AnswerError:
            return []
        except Exception:
            log.exception("autocomplete failed for %r", current)
            return []
        index = NameIndex.build([(n[:100], n, []) for n in names])
        return [app_commands.Choice(name=c.label, value=str(c.value)[:100]) for c in index.choices(current)]

    @lineup.autocomplete("car_class")
    async def _lineup_class(self, interaction: discord.Interaction, current: str) -> Choices:
        return await self._entry_choices(interaction, current, lambda e: e.car_class)

    @lineup.autocomplete("team")
    async def _lineup_team(self, interaction: discord.Interaction, current: str) -> Choices:
        return await self._entry_choices(interaction, current, lambda e: e.team)

    @app_commands.command(name=_T("circuit"), description=_desc("circuit"))
    @app_commands.rename(circuit_name=_T("circuit"))
    @app_commands.describe(circuit_name=_desc("circuit", "circuit"))
    async def circuit(
        self, interaction: discord.Interaction, circuit_name: app_commands.Range[str, 1, 200]
    ) -> None:
        await self.answer(interaction, circuit, render.circuit_pages, circuit=circuit_name)

    @circuit.autocomplete("circuit_name")
    async def _circuit_name(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await self.circuit_choices(interaction, current)

    @app_commands.command(name=_T("driver"), description=_desc("driver"))
    @app_commands.rename(driver_name=_T("driver"))
    @app_commands.describe(driver_name=_desc("driver", "driver"))
    async def driver(
        self, interaction: discord.Interaction, driver_name: app_commands.Range[str, 1, 200]
    ) -> None:
        await self.answer(interaction, driver, render.driver_pages, driver=driver_name)

    @driver.autocomplete("driver_name")
    async def _driver_name(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await self.driver_choices(interaction, current)

    @app_commands.command(name=_T("help"), description=_desc("help"))
    async def help(self, interaction: discord.Interaction) -> None:
        tr = interaction_translator(interaction)
        pages = render.Pages(tr("fanbot answers these commands:"))
        for spec in COMMANDS.values():
            pages.add_field(f"/{spec.name}", f"{tr(spec.description)}\n`{spec.example}`")
        await send_pages(
            interaction,
            pages.finish(tr("Times are shown in your own time zone."), render.page_label(tr)),
            tr,
            ephemeral=True,
        )
