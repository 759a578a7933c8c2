"""The numbered SQL migrations, applied in order by ``fanbot.store.database``; never edit one that shipped."""
