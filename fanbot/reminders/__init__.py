"""Reminders: the planner derives what is owed from the sessions as they are now;
one dispatcher sends it, once."""
