"""The Discord adapter: a thin shell over ``fanbot.answers``."""
