"""/event add|edit|postpone|cancel|remove|history and /session: previews, Confirm and
Cancel, the audit log, and two moderators at once. Every schedule here is fictional."""

from __future__ import annotations

import discord
import pytest
import simcord

from fanbot.domain.model import EventStatus
from tests.support.database import dump
from tests.support.moderation_world import field_values, labels, timestamp

SPA = {
    "name": "Club 6 Hours of Spa (fictional)",
    "series": "WEC",
    "circuit": "Spa",
    "qualifying": "2027-05-07 16:30",
    "race": "2027-05-08 13:00",
    "duration": "6h",
}


@pytest.fixture
def changes(mods, monkeypatch):
    """What the cog passed on to the reminders (``FanBot.event_changed``)."""
    seen: list[tuple[int, object, object]] = []

    async def record(guild_id, before, after):
        seen.append((guild_id, before, after))

    monkeypatch.setattr(mods.env.bot, "event_changed", record)
    return seen


async def add_spa(mods, **options):
    preview = await mods.by_permission.slash(mods.channel, "event add", **{**SPA, **options})
    await mods.by_permission.click(preview.response, label="Confirm")
    [event] = await mods.own_events()
    return event


async def test_add_shows_a_preview_in_circuit_time_and_discord_timestamps_and_saves_nothing(mods):
    before = await dump(mods.store)
    preview = await mods.by_permission.slash(mods.channel, "event add", **SPA)
    embed = preview.response.embeds[0]
    assert embed.title == "Add Club 6 Hours of Spa (fictional)?"
    sessions = field_values(preview.response)["Sessions (circuit time · your time)"].splitlines()
    # Spa is on Brussels time, UTC+2 in May: 13:00 CEST is 11:00 UTC.
    assert sessions[0] == (
        f"**Qualifying** — Fri 7 May 2027, 16:30 CEST · {timestamp('2027-05-07T14:30:00Z')} "
        f"({timestamp('2027-05-07T14:30:00Z', 'R')})"
    )
    assert sessions[1].startswith(
        f"**Race** — Sat 8 May 2027, 13:00 CEST · {timestamp('2027-05-08T11:00:00Z')}"
    )
    assert sessions[1].endswith("· 6 h")
    assert labels(preview.response) == ["Confirm", "Cancel"]
    assert await dump(mods.store) == before


async def test_confirm_saves_the_event_and_fans_of_that_guild_see_it(mods):
    preview = await mods.by_permission.slash(mods.channel, "event add", **SPA)
    done = await mods.by_permission.click(preview.response, label="Confirm")
    assert done.response.content.startswith("✅ Added Club 6 Hours of Spa (fictional).")
    assert labels(done.response) == []
    [event] = await mods.own_events()
    assert event.key == "guild-wec-2027-club-6-hours-of-spa-fictional"
    assert [s.key for s in event.sessions] == ["qualifying", "race"]
    assert event.race.duration_minutes == 360
    fan = await mods.member.slash(mods.channel, "nextrace")
    assert fan.response.embeds[0].title == "Next race: Club 6 Hours of Spa (fictional) 2027"


async def test_cancel_saves_nothing_and_removes_the_buttons(mods):
    before = await dump(mods.store)
    preview = await mods.by_permission.slash(mods.channel, "event add", **SPA)
    cancelled = await mods.by_permission.click(preview.response, label="Cancel")
    assert cancelled.response.content == "Cancelled: nothing was changed."
    assert labels(preview.response) == []
    assert await dump(mods.store) == before


async def test_only_the_moderator_who_asked_can_confirm(mods):
    before = await dump(mods.store)
    preview = await mods.by_permission.slash(mods.channel, "event add", **SPA)
    for other in (mods.member, mods.by_role):
        refused = await other.click(preview.response, label="Confirm")
        assert refused.ephemeral
        assert refused.response.content == "Only the moderator who asked can confirm or cancel this."
    assert await dump(mods.store) == before
    assert labels(preview.response) == ["Confirm", "Cancel"]


async def test_an_unanswered_preview_expires_after_ten_minutes_and_saves_nothing(mods):
    before = await dump(mods.store)
    preview = await mods.by_permission.slash(mods.channel, "event add", **SPA)
    await mods.env.advance_time(599)
    assert labels(preview.response) == ["Confirm", "Cancel"]
    await mods.env.advance_time(2)
    assert labels(preview.response) == []
    assert preview.response.content == "This preview expired: nothing was saved. Run the command again."
    assert await dump(mods.store) == before


async def test_edit_moves_the_race_keeps_its_session_and_passes_the_change_on(mods, changes):
    event = await add_spa(mods)
    preview = await mods.by_role.slash(
        mods.channel, "event edit", event="Club 6 Hours of Spa", race="2027-05-08 14:30"
    )
    sessions = field_values(preview.response)["Sessions (circuit time · your time)"]
    assert "✏️ **Race** — Sat 8 May 2027, 14:30 CEST" in sessions
    assert "was: Sat 8 May 2027, 13:00 CEST" in sessions
    await mods.by_role.click(preview.response, label="Confirm")
    [after] = await mods.own_events()
    assert after.race.id == event.race.id  # reminders follow the same session
    assert after.race.start.isoformat() == "2027-05-08T12:30:00+00:00"
    assert [(g, b.race.start, a.race.start) for g, b, a in changes] == [
        (mods.guild.id, event.race.start, after.race.start)
    ]


async def test_edit_without_any_change_is_refused(mods):
    await add_spa(mods)
    result = await mods.by_permission.slash(mods.channel, "event edit", event="Club 6 Hours of Spa")
    assert result.ephemeral
    assert result.response.content == "Nothing to change: give at least one option besides the event."


async def test_edit_of_name_and_links_shows_each_change(mods, changes):
    await add_spa(mods)
    preview = await mods.by_permission.slash(
        mods.channel,
        "event edit",
        event="Club 6 Hours of Spa",
        name="Club Six Hours of Spa (fictional)",
        info_url="https://example.org/spa",
    )
    lines = field_values(preview.response)["Changes"].splitlines()
    assert lines == [
        "Name: Club 6 Hours of Spa (fictional) → Club Six Hours of Spa (fictional)",
        "Info: — → https://example.org/spa",
    ]
    await mods.by_permission.click(preview.response, label="Confirm")
    [event] = await mods.own_events()
    assert (event.name, event.info_url) == ("Club Six Hours of Spa (fictional)", "https://example.org/spa")
    assert changes == []  # no time, status or session moved: no reminder correction


async def test_postpone_to_a_new_date_moves_the_whole_weekend_by_as_many_days(mods, changes):
    await add_spa(mods, practice="2027-05-06 11:00")
    preview = await mods.by_permission.slash(
        mods.channel, "event postpone", event="Club 6 Hours of Spa", race="2027-05-15 13:00"
    )
    assert preview.response.embeds[0].title == "Postpone Club 6 Hours of Spa (fictional)?"
    await mods.by_permission.click(preview.response, label="Confirm")
    [event] = await mods.own_events()
    assert event.status is EventStatus.POSTPONED
    # Each session keeps its wall-clock time at the circuit, a week later.
    assert [s.start.isoformat() for s in event.sessions] == [
        "2027-05-13T09:00:00+00:00",
        "2027-05-14T14:30:00+00:00",
        "2027-05-15T11:00:00+00:00",
    ]
    assert len(changes) == 1


async def test_postpone_without_a_date_leaves_every_session_date_tba(mods):
    await add_spa(mods)
    preview = await mods.by_permission.slash(mods.channel, "event postpone", event="Club 6 Hours of Spa")
    assert "date TBA" in field_values(preview.response)["Note"]
    assert labels(preview.response) == ["Confirm", "Cancel"]
    await mods.by_permission.click(preview.response, label="Confirm")
    [event] = await mods.own_events()
    assert all(s.start is None and s.local_date is None for s in event.sessions)
    fan = await mods.member.slash(mods.channel, "race", event="Club 6 Hours of Spa 2027")
    assert "**POSTPONED**" in fan.response.embeds[0].description


async def test_cancel_marks_the_event_and_nextrace_skips_it(mods, changes):
    await add_spa(mods)
    preview = await mods.by_permission.slash(mods.channel, "event cancel", event="Club 6 Hours of Spa")
    await mods.by_permission.click(preview.response, label="Confirm")
    [event] = await mods.own_events()
    assert event.status is EventStatus.CANCELLED
    assert changes[0][2].status is EventStatus.CANCELLED
    fan = await mods.member.slash(mods.channel, "nextrace")
    assert "Club 6 Hours" not in fan.response.embeds[0].title


async def test_remove_asks_first_then_removes_the_event_with_everything_in_it(mods, changes):
    await add_spa(mods)
    await mods.by_permission.slash(
        mods.channel, "entry add", event="Club 6 Hours of Spa", number="6", drivers="A. Driver, B. Driver"
    )
    before = await dump(mods.store)
    preview = await mods.by_permission.slash(mods.channel, "event remove", event="Club 6 Hours of Spa")
    assert preview.response.embeds[0].title == "Remove Club 6 Hours of Spa (fictional)?"
    assert "It cannot be undone." in preview.response.embeds[0].description
    assert await dump(mods.store) == before
    done = await mods.by_permission.click(preview.response, label="Confirm")
    assert done.response.content == "🗑️ Removed Club 6 Hours of Spa (fictional)."
    assert await mods.own_events() == []
    assert changes[0][2] is None
    gone = await mods.member.slash(mods.channel, "race", event="Club 6 Hours of Spa 2027")
    assert gone.ephemeral


async def test_history_lists_who_changed_what_even_after_removal(mods):
    await add_spa(mods)
    preview = await mods.by_role.slash(
        mods.channel, "event edit", event="Club 6 Hours of Spa", race="2027-05-08 14:00"
    )
    await mods.by_role.click(preview.response, label="Confirm")
    preview = await mods.by_permission.slash(mods.channel, "event remove", event="Club 6 Hours of Spa")
    await mods.by_permission.click(preview.response, label="Confirm")
    history = await mods.admin.slash(mods.channel, "event history", event="Club 6 Hours of Spa")
    assert history.ephemeral
    embed = history.response.embeds[0]
    assert embed.title == "History: Club 6 Hours of Spa (fictional)"
    assert [f.name for f in embed.fields] == ["event removed", "event edited", "event added"]
    edited = embed.fields[1].value
    assert f"<@{mods.by_role.id}>" in edited
    assert "Race: 2027-05-08 13:00 CEST → 2027-05-08 14:00 CEST" in edited
    rows = await mods.store.editing.history(mods.guild.id)
    assert rows[0].after is None
    assert rows[0].before["name"] == "Club 6 Hours of Spa (fictional)"
    assert rows[-1].before is None
    assert rows[-1].after["sessions"][1]["start_at"] == "2027-05-08T11:00:00Z"


async def test_two_moderators_editing_at_once_the_second_is_told_and_nothing_is_lost(mods):
    await add_spa(mods)
    first = await mods.by_permission.slash(
        mods.channel, "event edit", event="Club 6 Hours of Spa", race="2027-05-08 14:00"
    )
    second = await mods.by_role.slash(
        mods.channel, "event edit", event="Club 6 Hours of Spa", name="Renamed 6 Hours (fictional)"
    )
    await mods.by_permission.click(first.response, label="Confirm")
    late = await mods.by_role.click(second.response, label="Confirm")
    assert late.response.content.startswith(
        "Club 6 Hours of Spa (fictional) 2027 was changed by someone else after this preview was made"
    )
    now = late.response.embeds[0]
    assert now.title == "Now: Club 6 Hours of Spa (fictional) 2027"
    assert "14:00 CEST" in now.fields[0].value
    [event] = await mods.own_events()
    assert event.name == "Club 6 Hours of Spa (fictional)"  # the second edit was not applied
    assert event.race.start.isoformat() == "2027-05-08T12:00:00+00:00"  # the first one stays


async def test_session_add_edit_remove_on_a_whole_weekend(mods, changes):
    await add_spa(mods)
    preview = await mods.by_permission.slash(
        mods.channel, "session add", event="Club 6 Hours of Spa", kind="practice", start="2027-05-06 11:00"
    )
    assert preview.response.embeds[0].title == "Add a session to Club 6 Hours of Spa (fictional)?"
    await mods.by_permission.click(preview.response, label="Confirm")
    preview = await mods.by_permission.slash(
        mods.channel, "session add", event="Club 6 Hours of Spa", kind="practice", start="2027-05-06 15:00"
    )
    await mods.by_permission.click(preview.response, label="Confirm")
    choices = await mods.by_permission.autocomplete(
        mods.channel, "session edit", "session", "", event="Club 6 Hours of Spa"
    )
    assert [c["value"] for c in choices] == ["practice", "practice-2", "qualifying", "race"]
    preview = await mods.by_permission.slash(
        mods.channel,
        "session edit",
        event="Club 6 Hours of Spa",
        session="Practice 2",
        start="2027-05-06 15:30",
        duration="1h30",
    )
    await mods.by_permission.click(preview.response, label="Confirm")
    preview = await mods.by_permission.slash(
        mods.channel, "session remove", event="Club 6 Hours of Spa", session="practice"
    )
    await mods.by_permission.click(preview.response, label="Confirm")
    [event] = await mods.own_events()
    assert [(s.key, s.start.isoformat(), s.duration_minutes) for s in event.sessions] == [
        ("practice-2", "2027-05-06T13:30:00+00:00", 90),
        ("qualifying", "2027-05-07T14:30:00+00:00", None),
        ("race", "2027-05-08T11:00:00+00:00", 360),
    ]
    assert len(changes) == 4


async def test_a_catalog_event_cannot_be_changed_from_a_guild(mods):
    before = await dump(mods.store)
    for command, options in (
        ("event edit", {"event": "Le Mans 2025", "name": "Mine now"}),
        ("event cancel", {"event": "Le Mans 2025"}),
        ("event remove", {"event": "Petit Le Mans 2012"}),
        ("session add", {"event": "Le Mans 2025", "kind": "race", "start": "2025-06-15 16:00"}),
        ("entry add", {"event": "Le Mans 2025", "number": "99"}),
        ("result set", {"event": "Le Mans 2025", "class": "Overall", "position": 1, "description": "x"}),
    ):
        refused = await mods.admin.slash(mods.channel, command, **options)
        assert refused.ephemeral, command
        assert "belongs to the shared catalog, which servers cannot change" in refused.response.content
    assert await dump(mods.store) == before


async def test_moderator_autocomplete_offers_only_this_guilds_own_events(mods):
    await add_spa(mods)
    choices = await mods.by_permission.autocomplete(mods.channel, "event edit", "event", "spa")
    assert [c["name"] for c in choices] == ["Club 6 Hours of Spa (fictional) 2027 · WEC"]
    assert await mods.other_mod.autocomplete(mods.other_channel, "event edit", "event", "spa") == []


async def test_events_of_one_guild_are_never_seen_or_changed_from_another(mods):
    event = await add_spa(mods)
    stranger = mods.other_guild.add_member(mods.env.create_user("grace"))
    for who in (mods.other_mod, stranger):
        seen = await who.slash(mods.other_channel, "race", event="Club 6 Hours of Spa 2027")
        assert seen.ephemeral
        assert seen.response.content.startswith("No event matches")
    before = await dump(mods.store)
    # Even the id of the event, as an autocomplete choice would carry it, finds nothing.
    for options in ({"event": "Club 6 Hours of Spa"}, {"event": f"id:{event.id}"}):
        refused = await mods.other_mod.slash(mods.other_channel, "event remove", **options)
        assert refused.ephemeral
        assert "No event matches" in refused.response.content
    assert await dump(mods.store) == before


async def test_moderator_commands_are_not_offered_in_direct_messages(mods):
    user = mods.env.create_user("henry")
    commands = user.available_commands()
    for name in ("event", "session", "entry", "result", "calendar", "fanbot"):
        assert name not in commands
    with pytest.raises(simcord.SetupError):
        await user.slash("event add", **SPA)


async def test_every_moderator_command_and_option_has_a_french_name_and_description(mods):
    french = discord.Locale.french
    missing = []

    def walk(item, path):
        if french not in item.name_localizations:
            missing.append(f"{path} name")
        if getattr(item, "description", None) and french not in item.description_localizations:
            missing.append(f"{path} description")
        for child in getattr(item, "options", []):
            walk(child, f"{path} {child.name}")

    for name in ("event", "session", "entry", "result", "calendar", "fanbot"):
        walk(mods.commands[name], name)
    assert missing == []
    assert mods.commands["event"].options[0].name_localizations[french] == "ajouter"
