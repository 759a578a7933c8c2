"""The store's contract: what every backend (SQLite, PostgreSQL) promises, tested on each."""
