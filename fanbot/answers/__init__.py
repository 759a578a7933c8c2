"""Answer functions: one per question fans ask, shared by Discord and the console.

Each takes the store, the asking scope, the clock and the options, and returns
a view model (plain dataclasses, no Discord types, no formatting).
"""
