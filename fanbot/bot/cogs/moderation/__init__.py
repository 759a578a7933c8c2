"""Moderator commands: a guild's own events, sessions, line-ups and results (issue 4).

One cog per command family, on a shared base (``base.ModerationCog``: the refusal,
the preview with Confirm / Cancel, changes written at once, the autocompletes):

- ``events``: /event add|edit|postpone|cancel|remove|history|import and /session add|edit|remove;
- ``lineups``: /entry add|edit|remove and /result set|remove;
- ``calendar``: /calendar export|add-circuit;
- ``settings``: /fanbot settings moderator-role.
"""
