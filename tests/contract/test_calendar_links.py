"""Calendar subscription links on every backend: a guild's token made once and kept, a
reset that replaces it (the old one finds nothing) with an audit row that holds no token,
and guilds that never share a token. (Links need no calendar: an empty store will do.)"""

from __future__ import annotations

from datetime import timedelta

from fanbot.domain.localtime import parse_instant

GUILD = 1_234_567_890_123_456_789  # Discord ids are 64-bit
OTHER = GUILD + 100
MODERATOR = 42
NOW = parse_instant("2030-03-01T08:00:00Z")


async def test_a_guilds_token_is_made_once_and_then_kept(empty_backend):
    links = empty_backend.calendar_links
    assert await links.guild_of("no-such-token") is None
    first = await links.token(GUILD, by=MODERATOR, at=NOW)
    assert len(first) >= 32
    assert await links.token(GUILD, by=MODERATOR + 1, at=NOW + timedelta(days=1)) == first
    assert await links.guild_of(first) == GUILD
    other = await links.token(OTHER, by=MODERATOR, at=NOW)
    assert other != first
    assert await links.guild_of(other) == OTHER


async def test_a_reset_replaces_the_token_and_the_old_one_finds_nothing(empty_backend):
    links = empty_backend.calendar_links
    old = await links.token(GUILD, by=MODERATOR, at=NOW)
    kept = await links.token(OTHER, by=MODERATOR, at=NOW)
    new = await links.reset(GUILD, by=MODERATOR + 1, at=NOW + timedelta(hours=2))
    assert new != old
    assert await links.guild_of(old) is None
    assert await links.guild_of(new) == GUILD
    assert await links.token(GUILD, by=MODERATOR, at=NOW + timedelta(hours=3)) == new
    # The other guild's link is untouched.
    assert await links.guild_of(kept) == OTHER


async def test_a_reset_is_in_the_audit_log_without_either_token(empty_backend):
    links = empty_backend.calendar_links
    old = await links.token(GUILD, by=MODERATOR, at=NOW)
    new = await links.reset(GUILD, by=MODERATOR + 1, at=NOW + timedelta(hours=2))
    [entry] = await empty_backend.editing.history(GUILD)
    assert entry.action == "calendar.link-reset"
    assert entry.user_id == MODERATOR + 1
    assert entry.at == NOW + timedelta(hours=2)
    assert entry.before == {"link_made_at": "2030-03-01T08:00:00Z", "link_made_by": MODERATOR}
    assert entry.after == {"link_made_at": "2030-03-01T10:00:00Z", "link_made_by": MODERATOR + 1}
    assert old not in repr(entry)
    assert new not in repr(entry)


async def test_a_reset_before_any_link_makes_one(empty_backend):
    links = empty_backend.calendar_links
    made = await links.reset(GUILD, by=MODERATOR, at=NOW)
    assert await links.guild_of(made) == GUILD
    [entry] = await empty_backend.editing.history(GUILD)
    assert entry.before is None
