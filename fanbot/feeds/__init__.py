"""Calendars that follow their sources: feeds a server subscribed to, and the published
catalog. Fetching (``fetch``) is safe against URLs that point into the bot's own
network; applying (``apply``) goes through the store like a moderator's import."""
