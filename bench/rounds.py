"""Several rounds of the same measurements, folded into one set of figures.

On a shared machine the speed available to a process drifts over minutes (a
busy neighbour, a throttled core): a server measured once, while the machine
happens to be slow, looks slower than one measured a minute later. So every
server is measured once per round, the order turning from round to round, and
each figure reported is the median over the rounds: a slow spell then lands on
each server in turn instead of on whichever came first. Failed requests are
summed instead, so an error in any round still fails its targets; the spread
(lowest, highest) of each server's rate is kept to show how far the rounds were
apart.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from typing import Any, TypeVar

Figures = dict[str, Any]
T = TypeVar("T")

SUMMED = frozenset({"requests", "error_count"})
SPREAD = ("rps", "p99_ms")


def turned(items: Sequence[T], round_index: int) -> list[T]:
    """``items`` starting at a different place each round: round 1 starts with the second."""
    if not items:
        return []
    start = round_index % len(items)
    return [*items[start:], *items[:start]]


def _median(values: Sequence[float]) -> float:
    middle = statistics.median(values)
    return round(middle, 3) if isinstance(middle, float) else middle


def _numbers(rounds: Sequence[Figures], key: str) -> list[float]:
    return [r[key] for r in rounds if isinstance(r.get(key), int | float) and not isinstance(r[key], bool)]


def fold_load(rounds: Sequence[Figures]) -> Figures:
    """One load's figures over the rounds: medians, sums for counts, errors merged."""
    measured = [r for r in rounds if not r.get("skipped")]
    if not measured:
        return dict(rounds[0])
    folded: Figures = dict(measured[-1])  # non-numeric fields (driver, connections) as last measured
    for key in {k for r in measured for k in r}:
        values = _numbers(measured, key)
        if values:
            folded[key] = sum(values) if key in SUMMED else _median(values)
    errors: dict[str, int] = {}
    for r in measured:
        for kind, count in (r.get("errors") or {}).items():
            errors[kind] = errors.get(kind, 0) + count
    folded["errors"] = errors
    folded["rounds"] = len(measured)
    for key in SPREAD:
        values = _numbers(measured, key)
        if values:
            folded[f"{key}_spread"] = [min(values), max(values)]
    return folded


def fold_server(rounds: Sequence[Figures]) -> Figures:
    """One server's figures (its loads, memory, start-up) over the rounds."""
    measured = [r for r in rounds if not r.get("skipped")]
    if not measured:
        return dict(rounds[0])
    folded: Figures = {k: v for k, v in measured[0].items() if k != "ops"}
    for key in ("first_answer_s", "rss_idle_mb", "rss_after_mb"):
        values = _numbers(measured, key)
        if values:
            folded[key] = _median(values)
    operations = list(dict.fromkeys(op for r in measured for op in r.get("ops", {})))
    folded["ops"] = {
        op: fold_load([r["ops"][op] for r in measured if op in r.get("ops", {})]) for op in operations
    }
    folded["rounds"] = len(measured)
    return folded


def fold_section(rounds: Sequence[dict[str, Figures]]) -> dict[str, Figures]:
    """A section measured in rounds (each a dict of server -> figures), as one section."""
    keys = list(dict.fromkeys(k for r in rounds for k in r))
    return {key: fold_server([r[key] for r in rounds if key in r]) for key in keys}
