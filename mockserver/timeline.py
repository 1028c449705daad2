"""The time model: a session's progress at an instant, derived from stored facts.

Segment *k* becomes ready at ``started_at + first_delay + k * interval``. Each
organization has a segment quota consumed in the order segments become ready;
once it is used up, every session of that organization that still has segments
to make stops with ``stopped_cap``. Everything is evaluated at
``min(now, ended_at)``, so an ended session is frozen by construction.
"""

from __future__ import annotations

import heapq
import math
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import NamedTuple

from .config import Timings
from .store import SessionRecord

ACTIVE, ENDED, STOPPED_CAP = "active", "ended", "stopped_cap"


class Progress(NamedTuple):  # made for every answer: a tuple is built in half the time of a frozen dataclass
    status: str
    ready_count: int
    next_ready_at: float | None

    @property
    def more_pending(self) -> bool:
        return self.next_ready_at is not None


def ready_time(record: SessionRecord, timings: Timings, index: int) -> float:
    offset = timings.first_segment_seconds + index * timings.segment_interval_seconds
    return round(record.started_at + offset, 3)


def _horizon(record: SessionRecord, now: float) -> float:
    return now if record.ended_at is None else min(now, record.ended_at)


def _uncapped_ready(record: SessionRecord, timings: Timings, at: float) -> int:
    elapsed = at - record.started_at - timings.first_segment_seconds
    # A float floor can land one off on exact boundaries (even before the first
    # segment: 0.3 - 0.3 can come out below zero); ready_time has the last word.
    count = max(0, int(elapsed // timings.segment_interval_seconds) + 1)
    while count > 0 and ready_time(record, timings, count - 1) > at:
        count -= 1
    while count < record.total_segments and ready_time(record, timings, count) <= at:
        count += 1
    return min(count, record.total_segments)


def final_ready_count(record: SessionRecord, timings: Timings) -> int:
    """How many segments the session will have made when nothing more can change, quota aside."""
    if record.ended_at is None:
        return record.total_segments
    return _uncapped_ready(record, timings, record.ended_at)


@dataclass(frozen=True)
class QuotaLedger:
    """Who got the organization's first ``quota`` segments, and when the quota ran out."""

    granted: Counter[str]
    exhausted_at: float | None

    @classmethod
    def compute(
        cls, sessions: Iterable[SessionRecord], quota: int, timings: Timings, now: float
    ) -> QuotaLedger:
        """``sessions`` in the order they were stored: that order breaks ties, so a session
        started later never takes a segment an earlier one already showed as ready."""
        sessions = list(sessions)
        if quota <= 0:
            return cls(Counter(), -math.inf)
        made = {s.session_id: _uncapped_ready(s, timings, _horizon(s, now)) for s in sessions}
        if sum(made.values()) < quota:
            return cls(Counter(made), None)
        events = heapq.merge(
            *(segment_events(s, n, timings, made[s.session_id]) for n, s in enumerate(sessions))
        )
        granted: Counter[str] = Counter()
        exhausted_at: float | None = None
        for n, (instant, _, _, _, session_id) in enumerate(events, start=1):
            granted[session_id] += 1
            if n == quota:
                exhausted_at = instant
                break
        return cls(granted, exhausted_at)


# (ready instant, started_at, position in the store, index, session id): the order of readiness.
Event = tuple[float, float, int, int, str]


def segment_events(record: SessionRecord, stored: int, timings: Timings, count: int) -> Iterator[Event]:
    """The session's first ``count`` segments as ledger events, in readiness order."""
    for index in range(count):
        yield ready_time(record, timings, index), record.started_at, stored, index, record.session_id


def progress(
    record: SessionRecord, timings: Timings, now: float, ledger: QuotaLedger | None = None
) -> Progress:
    """The session's status, ready count and next due time at ``now``."""
    horizon = _horizon(record, now)
    total = record.total_segments
    if ledger is None:
        ready = _uncapped_ready(record, timings, horizon)
    else:
        ready = ledger.granted.get(record.session_id, 0)
        if ledger.exhausted_at is not None and ledger.exhausted_at <= horizon:
            cap_moment = max(ledger.exhausted_at, record.started_at)
            still_running = record.ended_at is None or record.ended_at > cap_moment
            if still_running and ready < total:
                return Progress(STOPPED_CAP, ready, None)
    if record.ended_at is not None:
        return Progress(ENDED, ready, None)
    if ready >= total:
        return Progress(ACTIVE, total, None)
    return Progress(ACTIVE, ready, ready_time(record, timings, ready))
