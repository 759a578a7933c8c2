"""Reading the whole database back: tests of "this changed nothing" compare two dumps."""

from __future__ import annotations

from fanbot.store import Store


async def dump(store: Store) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table, to prove that something changed nothing.

    Leaves out ``name_revision``: it counts the write transactions that changed rows (for
    the name indexes' caches); tests of "changes nothing at all" check it themselves."""
    out: dict[str, list[tuple[object, ...]]] = {}
    rows = await store.database.fetch_all("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
    tables = [r[0] for r in rows if r[0] != "name_revision"]
    for table in tables:
        out[table] = [tuple(r) for r in await store.database.fetch_all(f"SELECT * FROM {table} ORDER BY 1")]
    return out
