"""Answers as Discord embeds and Discord-marked text: the fans' answers, the moderators'
previews, reminders and corrections, each inside Discord's limits (``pages``)."""
