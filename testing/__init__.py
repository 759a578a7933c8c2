"""Test support importable by the tests (``tests/``) and the benchmarks (``bench/``).

Not part of the installed bot: the wheel packages ``fanbot`` only (see ``pyproject.toml``).
Here live the pieces both need and neither may import from the other: the local fake Discord
(:mod:`testing.fakediscord`) and starting ``fanbot run`` as a process against it
(:mod:`testing.fanbot_process`). Importable with the repository root on ``sys.path``: pytest
puts it there (``tests/`` is a package, so its rootdir is inserted), and ``python -m bench``
is run from the root.
"""
