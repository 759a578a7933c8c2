"""Pings by series in Discord: the roles fanbot keeps for each series, the menu where
members pick the series that may ping them, and what a pick does to their roles.

The menu is one select per message with the custom id ``fanbot:series-roles``: a
``DynamicItem``, so it works for anyone after any restart. It needs nothing more in its
id: the guild is the interaction's, the series offered are the select's own options
(Discord hands the message back with the click), and the role of each series is read
from the store at the click, so a role a moderator replaced later (``/reminders roles
use``) is the one given. A pick is the member's whole choice: the series picked are
given their role, the other series of the menu have theirs taken away.

What can go wrong is said, never swallowed: Manage Roles missing, a role above fanbot's
own highest role, a role deleted in Discord. The member who picked is told in their
language, and the problem is written down for ``/reminders status``; a deleted role is
cleared from the store (the dispatcher then pings nobody for its series).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import discord

from fanbot.bot.context import bot_of, interaction_translator
from fanbot.bot.embeds.pages import COLOUR, CONTENT_LIMIT, clip
from fanbot.bot.replies import NO_MENTIONS
from fanbot.domain.model import Series
from fanbot.i18n import N_, Translate, pick_locale, translator
from fanbot.store import SeriesRole, Store

log = logging.getLogger(__name__)

MENU_ID = "fanbot:series-roles"
# Discord's limits: options in one select menu, characters in a role name, an option's
# label and description.
MENU_OPTIONS_LIMIT = 25
ROLE_NAME_LIMIT = 100
OPTION_TEXT_LIMIT = 100
# Discord's JSON error code for a role it does not know.
UNKNOWN_ROLE = 10011

# Problems kept in the store (in English) and shown translated in /reminders status.
ROLE_DELETED = N_("The role was deleted in Discord.")
ROLE_UNKNOWN = N_("Discord no longer knows the role (it was deleted).")
ROLE_ABOVE_MINE = N_("The role is above my highest role: drag my role above it in Server Settings > Roles.")
NO_MANAGE_ROLES = N_("I need the Manage Roles permission to give and take the role.")
ROLE_MANAGED = N_("The role is managed by an integration (a bot or a subscription): I cannot give it.")
ROLE_EVERYONE = N_("@everyone is not a role members can pick.")


def guild_translator(store_locale: str | None, guild: discord.Guild) -> Translate:
    """The guild's language, as its reminders use it: what moderators chose, else Discord's."""
    return translator(pick_locale(store_locale, guild.preferred_locale))


async def guild_language(store: Store, guild: discord.Guild) -> Translate:
    return guild_translator(await store.reminders.guild_locale(guild.id), guild)


def role_name(series: str, tr: Translate) -> str:
    """The name of the role fanbot creates for ``series`` ("WEC pings")."""
    return clip(tr("{series} pings", series=series), ROLE_NAME_LIMIT)


def role_problem(guild: discord.Guild, role: discord.Role) -> str | None:
    """Why fanbot could not give or take ``role`` (one of the problems above, untranslated),
    or None if it can. Checked before asking Discord, so that a refusal Discord would
    answer with 403 costs no request (and no invalid request against the bot's limit)."""
    me = guild.me
    if role.is_default():
        return ROLE_EVERYONE
    if role.managed:
        return ROLE_MANAGED
    if me is not None and not me.guild_permissions.manage_roles:
        return NO_MANAGE_ROLES
    if me is not None and guild.owner_id != me.id and role >= me.top_role:
        return ROLE_ABOVE_MINE
    return None


def can_ping(guild: discord.Guild, channel_id: int | None) -> bool:
    """Whether fanbot may ping a role that is not mentionable (Mention Everyone in the
    reminder channel, or in the guild when the channel is not known)."""
    me = guild.me
    if me is None:
        return False
    channel = guild.get_channel(channel_id) if channel_id is not None else None
    perms = channel.permissions_for(me) if channel is not None else me.guild_permissions
    return perms.mention_everyone


# ---------------------------------------------------------------------------- a moderator's setup


def manage_roles_problem(interaction: discord.Interaction, tr: Translate) -> str | None:
    """Why the moderator may not hand roles out through fanbot: both need Manage Roles
    (or any moderator could make the bot give roles they could not give themselves)."""
    if not interaction.permissions.manage_roles:
        return tr("You need the Manage Roles permission to set up roles members pick.")
    guild = interaction.guild
    if guild is not None and guild.me is not None and not guild.me.guild_permissions.manage_roles:
        grant = tr("Grant it to my role in Server Settings > Roles, then try again.")
        return f"{tr(NO_MANAGE_ROLES)} {grant}"
    return None


def role_refusal(interaction: discord.Interaction, role: discord.Role, tr: Translate) -> str | None:
    """Why ``role`` cannot be a series role: one fanbot cannot give, one above the
    moderator's own highest role, or one that grants permissions (any member may pick it)."""
    guild = interaction.guild
    assert guild is not None
    problem = role_problem(guild, role)
    if problem is not None:
        return tr(problem)
    member = interaction.user
    if isinstance(member, discord.Member) and guild.owner_id != member.id and role >= member.top_role:
        return tr("{role} is above your highest role: you cannot hand it out.", role=role.mention)
    if role.permissions.value & ~guild.default_role.permissions.value:
        return tr(
            "{role} grants permissions that @everyone lacks; any member could pick it. "
            "Use a role that grants nothing, or let /reminders roles setup create one.",
            role=role.mention,
        )
    return None


def series_role_lines(rows: Sequence[SeriesRole], tr: Translate) -> list[str]:
    """/reminders status: each series' role and what went wrong with it (empty: the guild
    has no series roles)."""
    if not rows:
        return []
    lines = [tr("Each reminder pings only the role of its series.")]
    for row in rows:
        if row.role_id is None:
            nobody = tr("Its reminders ping nobody until /reminders roles setup or use gives it a role.")
            lines.append(f"⚠ **{row.series}**: {tr(row.problem or ROLE_DELETED)} {nobody}")
        else:
            problem = f" ⚠ {tr(row.problem)}" if row.problem else ""
            lines.append(f"**{row.series}** → <@&{row.role_id}>{problem}")
    return lines


async def forget_deleted_roles(store: Store, guilds: Iterable[discord.Guild], *, now: datetime) -> int:
    """Clear the series roles that ``guilds`` no longer have (deleted while fanbot was not
    listening; the guilds' roles arrive with them at connection). How many were cleared."""
    available = {g.id: g for g in guilds if not g.unavailable}
    cleared = 0
    for guild_id, by_series in (await store.series_roles.mention_roles(available)).items():
        for role_id in {r for r in by_series.values() if r is not None}:
            if available[guild_id].get_role(role_id) is None:
                await store.series_roles.lose_role(guild_id, role_id, ROLE_DELETED, now=now)
                cleared += 1
    return cleared


@dataclass
class Prepared:
    """The roles ``prepare_roles`` made ready: series -> role, the series whose role was
    created now, problems (series, problem untranslated), and why it stopped, if it did."""

    roles: dict[str, int] = field(default_factory=dict)
    created: list[str] = field(default_factory=list)
    problems: list[tuple[str, str]] = field(default_factory=list)
    stopped: str | None = None


async def prepare_roles(
    store: Store,
    guild: discord.Guild,
    codes: Sequence[str],
    *,
    tr: Translate,
    mentionable: bool,
    by: int,
    now: datetime,
) -> Prepared:
    """One role per series of ``codes``: the guild's own where it still has it, else a new
    one ("WEC pings", in the guild's language ``tr``), just above @everyone as Discord
    places new roles, so below fanbot's own. Stops at the first role Discord refuses to
    create (Manage Roles missing, the guild's 250 roles reached)."""
    rows = {r.series: r for r in await store.series_roles.of_guild(guild.id)}
    done = Prepared()
    for code in codes:
        row = rows.get(code)
        role = guild.get_role(row.role_id) if row is not None and row.role_id is not None else None
        if row is not None and role is not None:
            problem = role_problem(guild, role)
            if problem is not None:
                await store.series_roles.note_problem(guild.id, code, problem, now=now)
                done.problems.append((code, problem))
            else:  # clears a problem noted earlier and fixed since
                await store.series_roles.set_role(
                    guild.id, code, role.id, created=row.created, by=by, now=now
                )
            done.roles[code] = role.id
            continue
        try:
            role = await guild.create_role(
                name=role_name(code, tr), mentionable=mentionable, reason=f"fanbot: pings by series ({code})"
            )
        except discord.Forbidden:
            done.stopped = NO_MANAGE_ROLES
            break
        except discord.HTTPException as exc:
            log.warning("guild %s: could not create the %s role: %s", guild.id, code, exc)
            done.stopped = f"{exc.status} {exc.text}"[:200]
            break
        await store.series_roles.set_role(guild.id, code, role.id, created=True, by=by, now=now)
        done.roles[code] = role.id
        done.created.append(code)
    return done


# ---------------------------------------------------------------------------- the menu


class SeriesMenu(
    discord.ui.DynamicItem[discord.ui.Select[discord.ui.View]],
    template=re.escape(MENU_ID),
):
    """The series select menu a moderator posts: works for every member, after restarts too."""

    def __init__(self, options: Sequence[discord.SelectOption], placeholder: str | None = None) -> None:
        super().__init__(
            discord.ui.Select(
                custom_id=MENU_ID,
                options=list(options),
                min_values=0,
                max_values=max(len(options), 1),
                placeholder=placeholder,
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> SeriesMenu:
        # The message's own select: its options are the series the menu offers.
        options = list(item.options) if isinstance(item, discord.ui.Select) else []
        placeholder = item.placeholder if isinstance(item, discord.ui.Select) else None
        return cls(options, placeholder)

    async def callback(self, interaction: discord.Interaction) -> None:
        offered = [option.value for option in self.item.options]
        await pick_series(interaction, offered, list(self.item.values))


def series_menu(
    series: Sequence[Series], roles: dict[str, int], tr: Translate
) -> tuple[discord.Embed, discord.ui.View]:
    """The menu message: what it is for, each series with its role, and the select.
    ``series``: at most ``MENU_OPTIONS_LIMIT``."""
    offered = list(series)[:MENU_OPTIONS_LIMIT]
    lines = [
        f"**{s.code}**: {s.name}" + (f" → <@&{roles[s.code]}>" if s.code in roles else "") for s in offered
    ]
    embed = discord.Embed(
        title=tr("Race pings"),
        description=clip(
            tr(
                "Pick the series whose reminders may ping you. Your pick replaces your previous "
                "one; pick none to get no pings."
            )
            + "\n\n"
            + "\n".join(lines),
            4096,
        ),
        colour=COLOUR,
    )
    options = [
        discord.SelectOption(
            label=clip(s.code, OPTION_TEXT_LIMIT), value=s.code, description=clip(s.name, OPTION_TEXT_LIMIT)
        )
        for s in offered
    ]
    view = discord.ui.View(timeout=None)
    view.add_item(SeriesMenu(options, clip(tr("Series that may ping you"), 150)))
    return embed, view


# ---------------------------------------------------------------------------- a member's pick


@dataclass
class Pick:
    """What a member's pick did, for the confirmation."""

    pinged_by: list[str]
    problems: list[tuple[str, str]]  # (series, its problem, untranslated)


async def pick_series(
    interaction: discord.Interaction, offered: Sequence[str], picked: Sequence[str]
) -> None:
    """A member picked ``picked`` among ``offered``: give them the roles of the series they
    picked and take those of the others away; confirm privately, in their language."""
    tr = interaction_translator(interaction)
    guild, member = interaction.guild, interaction.user
    if guild is None or not isinstance(member, discord.Member):
        await interaction.response.send_message(
            tr("This menu works in its server only."), ephemeral=True, allowed_mentions=NO_MENTIONS
        )
        return
    # Giving roles is a request each: answer Discord now, confirm when done.
    await interaction.response.defer(ephemeral=True, thinking=True)
    bot = bot_of(interaction)
    pick = await apply_pick(bot.store, guild, member, offered, set(picked), bot.clock.now())
    await interaction.followup.send(
        clip(confirmation(pick, tr), CONTENT_LIMIT), ephemeral=True, allowed_mentions=NO_MENTIONS
    )


async def apply_pick(
    store: Store,
    guild: discord.Guild,
    member: discord.Member,
    offered: Iterable[str],
    picked: set[str],
    now: datetime,
) -> Pick:
    """Give and take the member's series roles; what came of it. Problems are written
    down for ``/reminders status`` (a deleted role is cleared)."""
    rows = {r.series: r for r in await store.series_roles.of_guild(guild.id)}
    held = {r.id for r in member.roles}
    pick = Pick([], [])
    reason = f"pings by series, picked by {member.id}"
    for code in offered:
        want = code in picked
        row = rows.get(code)
        role = guild.get_role(row.role_id) if row is not None and row.role_id is not None else None
        if role is None:
            if row is not None and row.role_id is not None:
                # Deleted while fanbot was not listening: cleared now.
                await store.series_roles.lose_role(guild.id, row.role_id, ROLE_DELETED, now=now)
                row = None
            if want:
                pick.problems.append((code, _missing(row)))
            continue
        if want == (role.id in held):
            if want:
                pick.pinged_by.append(code)
            continue
        problem = role_problem(guild, role)
        if problem is None:
            problem = await _change(store, member, role, code, give=want, reason=reason, now=now)
        else:
            await store.series_roles.note_problem(guild.id, code, problem, now=now)
        if problem is not None:
            pick.problems.append((code, problem))
            if not want:
                pick.pinged_by.append(code)  # still held
        elif want:
            pick.pinged_by.append(code)
    return pick


def _missing(row: SeriesRole | None) -> str:
    return row.problem if row is not None and row.problem else ROLE_DELETED


async def _change(
    store: Store,
    member: discord.Member,
    role: discord.Role,
    code: str,
    *,
    give: bool,
    reason: str,
    now: datetime,
) -> str | None:
    """Give or take one role; the problem if Discord refused."""
    guild = member.guild
    try:
        if give:
            await member.add_roles(role, reason=reason)
        else:
            await member.remove_roles(role, reason=reason)
    except discord.NotFound as exc:
        if exc.code != UNKNOWN_ROLE:  # the member left meanwhile (Unknown Member)
            return f"{exc.status} {exc.text}"[:200]
        await store.series_roles.lose_role(guild.id, role.id, ROLE_UNKNOWN, now=now)
        return ROLE_UNKNOWN
    except discord.Forbidden:
        # The cache said fanbot could; Discord disagrees (a change not heard yet).
        me = guild.me
        problem = (
            NO_MANAGE_ROLES if me is not None and not me.guild_permissions.manage_roles else ROLE_ABOVE_MINE
        )
        await store.series_roles.note_problem(guild.id, code, problem, now=now)
        return problem
    except discord.HTTPException as exc:
        log.warning("guild %s: could not change role %s of %s: %s", guild.id, role.id, member.id, exc)
        return f"{exc.status} {exc.text}"[:200]
    return None


def confirmation(pick: Pick, tr: Translate) -> str:
    """The private answer to a pick: which series ping the member now, and what failed."""
    if pick.pinged_by:
        lines = [
            tr(
                "Done. Reminders of these series will ping you: {series}.",
                series=", ".join(sorted(pick.pinged_by)),
            )
        ]
    else:
        lines = [tr("Done. No series will ping you.")]
    for code, problem in pick.problems:
        lines.append(
            tr(
                "I could not change your {series} role: {problem} A moderator can fix this.",
                series=code,
                problem=tr(problem),
            )
        )
    return "\n".join(lines)
