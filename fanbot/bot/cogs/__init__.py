"""The cogs: thin adapters from slash commands to the answer functions (fans, reminders, moderation)."""
