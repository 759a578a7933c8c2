"""The SQLite store: the only place in fanbot that holds SQL."""

from fanbot.store.database import ImportSummary, Scope, Store

__all__ = ["ImportSummary", "Scope", "Store"]
