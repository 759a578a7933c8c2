"""PostgreSQL's numbered migrations: each to the effect of SQLite's of the same number
(``fanbot/store/migrations``), in PostgreSQL's types; never edit one that shipped."""
