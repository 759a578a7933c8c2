"""Calendar boards on every backend: a guild's board saved and replaced, what its message
last showed, deletions counted up to the stop, a repost, and the revision that tells the
bot which boards' calendars were written. (Boards need no calendar: most tests run on an
empty store, which is quicker to make than a seeded one.)"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from fanbot.domain.boards import DELETIONS_TO_STOP, BoardStop, CalendarBoard, PinState
from fanbot.domain.localtime import parse_instant
from tests.contract.store_data import club_event, guild_catalog

GUILD = 1_234_567_890_123_456_789  # Discord ids are 64-bit
OTHER = GUILD + 100
NOW = parse_instant("2030-03-01T08:00:00Z")


def board_of(guild_id: int, **changes: object) -> CalendarBoard:
    board = CalendarBoard(
        guild_id=guild_id,
        channel_id=guild_id + 7,
        message_id=guild_id + 8,
        series="WEC",
        count=5,
        content_hash="a" * 64,
        pin=PinState.PINNED,
        deletions=0,
        posted_at=NOW,
        edited_at=NOW,
        updated_by=guild_id + 9,
    )
    return replace(board, **changes)  # type: ignore[arg-type]


async def test_a_board_reads_back_as_saved_and_a_new_setup_replaces_it_whole(empty_backend):
    boards = empty_backend.boards
    assert await boards.board(GUILD) is None
    await boards.save(board_of(GUILD), now=NOW)
    assert await boards.board(GUILD) == board_of(GUILD)
    # Deleted once, then set up again elsewhere: the count starts over, nothing stopped.
    await boards.record_deleted(GUILD, GUILD + 8, now=NOW)
    again = board_of(
        GUILD, channel_id=GUILD + 70, message_id=GUILD + 80, series=None, count=10, pin=PinState.NO_PERMISSION
    )
    await boards.save(again, now=NOW + timedelta(hours=1))
    assert await boards.board(GUILD) == again
    await boards.save(board_of(OTHER), now=NOW)
    assert [b.guild_id for b, _ in await boards.kept()] == [GUILD, OTHER]


async def test_an_edit_is_recorded_only_for_the_message_the_board_still_has(empty_backend):
    boards = empty_backend.boards
    await boards.save(board_of(GUILD), now=NOW)
    later = NOW + timedelta(minutes=5)
    assert await boards.record_edit(GUILD, GUILD + 8, "b" * 64, now=later)
    after = await boards.board(GUILD)
    assert after is not None
    assert (after.content_hash, after.edited_at) == ("b" * 64, later)
    # An answer about a message the board no longer has (set up again meanwhile) changes nothing.
    assert not await boards.record_edit(GUILD, GUILD + 999, "c" * 64, now=later)
    assert (await boards.board(GUILD)) == after


async def test_deleted_twice_the_board_stops_and_a_repost_in_between_takes_the_new_message(empty_backend):
    boards = empty_backend.boards
    await boards.save(board_of(GUILD), now=NOW)
    first = await boards.record_deleted(GUILD, GUILD + 8, now=NOW + timedelta(hours=1))
    assert first is not None
    assert (first.message_id, first.deletions, first.stopped) == (None, 1, False)
    assert first.content_hash == "a" * 64  # what the deleted message showed: a change is told by it
    assert first.repost_after == NOW + timedelta(days=1)

    reposted_at = NOW + timedelta(days=1)
    assert await boards.record_repost(GUILD, GUILD + 50, "d" * 64, PinState.PINS_FULL, now=reposted_at)
    # Only a board whose message is gone takes a repost.
    assert not await boards.record_repost(GUILD, GUILD + 51, "e" * 64, PinState.PINNED, now=reposted_at)
    back = await boards.board(GUILD)
    assert back is not None
    assert (back.message_id, back.content_hash, back.pin, back.posted_at, back.deletions) == (
        GUILD + 50,
        "d" * 64,
        PinState.PINS_FULL,
        reposted_at,
        1,
    )

    # A deletion noticed for a message it no longer has counts for nothing.
    stale = await boards.record_deleted(GUILD, GUILD + 8, now=reposted_at)
    assert stale == back
    stopped_at = reposted_at + timedelta(hours=2)
    second = await boards.record_deleted(GUILD, GUILD + 50, now=stopped_at)
    assert second is not None
    assert (second.deletions, second.stopped_at, second.stopped_reason) == (
        DELETIONS_TO_STOP,
        stopped_at,
        BoardStop.DELETED,
    )
    assert await boards.kept() == []
    assert not await boards.record_repost(GUILD, GUILD + 60, "f" * 64, PinState.PINNED, now=stopped_at)


async def test_a_stopped_board_says_why_and_off_forgets_it(empty_backend):
    boards = empty_backend.boards
    await boards.save(board_of(GUILD), now=NOW)
    await boards.save(board_of(OTHER), now=NOW)
    await boards.stop(GUILD, BoardStop.GONE, now=NOW)
    stopped = await boards.board(GUILD)
    assert stopped is not None
    assert (stopped.stopped_at, stopped.stopped_reason) == (NOW, BoardStop.GONE)
    assert [b.guild_id for b, _ in await boards.kept()] == [OTHER]
    assert await boards.remove(GUILD) == stopped
    assert await boards.board(GUILD) is None
    assert await boards.remove(GUILD) is None


async def test_a_guilds_revision_moves_with_its_own_calendar_and_no_other_guilds(backend):
    boards = backend.boards
    await boards.save(board_of(GUILD), now=NOW)
    await boards.save(board_of(OTHER), now=NOW)
    before = {b.guild_id: r for b, r in await boards.kept()}

    await backend.import_catalog(guild_catalog(club_event("club-6h", "Club 6 Hours", "2030-03-09")), GUILD)
    after_own = {b.guild_id: r for b, r in await boards.kept()}
    assert after_own[GUILD][1] > before[GUILD][1]
    assert after_own[OTHER] == before[OTHER]  # another guild's calendar did not change
    assert after_own[GUILD][0] == before[GUILD][0]

    # The board's own writes are not calendar writes: nothing moves.
    await boards.record_edit(GUILD, GUILD + 8, "b" * 64, now=NOW)
    assert {b.guild_id: r for b, r in await boards.kept()} == after_own
