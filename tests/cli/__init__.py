"""The console (``fanbot`` ask, import, export, console, and ``fanbot run`` while Discord
cannot be reached)."""
