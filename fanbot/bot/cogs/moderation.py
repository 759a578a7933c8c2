"""Moderator commands: a guild's own events, sessions, line-ups and results (issue 4).

/event add|edit|postpone|cancel|remove|history|import, /session add|edit|remove,
/entry add|edit|remove, /result set|remove, /calendar export|add-circuit and
/fanbot settings moderator-role.

Handlers parse options, call one answer function (fanbot.answers.moderation)
and render. A change that moves a time, the status or removes something is
shown as a preview with Confirm / Cancel buttons for the moderator who asked:
nothing is written before Confirm. Entries, results and circuits are written
at once (no time moves) and are in the audit log like everything else.
"""

from __future__ import annotations

import asyncio
import functools
import io
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import discord
import pytz
from discord import app_commands
from discord.app_commands import locale_str as _T
from discord.ext import commands
from discord.utils import format_dt

from fanbot.answers import moderation as mod
from fanbot.answers.context import Asker, choice_value
from fanbot.answers.errors import AnswerError
from fanbot.bot.permissions import is_moderator, require_moderator
from fanbot.bot.replies import NO_MENTIONS, send, send_pages, within_deadline
from fanbot.bot.tree import interaction_translator
from fanbot.domain.labels import SESSION_KIND, STATUS_IN_SENTENCE, STATUS_SHOUTED
from fanbot.domain.limits import IMPORT_MAX_BYTES
from fanbot.domain.model import Event, EventStatus, Session, SessionKind
from fanbot.i18n import N_, Translate, format_day, format_local, pick_locale
from fanbot.render.embed import COLOUR, Pages, clip, page_label
from fanbot.render.words import car_number
from fanbot.store import Scope

if TYPE_CHECKING:
    from fanbot.bot.app import FanBot

log = logging.getLogger(__name__)

# Long enough to read a preview; inside the 15 minutes an interaction token lets us edit it.
PREVIEW_TIMEOUT = 600.0
MAX_CHOICES = 25
# Names listed in an import preview; the counts above them are always complete.
IMPORT_LISTED = 25
# Commands are hidden from members without this; the check still runs on every call.
MODERATORS = discord.Permissions(manage_events=True)

Choices = list[app_commands.Choice[str]]

TITLES = {
    "event.add": N_("Add {name}?"),
    "event.edit": N_("Change {name}?"),
    "event.postpone": N_("Postpone {name}?"),
    "event.cancel": N_("Cancel {name}?"),
    "event.remove": N_("Remove {name}?"),
    "session.add": N_("Add a session to {name}?"),
    "session.edit": N_("Move a session of {name}?"),
    "session.remove": N_("Remove a session of {name}?"),
}
DONE = {
    "event.add": N_("✅ Added {name}. Fans of this server now see it in /nextrace, /schedule and /race."),
    "event.edit": N_("✅ Saved the changes to {name}."),
    "event.postpone": N_("✅ {name} is marked postponed."),
    "event.cancel": N_("✅ {name} is marked cancelled; no reminder will be sent for it."),
    "event.remove": N_("🗑️ Removed {name}."),
    "session.add": N_("✅ Added the session to {name}."),
    "session.edit": N_("✅ Moved the session of {name}."),
    "session.remove": N_("🗑️ Removed the session of {name}."),
}
KIND_CHOICES = [
    app_commands.Choice(name=label, value=kind.value)
    for kind, label in (
        (SessionKind.PRACTICE, "practice"),
        (SessionKind.QUALIFYING, "qualifying"),
        (SessionKind.HYPERPOLE, "hyperpole"),
        (SessionKind.WARMUP, "warm-up"),
        (SessionKind.RACE, "race"),
        (SessionKind.OTHER, "other"),
    )
]
STATUS_CHOICES = [app_commands.Choice(name=s.value, value=s.value) for s in EventStatus]


# ---------------------------------------------------------------------------- rendering


def kind_key_label(key: str, tr: Translate) -> str:
    """ "practice-2" -> "Practice 2", in the reader's language."""
    base, _, number = key.partition("-")
    try:
        kind = SessionKind(base)
    except ValueError:
        return key
    return tr(SESSION_KIND[kind]) + (f" {number}" if number.isdigit() else "")


def duration_text(minutes: int, tr: Translate) -> str:
    hours, rest = divmod(minutes, 60)
    if hours and rest:
        return tr("{hours} h {minutes} min", hours=hours, minutes=rest)
    return f"{hours} h" if hours else tr("{minutes} min", minutes=rest)


def _when_line(start: Any, day: Any, zone: str, tr: Translate, locale: str) -> str:
    if start is not None:
        # The circuit's wall clock (what the organiser publishes) and the reader's own time.
        return f"{format_local(start, zone, locale)} · {format_dt(start, 'F')} ({format_dt(start, 'R')})"
    if day is not None:
        return f"{format_day(day, locale)}, " + tr("time TBA")
    return tr("date TBA")


def session_line(s: mod.PlannedSession | Session, zone: str, tr: Translate, locale: str) -> str:
    duration = s.duration if isinstance(s, mod.PlannedSession) else s.duration_minutes
    length = f" · {duration_text(duration, tr)}" if duration else ""
    return f"**{mod.session_name(s, tr)}** — {_when_line(s.start, s.local_date, zone, tr, locale)}{length}"


def _heading(
    series: str, circuit_name: str, zone: str, season: int, status: EventStatus, tr: Translate
) -> list[str]:
    lines = [
        tr("Series: {series}", series=series),
        tr("Circuit: {name}", name=circuit_name) + f" ({zone})",
        tr("Season {season}", season=season),
    ]
    if status is not EventStatus.SCHEDULED:
        lines.append(f"**{tr(STATUS_SHOUTED[status])}**")
    return lines


def _status_in_sentence(value: str) -> str:
    try:
        return STATUS_IN_SENTENCE[EventStatus(value)]
    except ValueError:
        return value


def change_line(change: mod.Change, tr: Translate) -> str:
    """ "Status: scheduled → postponed", in the reader's language."""
    if change.session:
        label = kind_key_label(change.label, tr)
    else:
        label = tr(change.label)
    before, after = change.before, change.after
    if change.label == mod.STATUS_LABEL:
        before, after = (tr(_status_in_sentence(v)) for v in (before, after))
    return f"{label}: {before} → {after}"


def plan_embed(plan: mod.EventPlan, tr: Translate, locale: str) -> discord.Embed:
    """The preview: the event as it would be, each session in the circuit's time and the reader's."""
    lines = _heading(plan.series.code, plan.circuit.name, plan.zone, plan.season, plan.status, tr)
    for label, url in ((N_("Info"), plan.info_url), (N_("Watch"), plan.watch_url)):
        if url:
            lines.append(f"{tr(label)}: {url}")
    if plan.removing:
        lines.append(
            "\n"
            + tr(
                "This removes the event with its sessions, entry list and results; reminders of it "
                "stop. It cannot be undone."
            )
        )
    pages = Pages(tr(TITLES[plan.action], name=plan.name), "\n".join(lines))
    if plan.changes:
        pages.add_lines(tr("Changes"), [change_line(c, tr) for c in plan.changes], tr("(continued)"))
    session_lines = []
    for s in plan.sessions:
        line = session_line(s, plan.zone, tr, locale)
        if plan.before is not None and s.changed and not plan.removing:
            was = s.was
            line = "✏️ " + line
            if was is not None:
                line += "\n　" + tr(
                    "was: {when}", when=_when_line(was.start, was.local_date, plan.zone, tr, locale)
                )
        session_lines.append(line)
    heading = tr("Sessions (circuit time · your time)")
    if not plan.removing:
        pages.add_lines(heading, session_lines or ["—"], tr("(continued)"))
    removed = [session_line(s, plan.zone, tr, locale) for s in plan.removed_sessions]
    if removed:
        pages.add_lines(tr("Removed"), removed, tr("(continued)"))
    checks = [f"⚠️ {w.render(tr)}" for w in plan.warnings if w.check]
    if checks:
        pages.add_lines(tr("Check before confirming"), checks, "")
    notes = [f"ℹ️ {w.render(tr)}" for w in plan.warnings if not w.check]
    if notes:
        pages.add_lines(tr("Note"), notes, "")
    footer = tr("Nothing is saved until you press Confirm. The buttons expire in 10 minutes.")
    return pages.finish(footer, page_label(tr))[0]


def event_embed(event: Event, tr: Translate, locale: str, title: str | None = None) -> discord.Embed:
    """An event as it is stored now (after a save, or when someone changed it meanwhile)."""
    zone = event.circuit.timezone
    lines = _heading(event.series.code, event.circuit.name, zone, event.season, event.status, tr)
    pages = Pages(title or event.display_name, "\n".join(lines))
    pages.add_lines(
        tr("Sessions (circuit time · your time)"),
        [session_line(s, zone, tr, locale) for s in event.sessions] or ["—"],
        tr("(continued)"),
    )
    return pages.finish(None, page_label(tr))[0]


def error_embeds(exc: AnswerError, tr: Translate, locale: str) -> list[discord.Embed]:
    if isinstance(exc, mod.ChangedMeanwhile):
        return [event_embed(exc.current, tr, locale, tr("Now: {name}", name=exc.current.display_name))]
    return []


# ---------------------------------------------------------------------------- confirmation


@dataclass
class Outcome:
    """What a confirmed change shows, and what to do once it is shown."""

    content: str
    embeds: list[discord.Embed] = field(default_factory=list)
    then: Callable[[], Awaitable[None]] | None = None


class ConfirmView(discord.ui.View):
    """Confirm / Cancel for the moderator who asked; expires (buttons removed) after 10 minutes."""

    def __init__(
        self,
        bot: FanBot,
        owner_id: int,
        tr: Translate,
        locale: str,
        action: Callable[[], Awaitable[Outcome]],
        *,
        danger: bool = False,
        warned: bool = False,
        confirm_label: str | None = None,
        timeout: float = PREVIEW_TIMEOUT,
    ) -> None:
        super().__init__(timeout=timeout)
        self.bot = bot
        self.owner_id = owner_id
        self.tr = tr
        self.locale = locale
        self.action = action
        self.finished = False
        self.message: discord.Message | discord.InteractionMessage | None = None
        if confirm_label is not None:
            self.confirm.label = tr(confirm_label)
        else:
            self.confirm.label = tr("Confirm anyway") if warned else tr("Confirm")
        self.confirm.style = discord.ButtonStyle.danger if danger else discord.ButtonStyle.success
        self.cancel.label = tr("Cancel")

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if interaction.user.id != self.owner_id:
            await interaction.response.send_message(
                self.tr("Only the moderator who asked can confirm or cancel this."), ephemeral=True
            )
            return False
        # Ten minutes is long enough for a moderator role to be taken away.
        if not await is_moderator(self.bot, interaction):
            await interaction.response.send_message(
                self.tr(
                    "Only this server's moderators can do this: members with the Manage Events "
                    "permission or the moderator role."
                ),
                ephemeral=True,
            )
            return False
        return True

    async def on_timeout(self) -> None:
        if self.finished or self.message is None:
            return
        try:
            await self.message.edit(
                content=self.tr("This preview expired: nothing was saved. Run the command again."), view=None
            )
        except discord.HTTPException:
            log.debug("could not remove expired confirmation buttons", exc_info=True)

    @discord.ui.button(label="Confirm", style=discord.ButtonStyle.success)
    async def confirm(self, interaction: discord.Interaction, _: discord.ui.Button[ConfirmView]) -> None:
        if self.finished:
            return
        self.finished = True
        self.stop()
        task = asyncio.ensure_future(self.action())
        done, _pending = await asyncio.wait({task}, timeout=2.0)
        if not done:
            await interaction.response.defer()
        try:
            outcome = await task
        except AnswerError as exc:
            outcome = Outcome(exc.render(self.tr), error_embeds(exc, self.tr, self.locale))
        except Exception:
            log.exception("a confirmed change failed")
            outcome = Outcome(
                self.tr("Sorry, something went wrong on our side. It has been logged; please try again.")
            )
        content = clip(outcome.content, 2000)
        if interaction.response.is_done():
            await interaction.edit_original_response(content=content, embeds=outcome.embeds, view=None)
        else:
            await interaction.response.edit_message(content=content, embeds=outcome.embeds, view=None)
        if outcome.then is not None:
            await outcome.then()

    @discord.ui.button(label="Cancel", style=discord.ButtonStyle.secondary)
    async def cancel(self, interaction: discord.Interaction, _: discord.ui.Button[ConfirmView]) -> None:
        self.finished = True
        self.stop()
        await interaction.response.edit_message(
            content=self.tr("Cancelled: nothing was changed."), embeds=[], view=None
        )


# ---------------------------------------------------------------------------- the cog


def _d(text: str) -> _T:
    """A description, translated from the .po catalogs by its English text."""
    return _T(text)


class ModerationCog(commands.Cog):
    event_group = app_commands.Group(
        name=_T("event"),
        description=_d(N_("Manage this server's own events (moderators).")),
        guild_only=True,
        default_permissions=MODERATORS,
    )
    session_group = app_commands.Group(
        name=_T("session"),
        description=_d(N_("The sessions of this server's events (moderators).")),
        guild_only=True,
        default_permissions=MODERATORS,
    )
    entry_group = app_commands.Group(
        name=_T("entry"),
        description=_d(N_("The entry lists of this server's events (moderators).")),
        guild_only=True,
        default_permissions=MODERATORS,
    )
    result_group = app_commands.Group(
        name=_T("result"),
        description=_d(N_("Results of this server's events, shown behind spoilers (moderators).")),
        guild_only=True,
        default_permissions=MODERATORS,
    )
    calendar_group = app_commands.Group(
        name=_T("calendar"),
        description=_d(N_("Calendar files and circuits for this server (moderators).")),
        guild_only=True,
        default_permissions=MODERATORS,
    )
    fanbot_group = app_commands.Group(
        name=_T("fanbot"),
        description=_d(N_("fanbot's settings for this server (admins).")),
        guild_only=True,
        default_permissions=discord.Permissions(manage_guild=True),
    )
    settings_group = app_commands.Group(
        name=_T("settings"), description=_d(N_("Settings for this server.")), parent=fanbot_group
    )

    def __init__(self, bot: FanBot) -> None:
        self.bot = bot

    def asker(self, interaction: discord.Interaction) -> Asker:
        return Asker(self.bot.store, Scope(interaction.guild_id), self.bot.clock, self.bot.lookups)

    @staticmethod
    def _language(interaction: discord.Interaction) -> tuple[Translate, str]:
        return interaction_translator(interaction), pick_locale(interaction.locale, interaction.guild_locale)

    # ------------------------------------------------------------ shared flows

    async def _refuse(self, interaction: discord.Interaction, exc: AnswerError) -> None:
        tr, locale = self._language(interaction)
        if isinstance(exc, mod.ImportRefused):
            pages = Pages(tr(exc.message, **exc.fields))
            pages.add_lines(tr("Problems"), [f"• {p}" for p in exc.shown_problems(tr)], tr("(continued)"))
            await send_pages(interaction, pages.finish(None, page_label(tr)), tr, ephemeral=True)
            return
        await send(
            interaction,
            content=clip(exc.render(tr), 2000),
            embeds=error_embeds(exc, tr, locale),
            ephemeral=True,
        )

    async def _preview(self, interaction: discord.Interaction, work: Awaitable[mod.EventPlan]) -> None:
        """Show a plan with Confirm / Cancel; write it only when its moderator confirms."""
        tr, locale = self._language(interaction)
        try:
            plan = await within_deadline(interaction, work)
        except AnswerError as exc:
            await self._refuse(interaction, exc)
            return
        asker = self.asker(interaction)
        user_id = interaction.user.id
        guild_id = interaction.guild_id
        assert guild_id is not None

        async def commit() -> Outcome:
            after = await mod.commit_event(asker, plan, by=user_id)
            done = tr(DONE[plan.action], name=plan.name)
            embeds = [event_embed(after, tr, locale)] if after is not None else []
            then = None
            if plan.before is not None and plan.moves_times:
                before = plan.before
                then = functools.partial(self._changed, guild_id, before, after)
            return Outcome(done, embeds, then)

        view = ConfirmView(
            self.bot,
            user_id,
            tr,
            locale,
            commit,
            danger=plan.action.endswith("remove") or plan.action == "event.cancel",
            warned=any(w.check for w in plan.warnings),
            confirm_label=next((w.confirm_label for w in plan.warnings if w.confirm_label), None),
        )
        view.message = await send(interaction, embeds=[plan_embed(plan, tr, locale)], view=view)

    async def _changed(self, guild_id: int, before: Event, after: Event | None) -> None:
        """Reminders follow the change; corrections go where fans were already told."""
        try:
            await self.bot.event_changed(guild_id, before, after)
        except Exception:
            log.exception("could not pass on the change to %s", before.key)

    async def _written(
        self, interaction: discord.Interaction, work: Awaitable[Any], reply: Callable[[Any], str]
    ) -> None:
        """A change written at once: the reply says what is now stored (to the moderator alone)."""
        try:
            result = await within_deadline(interaction, work, ephemeral=True)
        except AnswerError as exc:
            await self._refuse(interaction, exc)
            return
        await send(interaction, content=clip(reply(result), 2000), ephemeral=True)

    # ------------------------------------------------------------ /event

    @event_group.command(
        name=_T("add"), description=_d(N_("Add an event; times are the circuit's local time."))
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
        name=_d(N_("The event's name, e.g. 6 Hours of Spa")),
        series=_d(N_("The series (WEC, IMSA, ...)")),
        circuit=_d(N_("The circuit's name")),
        race=_d(N_("Race start, circuit time: 2027-06-12 16:00 (or only the date if not announced)")),
        qualifying=_d(N_("Qualifying start, circuit time: 2027-06-10 19:00")),
        practice=_d(N_("First practice start, circuit time: 2027-06-09 14:00")),
        duration=_d(N_("Race length: 360, 6h or 1h30")),
        season=_d(N_("The season (default: the race's year)")),
        info_url=_d(N_("A page about the event (https://...)")),
        watch_url=_d(N_("Where to watch it (https://...)")),
        timezone=_d(N_("Read the times in this zone instead, e.g. UTC or Europe/Paris")),
    )
    @app_commands.check(require_moderator)
    async def event_add(
        self,
        interaction: discord.Interaction,
        name: app_commands.Range[str, 1, 200],
        series: app_commands.Range[str, 1, 60],
        circuit: app_commands.Range[str, 1, 200],
        race: app_commands.Range[str, 1, 80],
        qualifying: app_commands.Range[str, 1, 80] | None = None,
        practice: app_commands.Range[str, 1, 80] | None = None,
        duration: app_commands.Range[str, 1, 30] | None = None,
        season: app_commands.Range[int, 1900, 2200] | None = None,
        info_url: app_commands.Range[str, 1, 600] | None = None,
        watch_url: app_commands.Range[str, 1, 600] | None = None,
        timezone: app_commands.Range[str, 1, 64] | None = None,
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
        name=_T("edit"), description=_d(N_("Change any field of an event, or move a session."))
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
        event=_d(N_("One of this server's events")),
        name=_d(N_("A new name")),
        series=_d(N_("The series (WEC, IMSA, ...)")),
        circuit=_d(N_("Another circuit (times stay the same instants)")),
        race=_d(N_("New race start, circuit time: 2027-06-12 16:00")),
        qualifying=_d(N_("New qualifying start, circuit time")),
        practice=_d(N_("New first practice start, circuit time")),
        duration=_d(N_("Race length: 360, 6h or 1h30")),
        season=_d(N_("The season (year)")),
        length=_d(N_("Length as fans say it, e.g. 6 hours (- to remove)")),
        status=_d(N_("scheduled, postponed or cancelled")),
        info_url=_d(N_("A page about the event (https://..., - to remove)")),
        watch_url=_d(N_("Where to watch it (https://..., - to remove)")),
        timezone=_d(N_("Read the times in this zone instead, e.g. UTC or Europe/Paris")),
    )
    @app_commands.choices(status=STATUS_CHOICES)
    @app_commands.check(require_moderator)
    async def event_edit(
        self,
        interaction: discord.Interaction,
        event: app_commands.Range[str, 1, 200],
        name: app_commands.Range[str, 1, 200] | None = None,
        series: app_commands.Range[str, 1, 60] | None = None,
        circuit: app_commands.Range[str, 1, 200] | None = None,
        race: app_commands.Range[str, 1, 80] | None = None,
        qualifying: app_commands.Range[str, 1, 80] | None = None,
        practice: app_commands.Range[str, 1, 80] | None = None,
        duration: app_commands.Range[str, 1, 30] | None = None,
        season: app_commands.Range[int, 1900, 2200] | None = None,
        length: app_commands.Range[str, 1, 100] | None = None,
        status: app_commands.Choice[str] | None = None,
        info_url: app_commands.Range[str, 1, 600] | None = None,
        watch_url: app_commands.Range[str, 1, 600] | None = None,
        timezone: app_commands.Range[str, 1, 64] | None = None,
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
        description=_d(N_("Postpone an event: to a new race date, or with no date yet.")),
    )
    @app_commands.rename(event=_T("event"), race=_T("race"), timezone=_T("timezone"))
    @app_commands.describe(
        event=_d(N_("One of this server's events")),
        race=_d(N_("New race start, circuit time (the other sessions move as many days)")),
        timezone=_d(N_("Read the times in this zone instead, e.g. UTC or Europe/Paris")),
    )
    @app_commands.check(require_moderator)
    async def event_postpone(
        self,
        interaction: discord.Interaction,
        event: app_commands.Range[str, 1, 200],
        race: app_commands.Range[str, 1, 80] | None = None,
        timezone: app_commands.Range[str, 1, 64] | None = None,
    ) -> None:
        await self._preview(
            interaction, mod.plan_postpone(self.asker(interaction), event=event, race=race, timezone=timezone)
        )

    @event_group.command(name=_T("cancel"), description=_d(N_("Mark an event cancelled (it stays listed).")))
    @app_commands.rename(event=_T("event"))
    @app_commands.describe(event=_d(N_("One of this server's events")))
    @app_commands.check(require_moderator)
    async def event_cancel(
        self, interaction: discord.Interaction, event: app_commands.Range[str, 1, 200]
    ) -> None:
        await self._preview(interaction, mod.plan_cancel(self.asker(interaction), event=event))

    @event_group.command(
        name=_T("remove"), description=_d(N_("Remove an event with its sessions, entries and results."))
    )
    @app_commands.rename(event=_T("event"))
    @app_commands.describe(event=_d(N_("One of this server's events")))
    @app_commands.check(require_moderator)
    async def event_remove(
        self, interaction: discord.Interaction, event: app_commands.Range[str, 1, 200]
    ) -> None:
        await self._preview(interaction, mod.plan_remove(self.asker(interaction), event=event))

    @event_group.command(name=_T("history"), description=_d(N_("Who changed an event, when, and how.")))
    @app_commands.rename(event=_T("event"))
    @app_commands.describe(event=_d(N_("One of this server's events (removed ones too)")))
    @app_commands.check(require_moderator)
    async def event_history(
        self, interaction: discord.Interaction, event: app_commands.Range[str, 1, 200]
    ) -> None:
        tr, _ = self._language(interaction)
        try:
            history = await within_deadline(
                interaction, mod.event_history(self.asker(interaction), event=event), ephemeral=True
            )
        except AnswerError as exc:
            await self._refuse(interaction, exc)
            return
        pages = Pages(tr("History: {name}", name=history.name))
        if not history.lines:
            pages.description = tr("No changes recorded yet.")
        for line in history.lines:
            a = line.entry
            parts = [f"{format_dt(a.at, 'f')} · <@{a.user_id}>"]
            for c in line.changes:
                parts.append(clip(change_line(c, tr), 420))
            pages.add_field(tr(mod.ACTIONS.get(a.action, a.action)), "\n".join(parts))
        await send_pages(interaction, pages.finish(None, page_label(tr)), tr, ephemeral=True)

    @event_group.command(
        name=_T("import"),
        description=_d(N_("Import events from a .csv, .ics or .json file (preview first).")),
    )
    @app_commands.rename(file=_T("file"), series=_T("series"))
    @app_commands.describe(
        file=_d(N_("The calendar file, at most 1 MB")),
        series=_d(N_("The series of events in an .ics file that fanbot did not make")),
    )
    @app_commands.check(require_moderator)
    async def event_import(
        self,
        interaction: discord.Interaction,
        file: discord.Attachment,
        series: app_commands.Range[str, 1, 60] | None = None,
    ) -> None:
        tr, locale = self._language(interaction)
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

    @session_group.command(name=_T("add"), description=_d(N_("Add a session to an event (circuit time).")))
    @app_commands.rename(
        event=_T("event"),
        kind=_T("kind"),
        start=_T("start"),
        duration=_T("duration"),
        notes=_T("notes"),
        timezone=_T("timezone"),
    )
    @app_commands.describe(
        event=_d(N_("One of this server's events")),
        kind=_d(N_("practice, qualifying, race, ...")),
        start=_d(N_("Start, circuit time: 2027-06-10 14:00 (or only the date)")),
        duration=_d(N_("Length: 90, 1h30 or 6h")),
        notes=_d(N_("A short note shown with the session")),
        timezone=_d(N_("Read the times in this zone instead, e.g. UTC or Europe/Paris")),
    )
    @app_commands.choices(kind=KIND_CHOICES)
    @app_commands.check(require_moderator)
    async def session_add(
        self,
        interaction: discord.Interaction,
        event: app_commands.Range[str, 1, 200],
        kind: app_commands.Choice[str],
        start: app_commands.Range[str, 1, 80],
        duration: app_commands.Range[str, 1, 30] | None = None,
        notes: app_commands.Range[str, 1, 300] | None = None,
        timezone: app_commands.Range[str, 1, 64] | None = None,
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

    @session_group.command(name=_T("edit"), description=_d(N_("Move a session, or change its length.")))
    @app_commands.rename(
        event=_T("event"),
        session=_T("session"),
        start=_T("start"),
        duration=_T("duration"),
        notes=_T("notes"),
        timezone=_T("timezone"),
    )
    @app_commands.describe(
        event=_d(N_("One of this server's events")),
        session=_d(N_("Which session, e.g. race or practice-2")),
        start=_d(N_("New start, circuit time: 2027-06-10 14:00 (or only the date)")),
        duration=_d(N_("Length: 90, 1h30 or 6h (- to remove)")),
        notes=_d(N_("A short note (- to remove)")),
        timezone=_d(N_("Read the times in this zone instead, e.g. UTC or Europe/Paris")),
    )
    @app_commands.check(require_moderator)
    async def session_edit(
        self,
        interaction: discord.Interaction,
        event: app_commands.Range[str, 1, 200],
        session: app_commands.Range[str, 1, 100],
        start: app_commands.Range[str, 1, 80] | None = None,
        duration: app_commands.Range[str, 1, 30] | None = None,
        notes: app_commands.Range[str, 1, 300] | None = None,
        timezone: app_commands.Range[str, 1, 64] | None = None,
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

    @session_group.command(name=_T("remove"), description=_d(N_("Remove a session from an event.")))
    @app_commands.rename(event=_T("event"), session=_T("session"))
    @app_commands.describe(
        event=_d(N_("One of this server's events")), session=_d(N_("Which session, e.g. race or practice-2"))
    )
    @app_commands.check(require_moderator)
    async def session_remove(
        self,
        interaction: discord.Interaction,
        event: app_commands.Range[str, 1, 200],
        session: app_commands.Range[str, 1, 100],
    ) -> None:
        await self._preview(
            interaction, mod.plan_session_remove(self.asker(interaction), event=event, session=session)
        )

    # ------------------------------------------------------------ /entry

    @entry_group.command(name=_T("add"), description=_d(N_("Add a car to an event's entry list.")))
    @app_commands.rename(
        event=_T("event"),
        number=_T("number"),
        car_class=_T("class"),
        team=_T("team"),
        car=_T("car"),
        drivers=_T("drivers"),
    )
    @app_commands.describe(
        event=_d(N_("One of this server's events")),
        number=_d(N_("The car number, e.g. 6 or 055")),
        car_class=_d(N_("The class, e.g. Hypercar or LMGT3")),
        team=_d(N_("The team")),
        car=_d(N_("The car, e.g. Porsche 963")),
        drivers=_d(N_("The drivers, separated by commas")),
    )
    @app_commands.check(require_moderator)
    async def entry_add(
        self,
        interaction: discord.Interaction,
        event: app_commands.Range[str, 1, 200],
        number: app_commands.Range[str, 1, 10],
        car_class: app_commands.Range[str, 1, 60] | None = None,
        team: app_commands.Range[str, 1, 150] | None = None,
        car: app_commands.Range[str, 1, 150] | None = None,
        drivers: app_commands.Range[str, 1, 600] | None = None,
    ) -> None:
        tr, _ = self._language(interaction)
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

    @entry_group.command(name=_T("edit"), description=_d(N_("Change an entry of an event's entry list.")))
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
        event=_d(N_("One of this server's events")),
        number=_d(N_("The car number, e.g. 6 or 055")),
        new_number=_d(N_("A new car number")),
        car_class=_d(N_("The class (- to remove)")),
        team=_d(N_("The team (- to remove)")),
        car=_d(N_("The car (- to remove)")),
        drivers=_d(N_("The drivers, separated by commas (- to remove)")),
    )
    @app_commands.check(require_moderator)
    async def entry_edit(
        self,
        interaction: discord.Interaction,
        event: app_commands.Range[str, 1, 200],
        number: app_commands.Range[str, 1, 10],
        new_number: app_commands.Range[str, 1, 10] | None = None,
        car_class: app_commands.Range[str, 1, 60] | None = None,
        team: app_commands.Range[str, 1, 150] | None = None,
        car: app_commands.Range[str, 1, 150] | None = None,
        drivers: app_commands.Range[str, 1, 600] | None = None,
    ) -> None:
        tr, _ = self._language(interaction)
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

    @entry_group.command(name=_T("remove"), description=_d(N_("Remove a car from an event's entry list.")))
    @app_commands.rename(event=_T("event"), number=_T("number"))
    @app_commands.describe(
        event=_d(N_("One of this server's events")), number=_d(N_("The car number, e.g. 6 or 055"))
    )
    @app_commands.check(require_moderator)
    async def entry_remove(
        self,
        interaction: discord.Interaction,
        event: app_commands.Range[str, 1, 200],
        number: app_commands.Range[str, 1, 10],
    ) -> None:
        tr, locale = self._language(interaction)
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

        embed = discord.Embed(
            title=clip(
                tr(
                    "Remove {entry} from {event}?",
                    entry=removal.entry.number_label,
                    event=removal.event.display_name,
                ),
                256,
            ),
            description=entry_line(removal.entry, tr),
            colour=COLOUR,
        )
        view = ConfirmView(self.bot, user_id, tr, locale, commit, danger=True)
        view.message = await send(interaction, embeds=[embed], view=view)

    # ------------------------------------------------------------ /result

    @result_group.command(name=_T("set"), description=_d(N_("Record a finishing position in a class.")))
    @app_commands.rename(
        event=_T("event"),
        car_class=_T("class"),
        position=_T("position"),
        number=_T("number"),
        description=_T("description"),
    )
    @app_commands.describe(
        event=_d(N_("One of this server's events")),
        car_class=_d(N_("The class, or Overall")),
        position=_d(N_("The finishing position in that class")),
        number=_d(N_("The car number (its entry describes it if no description is given)")),
        description=_d(N_("Who finished there, e.g. Team Car (A / B / C)")),
    )
    @app_commands.check(require_moderator)
    async def result_set(
        self,
        interaction: discord.Interaction,
        event: app_commands.Range[str, 1, 200],
        car_class: app_commands.Range[str, 1, 60],
        position: app_commands.Range[int, 1, 500],
        number: app_commands.Range[str, 1, 10] | None = None,
        description: app_commands.Range[str, 1, 400] | None = None,
    ) -> None:
        tr, _ = self._language(interaction)
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
                result=result_line(r[1]),
            ),
        )

    @result_group.command(name=_T("remove"), description=_d(N_("Remove a recorded finishing position.")))
    @app_commands.rename(event=_T("event"), car_class=_T("class"), position=_T("position"))
    @app_commands.describe(
        event=_d(N_("One of this server's events")),
        car_class=_d(N_("The class, or Overall")),
        position=_d(N_("The finishing position in that class")),
    )
    @app_commands.check(require_moderator)
    async def result_remove(
        self,
        interaction: discord.Interaction,
        event: app_commands.Range[str, 1, 200],
        car_class: app_commands.Range[str, 1, 60],
        position: app_commands.Range[int, 1, 500],
    ) -> None:
        tr, locale = self._language(interaction)
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
        shown = f"{removal.result.car_class} P{removal.result.position}"

        async def commit() -> Outcome:
            await mod.commit_result_remove(asker, removal, by=user_id)
            return Outcome(tr("Removed {result} of {event}.", result=shown, event=removal.event.display_name))

        title = tr("Remove {entry} from {event}?", entry=shown, event=removal.event.display_name)
        embed = discord.Embed(title=clip(title, 256), description=result_line(removal.result), colour=COLOUR)
        view = ConfirmView(self.bot, user_id, tr, locale, commit, danger=True)
        view.message = await send(interaction, embeds=[embed], view=view)

    # ------------------------------------------------------------ /calendar

    @calendar_group.command(
        name=_T("export"), description=_d(N_("This server's calendar as an .ics file for calendar apps."))
    )
    @app_commands.rename(series=_T("series"), public=_T("public"))
    @app_commands.describe(
        series=_d(N_("Only this series (WEC, IMSA, ...)")),
        public=_d(N_("Post the file in the channel for everyone (default: only you)")),
    )
    @app_commands.check(require_moderator)
    async def calendar_export(
        self,
        interaction: discord.Interaction,
        series: app_commands.Range[str, 1, 60] | None = None,
        public: bool = False,
    ) -> None:
        tr, _ = self._language(interaction)
        name = interaction.guild.name if interaction.guild else "fanbot"
        try:
            exported = await within_deadline(
                interaction,
                mod.export_calendar(self.asker(interaction), series=series, calendar_name=name),
                ephemeral=not public,
            )
        except AnswerError as exc:
            await self._refuse(interaction, exc)
            return
        text = tr(
            "{n} events, every time in UTC with the circuit's zone named. Import the file into Google "
            "Calendar, Apple Calendar, Outlook or Thunderbird; a newer file updates the same entries.",
            n=exported.events,
        )
        file = discord.File(io.BytesIO(exported.data), filename=exported.filename)
        if interaction.response.is_done():
            await interaction.followup.send(
                text, file=file, ephemeral=not public, allowed_mentions=NO_MENTIONS
            )
        else:
            await interaction.response.send_message(
                text, file=file, ephemeral=not public, allowed_mentions=NO_MENTIONS
            )

    @calendar_group.command(
        name=_T("add-circuit"), description=_d(N_("Add a circuit fanbot does not know, with its time zone."))
    )
    @app_commands.rename(
        name=_T("name"),
        timezone=_T("timezone"),
        location=_T("location"),
        country=_T("country"),
        aliases=_T("aliases"),
    )
    @app_commands.describe(
        name=_d(N_("The circuit's name")),
        timezone=_d(N_("Its IANA time zone, e.g. Europe/Paris or America/New_York")),
        location=_d(N_("The town or region")),
        country=_d(N_("The country")),
        aliases=_d(N_("Other names people use, separated by commas")),
    )
    @app_commands.check(require_moderator)
    async def calendar_add_circuit(
        self,
        interaction: discord.Interaction,
        name: app_commands.Range[str, 1, 150],
        timezone: app_commands.Range[str, 1, 64],
        location: app_commands.Range[str, 1, 150] | None = None,
        country: app_commands.Range[str, 1, 150] | None = None,
        aliases: app_commands.Range[str, 1, 600] | None = None,
    ) -> None:
        tr, _ = self._language(interaction)
        await self._written(
            interaction,
            mod.add_circuit(
                self.asker(interaction),
                by=interaction.user.id,
                name=name,
                timezone=timezone,
                location=location,
                country=country,
                aliases=aliases,
            ),
            lambda c: tr(
                "Added {name} ({zone}). Times typed for its events are read on its clocks.",
                name=c.name,
                zone=c.timezone,
            ),
        )

    # ------------------------------------------------------------ /fanbot settings

    @settings_group.command(
        name=_T("moderator-role"),
        description=_d(N_("Choose the role whose members may manage this server's calendar.")),
    )
    @app_commands.rename(role=_T("role"), clear=_T("clear"))
    @app_commands.describe(
        role=_d(N_("The moderator role (leave empty to see the current one)")),
        clear=_d(N_("Remove the moderator role (Manage Events still counts)")),
    )
    async def moderator_role(
        self, interaction: discord.Interaction, role: discord.Role | None = None, clear: bool = False
    ) -> None:
        tr, _ = self._language(interaction)
        perms = interaction.permissions
        # default_permissions only hides the command; admins can show it to anyone.
        if interaction.guild_id is None or not (perms.administrator or perms.manage_guild):
            await send(
                interaction,
                content=tr(
                    "Only the server's admins (Manage Server permission) can choose the moderator role."
                ),
                ephemeral=True,
            )
            return
        asker = self.asker(interaction)
        if role is None and not clear:
            current = await self.bot.store.moderator_role(interaction.guild_id)
            text = (
                tr("The moderator role is <@&{role}>.", role=current)
                if current
                else tr("No moderator role is set: members with Manage Events are the moderators.")
            )
            await send(interaction, content=text, ephemeral=True)
            return
        try:
            await mod.set_moderator_role(
                asker,
                by=interaction.user.id,
                role_id=None if clear else role.id if role else None,
                is_everyone=bool(role and role.is_default() and not clear),
            )
        except AnswerError as exc:
            await self._refuse(interaction, exc)
            return
        text = (
            tr("The moderator role is removed: members with Manage Events are the moderators.")
            if clear
            else tr(
                "Members with <@&{role}> can now manage this server's calendar, as can those with "
                "Manage Events. Discord hides the commands from members without Manage Events: allow "
                "the role for /event, /session, /entry, /result and /calendar in Server Settings > "
                "Integrations > fanbot.",
                role=role.id if role else 0,
            )
        )
        await send(interaction, content=text, ephemeral=True)

    # ------------------------------------------------------------ autocomplete

    async def _own_events(self, interaction: discord.Interaction, current: str) -> Choices:
        try:
            found = await mod.own_event_choices(self.asker(interaction), current, MAX_CHOICES)
        except Exception:
            log.exception("autocomplete failed for %r", current)
            return []
        return [app_commands.Choice(name=label[:100], value=choice_value(i)) for label, i in found]

    async def _series(self, interaction: discord.Interaction, current: str) -> Choices:
        index = await self.bot.lookups.series(Scope(interaction.guild_id))
        return [
            app_commands.Choice(name=c.label, value=str(c.value)) for c in index.choices(current, MAX_CHOICES)
        ]

    async def _circuits(self, interaction: discord.Interaction, current: str) -> Choices:
        index = await self.bot.lookups.circuits(Scope(interaction.guild_id))
        return [
            app_commands.Choice(name=c.label[:100], value=choice_value(int(str(c.value))))
            for c in index.choices(current, MAX_CHOICES)
        ]

    async def _zones(self, interaction: discord.Interaction, current: str) -> Choices:
        wanted = current.strip().lower().replace(" ", "_")
        zones = [z for z in pytz.common_timezones if wanted in z.lower()]
        return [app_commands.Choice(name=z, value=z) for z in zones[:MAX_CHOICES]]

    async def _typed_event(self, interaction: discord.Interaction) -> Event | None:
        typed = getattr(interaction.namespace, "event", None)
        if not typed:
            return None
        try:
            return await mod.resolve_own_event(self.asker(interaction), str(typed))
        except AnswerError:
            return None

    async def _sessions(self, interaction: discord.Interaction, current: str) -> Choices:
        tr, locale = self._language(interaction)
        event = await self._typed_event(interaction)
        if event is None:
            return []
        wanted = current.strip().lower()
        choices = []
        for s in event.sessions:
            label = f"{mod.session_name(s, tr)} — " + (
                format_local(s.start, event.circuit.timezone, locale) if s.start else tr("time TBA")
            )
            if not wanted or wanted in label.lower() or wanted in s.key:
                choices.append(app_commands.Choice(name=label[:100], value=s.key))
        return choices[:MAX_CHOICES]

    async def _numbers(self, interaction: discord.Interaction, current: str) -> Choices:
        tr, _ = self._language(interaction)
        event = await self._typed_event(interaction)
        if event is None:
            return []
        entries = await self.bot.store.entries(Scope(interaction.guild_id), event.id)
        wanted = current.strip().lstrip("#").lower()
        return [
            app_commands.Choice(name=entry_line(e, tr)[:100], value=e.number or "")
            for e in entries
            if e.number and (not wanted or e.number.lower().startswith(wanted))
        ][:MAX_CHOICES]

    async def _classes(self, interaction: discord.Interaction, current: str) -> Choices:
        event = await self._typed_event(interaction)
        names: list[str] = ["Overall"]
        if event is not None:
            entries = await self.bot.store.entries(Scope(interaction.guild_id), event.id)
            names += [e.car_class for e in entries if e.car_class]
        wanted = current.strip().lower()
        return [
            app_commands.Choice(name=n[:100], value=n[:100])
            for n in dict.fromkeys(names)
            if wanted in n.lower()
        ][:MAX_CHOICES]

    async def cog_load(self) -> None:
        """Attach the autocompletes: every event option lists this server's own events."""
        for command in self.walk_app_commands():
            if not isinstance(command, app_commands.Command):
                continue
            params = {p.name for p in command.parameters}
            table: dict[str, Callable[[discord.Interaction, str], Awaitable[Choices]]] = {
                "event": self._own_events,
                "series": self._series,
                "circuit": self._circuits,
                "timezone": self._zones,
                "session": self._sessions,
            }
            group = command.parent.name if command.parent else None
            if group == "entry" and command.name != "add":
                table["number"] = self._numbers
            if group in ("entry", "result"):
                table["car_class"] = self._classes
            for name, callback in table.items():
                if name in params:
                    command.autocomplete(name)(_bound(callback))


def _bound(
    callback: Callable[[discord.Interaction, str], Awaitable[Choices]],
) -> Callable[[discord.Interaction, str], Coroutine[Any, Any, Choices]]:
    # discord.py inspects an autocomplete callback's parameters; give it a plain function.
    async def complete(interaction: discord.Interaction, current: str) -> Choices:
        return await callback(interaction, current)

    return complete


def entry_line(entry: Any, tr: Translate) -> str:
    who = " — ".join(p for p in (entry.team, entry.car) if p)
    drivers = ", ".join(entry.drivers) if entry.drivers else tr("drivers TBA")
    klass = f"[{entry.car_class}] " if entry.car_class else ""
    return f"**{car_number(entry, tr)}** {klass}{who}: {drivers}"


def result_line(result: Any) -> str:
    """ "Hypercar P1: ||#6 Team Car (A / B)||" - behind spoilers, as /race shows it."""
    number = f"#{result.number} " if result.number else ""
    return f"{result.car_class} P{result.position}: ||{number}{result.description}||"


def import_embed(plan: mod.ImportPlan, tr: Translate) -> discord.Embed:
    pages = Pages(
        tr("Import {name}?", name=plan.filename),
        tr(
            "{new} new, {changed} changed, {unchanged} unchanged events.",
            new=len(plan.new),
            changed=len(plan.changed),
            unchanged=plan.unchanged,
        )
        + (" " + tr("{n} new circuits.", n=plan.circuits_new) if plan.circuits_new else ""),
    )
    for label, names in ((N_("New"), plan.new), (N_("Changed"), plan.changed)):
        if names:
            lines = [f"• {n}" for n in names[:IMPORT_LISTED]]
            if len(names) > IMPORT_LISTED:
                lines.append(tr("… and {n} more.", n=len(names) - IMPORT_LISTED))
            pages.add_lines(tr(label), lines, tr("(continued)"))
    footer = tr("Nothing is saved until you press Confirm. The buttons expire in 10 minutes.")
    return pages.finish(footer, page_label(tr))[0]
