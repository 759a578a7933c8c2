-- Version 8: what the store knows about itself.

-- "seed_sha256": the digest of the shipped catalog last imported at start. A bot upgraded
-- to a release whose catalog changed imports it again (idempotently) instead of keeping
-- the catalog it was first seeded with.
CREATE TABLE store_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
