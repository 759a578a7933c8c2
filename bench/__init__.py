"""Benchmarks of ``fanbot run`` against the local fake Discord (testing/fakediscord).

Run ``.venv/bin/python -m bench`` from the repository root; see bench/README.md.
Not part of the test run: speed goals live here, never in tests/.
"""
