"""The SQLite store: the only place in fanbot that holds SQL.

Layers above import from this package, never from its modules: what is listed here
is the store's interface, which the PostgreSQL backend will implement too.
"""

from fanbot.store.database import (
    CalendarRow,
    CatalogSource,
    ImportSummary,
    Scope,
    Store,
    StoreBusy,
    StoreUnavailable,
)
from fanbot.store.editing import AuditEntry, DuplicateKey, EditRefused, EventWrite, NotOwned, StaleVersion

__all__ = [
    "AuditEntry",
    "CalendarRow",
    "CatalogSource",
    "DuplicateKey",
    "EditRefused",
    "EventWrite",
    "ImportSummary",
    "NotOwned",
    "Scope",
    "StaleVersion",
    "Store",
    "StoreBusy",
    "StoreUnavailable",
]
