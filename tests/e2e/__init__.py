"""``fanbot run`` as a process against the local fake Discord (end to end, fault injection),
and the fake Discord itself against a bare discord.py bot."""
