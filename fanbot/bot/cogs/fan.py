"""Fan commands: /nextrace /schedule /race /lineup /circuit /driver /help.

Each handler parses options, calls one answer function and renders the result;
no SQL and no formatting rules live here. They go wherever a fan is (``installs.everywhere``):
a server that added the bot, the bot's DM, and, installed by a fan to their account, any
server, DM or group DM, where they answer from the catalog (``context.reader_scope``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.app_commands import locale_str as _T
from discord.ext import commands

from fanbot.answers.calendar import race, schedule
from fanbot.answers.errors import Ambiguous, AnswerError
from fanbot.answers.nextrace import next_race
from fanbot.answers.people import circuit, driver, lineup
from fanbot.bot import autocomplete as complete
from fanbot.bot.context import fan_asker, interaction_translator, language
from fanbot.bot.embeds import fan as render
from fanbot.bot.installs import everywhere
from fanbot.bot.options import CarClass, Name, Season, TeamName
from fanbot.bot.replies import send, within_deadline
from fanbot.bot.views.paginator import send_pages
from fanbot.bot.views.remind_me import remind_me_button, remindable
from fanbot.bot.views.which_one import send_which_one
from fanbot.commands import COMMANDS
from fanbot.domain.model import Event
from fanbot.i18n import Translate

if TYPE_CHECKING:
    from fanbot.bot.app import FanBot

Renderer = Callable[[Any, Translate, str], list[discord.Embed]]


def _desc(command: str, option: str | None = None) -> _T:
    spec = COMMANDS[command]
    if option is None:
        return _T(spec.description)
    return _T(next(o.description for o in spec.options if o.name == option))


class FanCog(commands.Cog):
    def __init__(self, bot: FanBot) -> None:
        self.bot = bot

    async def answer(
        self,
        interaction: discord.Interaction,
        question: Callable[..., Awaitable[Any]],
        renderer: Renderer,
        *,
        remind: Callable[[Any], Event | None] | None = None,
        **options: Any,
    ) -> None:
        tr, locale = language(interaction)
        try:
            result = await within_deadline(interaction, question(fan_asker(self.bot, interaction), **options))
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

    @everywhere
    @app_commands.command(name=_T("nextrace"), description=_desc("nextrace"))
    @app_commands.rename(series=_T("series"))
    @app_commands.describe(series=_desc("nextrace", "series"))
    @app_commands.autocomplete(series=complete.series)
    async def nextrace(self, interaction: discord.Interaction, series: str | None = None) -> None:
        await self.answer(
            interaction, next_race, render.next_race_pages, remind=lambda r: r.event, series=series
        )

    @everywhere
    @app_commands.command(name=_T("schedule"), description=_desc("schedule"))
    @app_commands.rename(series=_T("series"), season=_T("season"))
    @app_commands.describe(series=_desc("schedule", "series"), season=_desc("schedule", "season"))
    @app_commands.autocomplete(series=complete.series)
    async def schedule(
        self, interaction: discord.Interaction, series: str | None = None, season: Season | None = None
    ) -> None:
        await self.answer(interaction, schedule, render.schedule_pages, series=series, season=season)

    @everywhere
    @app_commands.command(name=_T("race"), description=_desc("race"))
    @app_commands.rename(event=_T("event"))
    @app_commands.describe(event=_desc("race", "event"))
    @app_commands.autocomplete(event=complete.events)
    async def race(self, interaction: discord.Interaction, event: Name) -> None:
        await self.answer(interaction, race, render.race_pages, remind=lambda r: r.event, event=event)

    @everywhere
    @app_commands.command(name=_T("lineup"), description=_desc("lineup"))
    @app_commands.rename(event=_T("event"), car_class=_T("class"), team=_T("team"))
    @app_commands.describe(
        event=_desc("lineup", "event"), car_class=_desc("lineup", "class"), team=_desc("lineup", "team")
    )
    @app_commands.autocomplete(
        event=complete.events, car_class=complete.entry_classes, team=complete.entry_teams
    )
    async def lineup(
        self,
        interaction: discord.Interaction,
        event: Name,
        car_class: CarClass | None = None,
        team: TeamName | None = None,
    ) -> None:
        await self.answer(
            interaction, lineup, render.lineup_pages, event=event, car_class=car_class, team=team
        )

    @everywhere
    @app_commands.command(name=_T("circuit"), description=_desc("circuit"))
    @app_commands.rename(circuit_name=_T("circuit"))
    @app_commands.describe(circuit_name=_desc("circuit", "circuit"))
    @app_commands.autocomplete(circuit_name=complete.circuits)
    async def circuit(self, interaction: discord.Interaction, circuit_name: Name) -> None:
        await self.answer(interaction, circuit, render.circuit_pages, circuit=circuit_name)

    @everywhere
    @app_commands.command(name=_T("driver"), description=_desc("driver"))
    @app_commands.rename(driver_name=_T("driver"))
    @app_commands.describe(driver_name=_desc("driver", "driver"))
    @app_commands.autocomplete(driver_name=complete.drivers)
    async def driver(self, interaction: discord.Interaction, driver_name: Name) -> None:
        await self.answer(interaction, driver, render.driver_pages, driver=driver_name)

    @everywhere
    @app_commands.command(name=_T("help"), description=_desc("help"))
    async def help(self, interaction: discord.Interaction) -> None:
        tr = interaction_translator(interaction)
        await send_pages(interaction, render.help_pages(tr), tr, ephemeral=True)
