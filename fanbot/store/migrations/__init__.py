"""The numbered SQL migrations, applied in order by ``fanbot.store.schema``; never edit one that shipped."""
