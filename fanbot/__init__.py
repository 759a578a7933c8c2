"""fanbot: a Discord bot for endurance-racing fans.

Layers, from the inside out:

- ``fanbot.domain``  -- the model (events, sessions, entries) and local-time rules;
- ``fanbot.store``   -- SQLite through aiosqlite, migrations, the catalog importer;
- ``fanbot.answers`` -- one async function per question, returning a view model;
- ``fanbot.render``  -- view model to text, JSON or a Discord embed;
- ``fanbot.bot``     -- the Discord adapter (thin cogs);
- ``fanbot.cli``     -- the terminal adapter (``fanbot ask``, ``console``, ``run``, ``import``).
"""

__version__ = "0.1.0"
