"""Turning answers into what people read: text (console), JSON, Discord embeds."""
