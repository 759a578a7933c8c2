"""Calendar subscription links in the store: each guild's secret token (``calendar_links``).

A guild's link (``/calendar link``) is the web server's address with the token in its
path; whoever holds the link reads the guild's calendar, nothing more. The token is made
on first use and kept until a moderator resets it, after which the old link finds
nothing. A reset is written to the guild's audit log in the same transaction, without
either token (the log is read by moderators; the token is a secret).

Writes are ``names="none"``: a link changes no event, circuit or driver name.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from fanbot.domain.localtime import to_iso_utc
from fanbot.store.audit import audit_row
from fanbot.store.backend import Database, Transaction

# Bytes of randomness in a token: 24 bytes, 32 URL-safe characters, as unguessable as
# anything else a URL can hold.
TOKEN_BYTES = 24
RESET_ACTION = "calendar.link-reset"


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


class CalendarLinks:
    """``calendar_links``, reached as ``store.calendar_links``."""

    def __init__(self, database: Database) -> None:
        self._db = database

    async def token(self, guild_id: int, *, by: int, at: datetime) -> str:
        """The guild's token, made now (by ``by``) if it has none yet."""
        rows = await self._db.rows("SELECT token FROM calendar_links WHERE guild_id = ?", (guild_id,))
        if rows:
            return str(rows[0]["token"])
        async with self._db.write(names="none") as tx:
            # Another process may have made one meanwhile: theirs stays, and is the answer.
            await tx.execute(
                "INSERT INTO calendar_links (guild_id, token, created_at, created_by) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (guild_id) DO NOTHING",
                (guild_id, new_token(), to_iso_utc(at), by),
            )
            return await _token_in(tx, guild_id)

    async def reset(self, guild_id: int, *, by: int, at: datetime) -> str:
        """A new token for the guild (the old one stops working at once), with an audit
        row saying who reset it and when."""
        token = new_token()
        async with self._db.write(names="none") as tx:
            before = await tx.fetch_one(
                "SELECT created_at, created_by FROM calendar_links WHERE guild_id = ?", (guild_id,)
            )
            await tx.execute(
                "INSERT INTO calendar_links (guild_id, token, created_at, created_by) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (guild_id) DO UPDATE SET token = excluded.token, "
                "created_at = excluded.created_at, created_by = excluded.created_by",
                (guild_id, token, to_iso_utc(at), by),
            )
            # The reset and its record commit together or not at all.
            was = (
                {"link_made_at": str(before["created_at"]), "link_made_by": int(before["created_by"])}
                if before is not None
                else None
            )
            after = {"link_made_at": to_iso_utc(at), "link_made_by": by}
            await audit_row(tx, guild_id, by=by, at=at, action=RESET_ACTION, before=was, after=after)
        return token

    async def guild_of(self, token: str) -> int | None:
        """The guild whose link holds ``token``; None for a token that is not (or no
        longer) any guild's."""
        if not token:
            return None
        rows = await self._db.rows("SELECT guild_id FROM calendar_links WHERE token = ?", (token,))
        return int(rows[0]["guild_id"]) if rows else None


async def _token_in(tx: Transaction, guild_id: int) -> str:
    row = await tx.fetch_one("SELECT token FROM calendar_links WHERE guild_id = ?", (guild_id,))
    assert row is not None, "inserted just before, in this transaction"
    return str(row["token"])
