"""/event add|edit|postpone|cancel|remove|history|import and /session add|edit|remove:
a server's own events and their sessions, each change previewed before it is written."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.app_commands import locale_str as _T

from fanbot.answers import moderation as mod
from fanbot.answers.errors import AnswerError
from fanbot.bot.cogs.moderation.base import MODERATORS, ModerationCog
from fanbot.bot.context import language
from fanbot.bot.embeds.moderation import history_pages, import_embed
from fanbot.bot.options import (
    CIRCUIT_NAME,
    KIND_CHOICES,
    OTHER_ZONE,
    OWN_EVENT,
    RACE_LENGTH,
    SERIES,
    STATUS_CHOICES,
    WHICH_SESSION,
    Duration,
    Name,
    Notes,
    Season,
    SeriesCode,
    ShortText,
    Url,
    When,
    Zone,
    described,
)
from fanbot.bot.permissions import require_moderator
from fanbot.bot.replies import send, within_deadline
from fanbot.bot.views.confirm import ConfirmView, Outcome
from fanbot.bot.views.paginator import send_pages
from fanbot.domain.limits import IMPORT_MAX_BYTES
from fanbot.i18n import N_


class EventsCog(ModerationCog):
    event_group = app_commands.Group(
        name=_T("event"),
        description=described(N_("Manage this server's own events (moderators).")),
        guild_only=True,
        default_permissions=MODERATORS,
    )
    session_group = app_commands.Group(
        name=_T("session"),
        description=described(N_("The sessions of this server's events (moderators).")),
        guild_only=True,
        default_permissions=MODERATORS,
    )

    # ------------------------------------------------------------ /event

    @event_group.command(
        name=_T("add"), description=described(N_("Add an event; times are the circuit's local time."))
    )
    @app_commands.rename(
        name=_T("name"),
        series=_T("series"),
        circuit=_T("circuit"),
        race=_T("race"),
        qualifying=_T("qualifying"),
        practice=_T("practice"),
        duration=_T("duration"),
        season=_T("season"),
        info_url=_T("info_url"),
        watch_url=_T("watch_url"),
        timezone=_T("timezone"),
    )
    @app_commands.describe(
        name=described(N_("The event's name, e.g. 6 Hours of Spa")),
        series=described(SERIES),
        circuit=described(CIRCUIT_NAME),
        race=described(N_("Race start, circuit time: 2027-06-12 16:00 (or only the date if not announced)")),
        qualifying=described(N_("Qualifying start, circuit time: 2027-06-10 19:00")),
        practice=described(N_("First practice start, circuit time: 2027-06-09 14:00")),
        duration=described(RACE_LENGTH),
        season=described(N_("The season (default: the race's year)")),
        info_url=described(N_("A page about the event (https://...)")),
        watch_url=described(N_("Where to watch it (https://...)")),
        timezone=described(OTHER_ZONE),
    )
    @app_commands.check(require_moderator)
    async def event_add(
        self,
        interaction: discord.Interaction,
        name: Name,
        series: SeriesCode,
        circuit: Name,
        race: When,
        qualifying: When | None = None,
        practice: When | None = None,
        duration: Duration | None = None,
        season: Season | None = None,
        info_url: Url | None = None,
        watch_url: Url | None = None,
        timezone: Zone | None = None,
    ) -> None:
        await self._preview(
            interaction,
            mod.plan_event_add(
                self.asker(interaction),
                name=name,
                series=series,
                circuit=circuit,
                race=race,
                qualifying=qualifying,
                practice=practice,
                duration=duration,
                season=season,
                info_url=info_url,
                watch_url=watch_url,
                timezone=timezone,
            ),
        )

    @event_group.command(
        name=_T("edit"), description=described(N_("Change any field of an event, or move a session."))
    )
    @app_commands.rename(
        event=_T("event"),
        name=_T("name"),
        series=_T("series"),
        circuit=_T("circuit"),
        race=_T("race"),
        qualifying=_T("qualifying"),
        practice=_T("practice"),
        duration=_T("duration"),
        season=_T("season"),
        length=_T("length"),
        status=_T("status"),
        info_url=_T("info_url"),
        watch_url=_T("watch_url"),
        timezone=_T("timezone"),
    )
    @app_commands.describe(
        event=described(OWN_EVENT),
        name=described(N_("A new name")),
        series=described(SERIES),
        circuit=described(N_("Another circuit (times stay the same instants)")),
        race=described(N_("New race start, circuit time: 2027-06-12 16:00")),
        qualifying=described(N_("New qualifying start, circuit time")),
        practice=described(N_("New first practice start, circuit time")),
        duration=described(RACE_LENGTH),
        season=described(N_("The season (year)")),
        length=described(N_("Length as fans say it, e.g. 6 hours (- to remove)")),
        status=described(N_("scheduled, postponed or cancelled")),
        info_url=described(N_("A page about the event (https://..., - to remove)")),
        watch_url=described(N_("Where to watch it (https://..., - to remove)")),
        timezone=described(OTHER_ZONE),
    )
    @app_commands.choices(status=STATUS_CHOICES)
    @app_commands.check(require_moderator)
    async def event_edit(
        self,
        interaction: discord.Interaction,
        event: Name,
        name: Name | None = None,
        series: SeriesCode | None = None,
        circuit: Name | None = None,
        race: When | None = None,
        qualifying: When | None = None,
        practice: When | None = None,
        duration: Duration | None = None,
        season: Season | None = None,
        length: ShortText | None = None,
        status: app_commands.Choice[str] | None = None,
        info_url: Url | None = None,
        watch_url: Url | None = None,
        timezone: Zone | None = None,
    ) -> None:
        await self._preview(
            interaction,
            mod.plan_event_edit(
                self.asker(interaction),
                event=event,
                name=name,
                series=series,
                circuit=circuit,
                race=race,
                qualifying=qualifying,
                practice=practice,
                duration=duration,
                season=season,
                length=length,
                status=status.value if status else None,
                info_url=info_url,
                watch_url=watch_url,
                timezone=timezone,
            ),
        )

    @event_group.command(
        name=_T("postpone"),
        description=described(N_("Postpone an event: to a new race date, or with no date yet.")),
    )
    @app_commands.rename(event=_T("event"), race=_T("race"), timezone=_T("timezone"))
    @app_commands.describe(
        event=described(OWN_EVENT),
        race=described(N_("New race start, circuit time (the other sessions move as many days)")),
        timezone=described(OTHER_ZONE),
    )
    @app_commands.check(require_moderator)
    async def event_postpone(
        self,
        interaction: discord.Interaction,
        event: Name,
        race: When | None = None,
        timezone: Zone | None = None,
    ) -> None:
        await self._preview(
            interaction, mod.plan_postpone(self.asker(interaction), event=event, race=race, timezone=timezone)
        )

    @event_group.command(
        name=_T("cancel"), description=described(N_("Mark an event cancelled (it stays listed)."))
    )
    @app_commands.rename(event=_T("event"))
    @app_commands.describe(event=described(OWN_EVENT))
    @app_commands.check(require_moderator)
    async def event_cancel(self, interaction: discord.Interaction, event: Name) -> None:
        await self._preview(interaction, mod.plan_cancel(self.asker(interaction), event=event))

    @event_group.command(
        name=_T("remove"),
        description=described(N_("Remove an event with its sessions, entries and results.")),
    )
    @app_commands.rename(event=_T("event"))
    @app_commands.describe(event=described(OWN_EVENT))
    @app_commands.check(require_moderator)
    async def event_remove(self, interaction: discord.Interaction, event: Name) -> None:
        await self._preview(interaction, mod.plan_remove(self.asker(interaction), event=event))

    @event_group.command(
        name=_T("history"), description=described(N_("Who changed an event, when, and how."))
    )
    @app_commands.rename(event=_T("event"))
    @app_commands.describe(event=described(N_("One of this server's events (removed ones too)")))
    @app_commands.check(require_moderator)
    async def event_history(self, interaction: discord.Interaction, event: Name) -> None:
        tr, _ = language(interaction)
        try:
            history = await within_deadline(
                interaction, mod.event_history(self.asker(interaction), event=event), ephemeral=True
            )
        except AnswerError as exc:
            await self._refuse(interaction, exc)
            return
        await send_pages(interaction, history_pages(history, tr), tr, ephemeral=True)

    @event_group.command(
        name=_T("import"),
        description=described(N_("Import events from a .csv, .ics or .json file (preview first).")),
    )
    @app_commands.rename(file=_T("file"), series=_T("series"))
    @app_commands.describe(
        file=described(N_("The calendar file, at most 1 MB")),
        series=described(N_("The series of events in an .ics file that fanbot did not make")),
    )
    @app_commands.check(require_moderator)
    async def event_import(
        self,
        interaction: discord.Interaction,
        file: discord.Attachment,
        series: SeriesCode | None = None,
    ) -> None:
        tr, locale = language(interaction)
        asker = self.asker(interaction)
        user_id = interaction.user.id
        guild_id = interaction.guild_id
        assert guild_id is not None

        async def read_and_plan() -> mod.ImportPlan:
            # The size is known before downloading: a huge file is refused unread.
            data = b"" if file.size > IMPORT_MAX_BYTES else await file.read()
            return await mod.plan_import(
                asker, filename=file.filename, data=data, series=series, size=file.size
            )

        try:
            plan = await within_deadline(interaction, read_and_plan())
        except AnswerError as exc:
            await self._refuse(interaction, exc)
            return
        except discord.HTTPException:
            await send(
                interaction,
                content=tr("I could not download that file; please send it again."),
                ephemeral=True,
            )
            return

        async def commit() -> Outcome:
            done = await mod.commit_import(asker, plan, by=user_id)
            after = {e.key: e for e in done.after}

            async def then() -> None:
                for before in done.before:
                    await self._changed(guild_id, before, after.get(before.key))

            text = tr(
                "✅ Imported {name}: {new} new, {changed} changed, {unchanged} unchanged events.",
                name=plan.filename,
                new=len(plan.new),
                changed=len(plan.changed),
                unchanged=plan.unchanged,
            )
            return Outcome(text, [], then)

        view = ConfirmView(self.bot, user_id, tr, locale, commit)
        view.message = await send(interaction, embeds=[import_embed(plan, tr)], view=view)

    # ------------------------------------------------------------ /session

    @session_group.command(
        name=_T("add"), description=described(N_("Add a session to an event (circuit time)."))
    )
    @app_commands.rename(
        event=_T("event"),
        kind=_T("kind"),
        start=_T("start"),
        duration=_T("duration"),
        notes=_T("notes"),
        timezone=_T("timezone"),
    )
    @app_commands.describe(
        event=described(OWN_EVENT),
        kind=described(N_("practice, qualifying, race, ...")),
        start=described(N_("Start, circuit time: 2027-06-10 14:00 (or only the date)")),
        duration=described(N_("Length: 90, 1h30 or 6h")),
        notes=described(N_("A short note shown with the session")),
        timezone=described(OTHER_ZONE),
    )
    @app_commands.choices(kind=KIND_CHOICES)
    @app_commands.check(require_moderator)
    async def session_add(
        self,
        interaction: discord.Interaction,
        event: Name,
        kind: app_commands.Choice[str],
        start: When,
        duration: Duration | None = None,
        notes: Notes | None = None,
        timezone: Zone | None = None,
    ) -> None:
        await self._preview(
            interaction,
            mod.plan_session_add(
                self.asker(interaction),
                event=event,
                kind=kind.value,
                start=start,
                duration=duration,
                notes=notes,
                timezone=timezone,
            ),
        )

    @session_group.command(
        name=_T("edit"), description=described(N_("Move a session, or change its length."))
    )
    @app_commands.rename(
        event=_T("event"),
        session=_T("session"),
        start=_T("start"),
        duration=_T("duration"),
        notes=_T("notes"),
        timezone=_T("timezone"),
    )
    @app_commands.describe(
        event=described(OWN_EVENT),
        session=described(WHICH_SESSION),
        start=described(N_("New start, circuit time: 2027-06-10 14:00 (or only the date)")),
        duration=described(N_("Length: 90, 1h30 or 6h (- to remove)")),
        notes=described(N_("A short note (- to remove)")),
        timezone=described(OTHER_ZONE),
    )
    @app_commands.check(require_moderator)
    async def session_edit(
        self,
        interaction: discord.Interaction,
        event: Name,
        session: ShortText,
        start: When | None = None,
        duration: Duration | None = None,
        notes: Notes | None = None,
        timezone: Zone | None = None,
    ) -> None:
        await self._preview(
            interaction,
            mod.plan_session_edit(
                self.asker(interaction),
                event=event,
                session=session,
                start=start,
                duration=duration,
                notes=notes,
                timezone=timezone,
            ),
        )

    @session_group.command(name=_T("remove"), description=described(N_("Remove a session from an event.")))
    @app_commands.rename(event=_T("event"), session=_T("session"))
    @app_commands.describe(event=described(OWN_EVENT), session=described(WHICH_SESSION))
    @app_commands.check(require_moderator)
    async def session_remove(
        self,
        interaction: discord.Interaction,
        event: Name,
        session: ShortText,
    ) -> None:
        await self._preview(
            interaction, mod.plan_session_remove(self.asker(interaction), event=event, session=session)
        )
