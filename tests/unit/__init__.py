"""Tests of fanbot below the bot, with no Discord at all: the domain (time rules, typed times),
the store on a real SQLite file, the calendar file formats, the answers and the name lookup,
the reminder planner and dispatcher, and the translations."""
