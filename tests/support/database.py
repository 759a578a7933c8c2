"""Reading the whole database back: tests of "this changed nothing" compare two dumps."""

from __future__ import annotations

from fanbot.store import Store

# What each backend calls the list of its tables.
_TABLES = {
    "sqlite": "SELECT name FROM sqlite_master WHERE type = 'table'",
    "postgresql": (
        "SELECT table_name FROM information_schema.tables "
        "WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
    ),
}


async def dump(store: Store) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table, on either backend, in an order that does not depend on
    the backend's plan, to prove that something changed nothing.

    Leaves out ``name_revision``: it counts the write transactions that changed rows (for
    the name indexes' caches); tests of "changes nothing at all" check it themselves."""
    listed = await store.database.fetch_all(_TABLES[store.database.dialect])
    tables = sorted(str(r[0]) for r in listed)
    # An empty listing would make every "changed nothing" hold by default.
    assert {"events", "sessions", "deliveries", "audit_log"} <= set(tables), tables
    out: dict[str, list[tuple[object, ...]]] = {}
    for table in tables:
        if table != "name_revision":
            rows = await store.database.fetch_all(f"SELECT * FROM {table}")
            out[table] = sorted((tuple(r) for r in rows), key=repr)
    return out
