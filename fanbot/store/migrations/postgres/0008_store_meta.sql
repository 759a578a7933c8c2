-- Version 8: what the store knows about itself ("seed_sha256": the digest of the shipped
-- catalog last imported at start, so that an upgraded release's catalog is imported again).
CREATE TABLE store_meta (
    key   text COLLATE "C" PRIMARY KEY,
    value text COLLATE "C" NOT NULL
);
