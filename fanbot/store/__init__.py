"""The store: the only place in fanbot that holds SQL, on SQLite or PostgreSQL.

Layers above import from this package, never from its modules: what is listed here
is the store's interface, the same on either backend. Inside,
``Store`` (``facade``) is composed of parts that reach the database only through
``Database`` and ``Transaction`` (``backend``): the calendar's reads (``reads``), the
catalog importer (``importer``), guild settings (``settings``), moderators' edits and
their audit log (``editing``, ``audit``) and the reminder tables (``reminders``), with
rows mapped to domain objects in one place (``rows``). ``sqlite`` and ``postgres`` are
the backends (``Store.open`` takes a file or a ``postgresql://`` URL); ``schema``
applies the numbered migrations of each.
"""

from fanbot.store.audit import AuditEntry
from fanbot.store.backend import StoreBusy, StoreUnavailable, writes_are_bookkeeping
from fanbot.store.copy import CopyFailed, CopyRefused, copy_store, database_location
from fanbot.store.editing import DuplicateKey, EditRefused, EventWrite, NotOwned, StaleVersion
from fanbot.store.facade import Store
from fanbot.store.importer import CatalogFetch, CatalogSource, ImportSummary, PublishedCatalogState
from fanbot.store.reads import CalendarRow, Scope
from fanbot.store.series_roles import SeriesRole

__all__ = [
    "AuditEntry",
    "CalendarRow",
    "CatalogFetch",
    "CatalogSource",
    "CopyFailed",
    "CopyRefused",
    "DuplicateKey",
    "EditRefused",
    "EventWrite",
    "ImportSummary",
    "NotOwned",
    "PublishedCatalogState",
    "Scope",
    "SeriesRole",
    "StaleVersion",
    "Store",
    "StoreBusy",
    "StoreUnavailable",
    "copy_store",
    "database_location",
    "writes_are_bookkeeping",
]
