"""fanbot's tests, laid out by what they drive: ``unit/`` (below the bot), ``bot/`` (the bot
through simcord), ``cli/`` (the console), ``e2e/`` (``fanbot run`` against the fake Discord of
:mod:`testing.fakediscord`). Fixtures are in ``conftest.py``, other shared helpers in
``support/``."""
