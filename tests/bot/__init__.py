"""The real bot driven through simcord: the fans' commands, reminders, and the moderators'
commands (events, files, line-ups, permissions, bad input)."""
