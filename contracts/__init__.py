"""The Focus Sessions contract suite: ``pytest contracts [--base-url URL ...]``.

Each test checks clauses of the API notes (D = documented, MUST; I = inferred,
SHOULD) against a running server, or against the bundled mock when no URL is
given. :mod:`contracts.plugin` holds the options, fixtures and verdict report.
"""
