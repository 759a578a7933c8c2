"""/entry add|edit|remove and /result set|remove: the entry lists and results of a
server's own events. Written at once (no time moves); a removal is confirmed first."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.app_commands import locale_str as _T

from fanbot.answers import moderation as mod
from fanbot.answers.errors import AnswerError
from fanbot.bot import autocomplete as complete
from fanbot.bot.cogs.moderation.base import MODERATORS, AnyCommand, ModerationCog
from fanbot.bot.context import language
from fanbot.bot.embeds.moderation import entry_line
from fanbot.bot.options import (
    CAR_NUMBER,
    CLASS_OR_OVERALL,
    FINISHING_POSITION,
    OWN_EVENT,
    CarClass,
    CarNumber,
    Description,
    Label,
    Name,
    NameList,
    Position,
    described,
)
from fanbot.bot.permissions import require_moderator
from fanbot.bot.replies import within_deadline
from fanbot.bot.views.confirm import Outcome
from fanbot.i18n import N_
from fanbot.render.lines import result_line, result_place


class LineupsCog(ModerationCog):
    entry_group = app_commands.Group(
        name=_T("entry"),
        description=described(N_("The entry lists of this server's events (moderators).")),
        guild_only=True,
        default_permissions=MODERATORS,
    )
    result_group = app_commands.Group(
        name=_T("result"),
        description=described(N_("Results of this server's events, shown behind spoilers (moderators).")),
        guild_only=True,
        default_permissions=MODERATORS,
    )

    def completions(self, command: AnyCommand) -> dict[str, complete.Completer]:
        """Besides the event: its classes (with Overall), and its cars, except for a car to add."""
        table = {**super().completions(command), "car_class": complete.classes_and_overall}
        group = command.parent.name if command.parent else None
        if group == "entry" and command.name != "add":
            table["number"] = complete.car_numbers
        return table

    # ------------------------------------------------------------ /entry

    @entry_group.command(name=_T("add"), description=described(N_("Add a car to an event's entry list.")))
    @app_commands.rename(
        event=_T("event"),
        number=_T("number"),
        car_class=_T("class"),
        team=_T("team"),
        car=_T("car"),
        drivers=_T("drivers"),
    )
    @app_commands.describe(
        event=described(OWN_EVENT),
        number=described(CAR_NUMBER),
        car_class=described(N_("The class, e.g. Hypercar or LMGT3")),
        team=described(N_("The team")),
        car=described(N_("The car, e.g. Porsche 963")),
        drivers=described(N_("The drivers, separated by commas")),
    )
    @app_commands.check(require_moderator)
    async def entry_add(
        self,
        interaction: discord.Interaction,
        event: Name,
        number: CarNumber,
        car_class: CarClass | None = None,
        team: Label | None = None,
        car: Label | None = None,
        drivers: NameList | None = None,
    ) -> None:
        tr, _ = language(interaction)
        await self._written(
            interaction,
            mod.add_entry(
                self.asker(interaction),
                by=interaction.user.id,
                event=event,
                number=number,
                car_class=car_class,
                team=team,
                car=car,
                drivers=drivers,
            ),
            lambda r: tr("Added to {event}: {entry}", event=r[0].display_name, entry=entry_line(r[1], tr)),
        )

    @entry_group.command(
        name=_T("edit"), description=described(N_("Change an entry of an event's entry list."))
    )
    @app_commands.rename(
        event=_T("event"),
        number=_T("number"),
        new_number=_T("new_number"),
        car_class=_T("class"),
        team=_T("team"),
        car=_T("car"),
        drivers=_T("drivers"),
    )
    @app_commands.describe(
        event=described(OWN_EVENT),
        number=described(CAR_NUMBER),
        new_number=described(N_("A new car number")),
        car_class=described(N_("The class (- to remove)")),
        team=described(N_("The team (- to remove)")),
        car=described(N_("The car (- to remove)")),
        drivers=described(N_("The drivers, separated by commas (- to remove)")),
    )
    @app_commands.check(require_moderator)
    async def entry_edit(
        self,
        interaction: discord.Interaction,
        event: Name,
        number: CarNumber,
        new_number: CarNumber | None = None,
        car_class: CarClass | None = None,
        team: Label | None = None,
        car: Label | None = None,
        drivers: NameList | None = None,
    ) -> None:
        tr, _ = language(interaction)
        await self._written(
            interaction,
            mod.edit_entry(
                self.asker(interaction),
                by=interaction.user.id,
                event=event,
                number=number,
                new_number=new_number,
                car_class=car_class,
                team=team,
                car=car,
                drivers=drivers,
            ),
            lambda r: tr("Changed in {event}: {entry}", event=r[0].display_name, entry=entry_line(r[1], tr)),
        )

    @entry_group.command(
        name=_T("remove"), description=described(N_("Remove a car from an event's entry list."))
    )
    @app_commands.rename(event=_T("event"), number=_T("number"))
    @app_commands.describe(event=described(OWN_EVENT), number=described(CAR_NUMBER))
    @app_commands.check(require_moderator)
    async def entry_remove(
        self,
        interaction: discord.Interaction,
        event: Name,
        number: CarNumber,
    ) -> None:
        tr, _ = language(interaction)
        asker = self.asker(interaction)
        try:
            removal = await within_deadline(
                interaction, mod.plan_entry_remove(asker, event=event, number=number)
            )
        except AnswerError as exc:
            await self._refuse(interaction, exc)
            return
        user_id = interaction.user.id

        async def commit() -> Outcome:
            await mod.commit_entry_remove(asker, removal, by=user_id)
            return Outcome(
                tr(
                    "🗑️ Removed {entry} from {event}.",
                    entry=removal.entry.number_label,
                    event=removal.event.display_name,
                )
            )

        title = tr(
            "Remove {entry} from {event}?",
            entry=removal.entry.number_label,
            event=removal.event.display_name,
        )
        await self._confirm_removal(interaction, title, entry_line(removal.entry, tr), commit)

    # ------------------------------------------------------------ /result

    @result_group.command(
        name=_T("set"), description=described(N_("Record a finishing position in a class."))
    )
    @app_commands.rename(
        event=_T("event"),
        car_class=_T("class"),
        position=_T("position"),
        number=_T("number"),
        description=_T("description"),
    )
    @app_commands.describe(
        event=described(OWN_EVENT),
        car_class=described(CLASS_OR_OVERALL),
        position=described(FINISHING_POSITION),
        number=described(N_("The car number (its entry describes it if no description is given)")),
        description=described(N_("Who finished there, e.g. Team Car (A / B / C)")),
    )
    @app_commands.check(require_moderator)
    async def result_set(
        self,
        interaction: discord.Interaction,
        event: Name,
        car_class: CarClass,
        position: Position,
        number: CarNumber | None = None,
        description: Description | None = None,
    ) -> None:
        tr, _ = language(interaction)
        await self._written(
            interaction,
            mod.set_result(
                self.asker(interaction),
                by=interaction.user.id,
                event=event,
                car_class=car_class,
                position=position,
                number=number,
                description=description,
            ),
            lambda r: tr(
                "Recorded for {event}: {result}",
                event=r[0].display_name,
                result=result_line(r[1], tr, spoiler=True),
            ),
        )

    @result_group.command(
        name=_T("remove"), description=described(N_("Remove a recorded finishing position."))
    )
    @app_commands.rename(event=_T("event"), car_class=_T("class"), position=_T("position"))
    @app_commands.describe(
        event=described(OWN_EVENT),
        car_class=described(CLASS_OR_OVERALL),
        position=described(FINISHING_POSITION),
    )
    @app_commands.check(require_moderator)
    async def result_remove(
        self,
        interaction: discord.Interaction,
        event: Name,
        car_class: CarClass,
        position: Position,
    ) -> None:
        tr, _ = language(interaction)
        asker = self.asker(interaction)
        try:
            removal = await within_deadline(
                interaction,
                mod.plan_result_remove(asker, event=event, car_class=car_class, position=position),
            )
        except AnswerError as exc:
            await self._refuse(interaction, exc)
            return
        user_id = interaction.user.id
        shown = result_place(removal.result)

        async def commit() -> Outcome:
            await mod.commit_result_remove(asker, removal, by=user_id)
            return Outcome(tr("Removed {result} of {event}.", result=shown, event=removal.event.display_name))

        title = tr("Remove {entry} from {event}?", entry=shown, event=removal.event.display_name)
        await self._confirm_removal(interaction, title, result_line(removal.result, tr, spoiler=True), commit)
