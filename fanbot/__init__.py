"""fanbot: a Discord bot for endurance-racing fans.

Layers, from the inside out; each imports only those before it, and the rules are
checked in CI (``[tool.importlinter]`` in ``pyproject.toml``):

- ``fanbot.i18n``, ``clock``, ``config``, ``commands`` -- base modules: messages,
  the clock, settings, the command table;
- ``fanbot.domain``  -- the model, local-time and session-time rules, limits, labels,
  catalog records, reminder value types;
- ``fanbot.store``   -- SQLite through aiosqlite: migrations, every SQL statement;
- ``fanbot.calendar_files`` -- the file formats: JSON catalog, CSV, iCalendar;
- ``fanbot.answers`` -- one async function per question, returning a view model;
- ``fanbot.reminders`` -- what reminders are owed (planner) and sending them
  (dispatcher), through a ``Courier`` that knows Discord;
- ``fanbot.render``  -- view models to Discord-free text, words and JSON;
- ``fanbot.bot``     -- the Discord adapter: cogs, embeds, views, the courier;
- ``fanbot.cli``     -- the terminal adapter (``fanbot ask``, ``console``, ``run``, ``import``).
"""

__version__ = "0.1.0"
