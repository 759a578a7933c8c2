"""What the tests share and are not tests: the worlds they run in, the made-up calendars and
files they feed the bot, and reading the database back.

- :mod:`tests.support.bot_world`: the bot driven through simcord (``BotWorld``, locales, embeds).
- :mod:`tests.support.moderation_world`: the moderators' permission matrix (``Mods``), their files.
- :mod:`tests.support.reminder_world`: made-up race weekends and a stand-in for Discord's
  message endpoint, for the reminder dispatcher.
- :mod:`tests.support.process_world`: a guild for ``fanbot run`` as a process against the fake
  Discord (the process itself is started by :mod:`testing.fanbot_process`, shared with bench).
- :mod:`tests.support.database`: every row of the database, to prove nothing changed.

Fixtures stay in ``tests/conftest.py``; test modules import helpers from here, never from
each other or from ``conftest``.
"""
