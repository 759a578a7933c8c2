"""Adding a circuit of the guild's own, with the IANA zone its local times are read in."""

from __future__ import annotations

import re

from fanbot.answers.context import Asker
from fanbot.answers.moderation.errors import DuplicateCircuit, Missing, TooLong
from fanbot.answers.moderation.finding import guild_of
from fanbot.answers.moderation.options import read_text, read_zone
from fanbot.calendar_files.build import slug
from fanbot.domain.catalog import CircuitRecord
from fanbot.domain.folding import fold
from fanbot.domain.limits import MAX_ALIAS, MAX_ALIASES, MAX_CIRCUIT_NAME, MAX_PLACE
from fanbot.domain.model import Circuit
from fanbot.store import DuplicateKey


async def add_circuit(
    asker: Asker,
    *,
    by: int,
    name: str,
    timezone: str,
    location: str | None = None,
    country: str | None = None,
    aliases: str | None = None,
) -> Circuit:
    """A circuit of the guild's own, with the IANA zone its local times are read in."""
    circuit_name = read_text(name, "name", MAX_CIRCUIT_NAME, required=True)
    assert circuit_name is not None
    zone = read_zone(timezone, "")
    if not zone:
        raise Missing(option="timezone")
    alias_list = tuple(a for a in (" ".join(x.split()) for x in re.split(r"[,;|]", aliases or "")) if a)
    if len(alias_list) > MAX_ALIASES or any(len(a) > MAX_ALIAS for a in alias_list):
        raise TooLong(option="aliases", length=len(aliases or ""), limit=MAX_ALIASES * MAX_ALIAS)
    key = slug(circuit_name)[:80].strip("-")
    if not key:
        raise Missing(option="name")
    for existing in await asker.store.circuits(asker.scope):
        names = {fold(n) for n in (existing.name, existing.key, *existing.aliases)}
        if existing.key == key or names & {fold(n) for n in (circuit_name, *alias_list)}:
            raise DuplicateCircuit(name=circuit_name, existing=existing.name)
    record = CircuitRecord(
        key,
        circuit_name,
        zone,
        read_text(location, "location", MAX_PLACE),
        read_text(country, "country", MAX_PLACE),
        None,
        None,
        alias_list,
        None,
        None,
    )
    try:
        circuit_id = await asker.store.editing.add_circuit(guild_of(asker), record, by=by, at=asker.now)
    except DuplicateKey as exc:
        raise DuplicateCircuit(name=circuit_name, existing=key) from exc
    return next(c for c in await asker.store.circuits(asker.scope) if c.id == circuit_id)
