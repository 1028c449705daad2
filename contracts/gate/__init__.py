"""``focus-contract``: the contract suite as a CI gate, with exit codes and reports for tools.

:mod:`.cli` reads the command line, :mod:`.suite` runs ``pytest contracts`` in a child
process and turns its verdicts into an :class:`~.outcome.Outcome`, and :mod:`.reports`
writes that outcome as JUnit XML, JSON and Markdown. ``focus-contract lint`` checks the
spec itself (:mod:`contracts.lint`).
"""
