"""Clocks: the single source of "now" for everything the mock derives.

Session progress is computed from the clock rather than stored, so swapping
the real clock for a virtual one makes every time-dependent answer testable
without sleeping.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from functools import lru_cache
from typing import Protocol


class Clock(Protocol):
    """What the mock needs from a clock: the current time in epoch seconds."""

    kind: str

    def now(self) -> float: ...


# The last instant a virtual clock may reach. Instants are written as ISO 8601 dates, which
# end with the year 9999, and segments fall due up to months after "now"; past this point an
# answer could no longer be written at all.
LATEST = 221_845_392_000.0  # 9000-01-01T00:00:00Z


class RealClock:
    """Wall-clock time, in whole milliseconds so derived timestamps are exact."""

    kind = "real"

    def now(self) -> float:
        return round(time.time(), 3)


class VirtualClock:
    """A clock that moves only when told to: tests and UIs step through a session."""

    kind = "virtual"

    def __init__(self, start: float | None = None) -> None:
        self._now = float(int(time.time() if start is None else start))
        self._lock = threading.Lock()

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> float:
        """Move forward by ``seconds`` (never backwards: readiness must not regress)."""
        if seconds < 0:
            raise ValueError("a clock cannot move backwards")
        with self._lock:
            if self._now + seconds > LATEST:
                raise ValueError(f"a clock cannot pass {isoformat(LATEST)}; it is {isoformat(self._now)}")
            self._now = round(self._now + seconds, 3)
            return self._now

    def set(self, instant: float) -> float:
        """Jump to ``instant`` if it is not in the past of the current time."""
        with self._lock:
            if instant < self._now:
                raise ValueError("a clock cannot move backwards")
            if instant > LATEST:
                raise ValueError(f"a clock cannot pass {isoformat(LATEST)}")
            self._now = round(instant, 3)
            return self._now


def make_clock(kind: str) -> RealClock | VirtualClock:
    if kind == "real":
        return RealClock()
    if kind == "virtual":
        return VirtualClock()
    raise ValueError(f"unknown clock {kind!r}: use 'real' or 'virtual'")


@lru_cache(maxsize=8192)  # the same ready instants are shown again on every poll of a session
def isoformat(instant: float) -> str:
    """ISO 8601 in UTC with a ``Z``; milliseconds only when the instant has them."""
    moment = datetime.fromtimestamp(instant, tz=UTC)
    spec = "seconds" if moment.microsecond == 0 else "milliseconds"
    return moment.isoformat(timespec=spec).replace("+00:00", "Z")
