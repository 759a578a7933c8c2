"""Turning answers into what people read, without Discord: console text, JSON, and the
words and lines every renderer shares (the Discord embeds are in ``fanbot.bot.embeds``)."""
