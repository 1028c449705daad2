"""Benchmark harness: the mock against Prism and a bare Starlette ceiling, on this machine.

Not part of the unit tests; run ``python bench/run.py`` (see ``bench/README.md``).
"""
