"""The time model: a session's progress at an instant, derived from stored facts.

Segment *k* becomes ready at ``started_at + first_delay + k * interval``. Each
organization has a segment quota consumed in the order segments become ready;
once it is used up, every session of that organization that still has segments
to make stops with ``stopped_cap``, and stays so. A quota changed at run time
holds from the moment it was changed: it never rewrites what happened before.
Everything is evaluated at ``min(now, ended_at)``, so an ended session is frozen
by construction.
"""

from __future__ import annotations

import heapq
import math
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import NamedTuple

from .config import Timings
from .store import QuotaChange, SessionRecord

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


Limit = tuple[float | None, int]  # (when the session stopped at the quota, or None; segments it got)
NO_LIMITS: Mapping[str, Limit] = MappingProxyType({})


@dataclass(frozen=True)
class QuotaHistory:
    """An organization's segment quota over time: the configured one, then each change in order."""

    initial: int
    changes: tuple[QuotaChange, ...] = ()

    @classmethod
    def of(cls, quotas: int | QuotaHistory) -> QuotaHistory:
        return quotas if isinstance(quotas, QuotaHistory) else cls(quotas)


@dataclass(frozen=True)
class QuotaLedger:
    """What the organization's quota did to its sessions.

    ``limits`` holds each session the quota stopped (the moment it stopped, what it
    had) or left short (moment None). ``exhausted_at`` opens a stretch without quota
    that is still going on: a session not in ``limits`` that runs into it stops there
    with ``granted`` segments (see :func:`progress`).
    """

    granted: Mapping[str, int]
    exhausted_at: float | None
    limits: Mapping[str, Limit] = field(default_factory=lambda: NO_LIMITS)

    @classmethod
    def compute(
        cls, sessions: Iterable[SessionRecord], quotas: int | QuotaHistory, timings: Timings, now: float
    ) -> QuotaLedger:
        """The definition: the organization's history walked from the beginning up to ``now``.

        ``sessions`` in the order they were stored: that order breaks ties, so a session
        started later never takes a segment an earlier one already showed as ready.
        """
        history = QuotaHistory.of(quotas)
        walk = QuotaWalk(list(sessions), history.initial, timings, now)
        for change in history.changes:
            if change.at > now:
                break
            walk.run_to(change.at, change.sessions_before)
            walk.change(change)
        walk.run_to(now, math.inf)
        return cls(walk.granted_by_id(), walk.exhausted_since, walk.limits())


class QuotaWalk:
    """An organization's sessions and quota changes walked forward in the order things happened.

    Happenings are ordered by instant. At one instant a quota change comes after what
    the sessions stored before it did then, and before what the later ones did (on the
    virtual clock a start, a quota change and another start often share an instant).
    Segments are ordered by readiness, then ``started_at``, then storage order.

    While the quota lasts, each segment is granted when it becomes ready. When the
    organization has used its quota, every running session that still had segments to
    make stops there, and so does each session started before the quota is raised
    again. A stop is history: a later change never undoes it, and a lowered quota
    never takes back a segment granted before it.
    """

    def __init__(
        self, sessions: list[SessionRecord], quota: int, timings: Timings, now: float = math.inf
    ) -> None:
        self.sessions = sessions
        self.timings = timings
        self.quota = quota
        self.used = 0
        self.exhausted_since: float | None = -math.inf if quota <= 0 else None
        self.boundary: tuple[float, float] = (-math.inf, 0)
        # the segments each session makes by ``now``: all of them for a running one when now is inf
        self.made = [
            final_ready_count(s, timings)
            if now == math.inf
            else _uncapped_ready(s, timings, _horizon(s, now))
            for s in sessions
        ]
        self.passed = [0] * len(sessions)  # segments walked past, granted or not
        self.granted = [0] * len(sessions)
        self.stopped: dict[int, float] = {}  # position -> the moment the session stopped

    def run_to(self, at: float, sessions_before: float) -> None:
        """Walk every happening before the boundary ``(at, sessions_before)``."""
        boundary = max(self.boundary, (at, sessions_before))  # a clock set back changes no history
        ends = [self._made_before(n, *boundary) for n in range(len(self.sessions))]
        if self.exhausted_since is None:
            waiting = sum(ends[n] - self.passed[n] for n in range(len(ends)) if n not in self.stopped)
            if self.used + waiting < self.quota:  # the quota lasts: every segment is granted
                for n in range(len(ends)):
                    if n not in self.stopped:
                        self.granted[n] += ends[n] - self.passed[n]
                self.used += waiting
            else:
                self._grant_until_exhausted(ends)
        if self.exhausted_since is not None:
            self._stop_started_before(*boundary)
        self.passed = ends
        self.boundary = boundary

    def change(self, change: QuotaChange) -> None:
        """Apply a quota change at its boundary (walk up to it first)."""
        self.quota = change.segment_quota
        if self.exhausted_since is not None:
            if self.used < self.quota:
                self.exhausted_since = None  # raised: sessions started from now on run again
        elif self.used >= self.quota:
            self.exhausted_since = max(change.at, self.boundary[0])
            self._stop_started_before(*self.boundary)

    def _made_before(self, n: int, at: float, sessions_before: float) -> int:
        record, made = self.sessions[n], self.made[n]
        if at == -math.inf or not made:
            return 0
        if at == math.inf:
            return made
        count = min(_uncapped_ready(record, self.timings, at), made)
        if count and n >= sessions_before and ready_time(record, self.timings, count - 1) == at:
            count -= 1  # stored after the change: what it did at that instant comes after it
        return count

    def _grant_until_exhausted(self, ends: list[int]) -> None:
        streams = [
            segment_events(s, n, self.timings, ends[n], self.passed[n])
            for n, s in enumerate(self.sessions)
            if n not in self.stopped and ends[n] > self.passed[n]
        ]
        for instant, _, n, _, _ in heapq.merge(*streams):
            self.granted[n] += 1
            self.used += 1
            if self.used >= self.quota:
                self.exhausted_since = instant
                return

    def _stop_started_before(self, at: float, sessions_before: float) -> None:
        """Stop each session started before the boundary that runs into the stretch without quota."""
        since = self.exhausted_since
        assert since is not None
        for n, record in enumerate(self.sessions):
            if n in self.stopped:
                continue
            if record.started_at > at or (record.started_at == at and n >= sessions_before):
                continue
            moment = max(since, record.started_at)
            running = record.ended_at is None or record.ended_at > moment
            if running and self.granted[n] < record.total_segments:
                self.stopped[n] = moment

    def granted_by_id(self) -> Counter[str]:
        return Counter({s.session_id: g for s, g in zip(self.sessions, self.granted, strict=True) if g})

    def limits(self) -> dict[str, Limit]:
        """Stopped sessions, and those the quota left short of what they made (moment None)."""
        limits: dict[str, Limit] = {}
        for n, record in enumerate(self.sessions):
            if n in self.stopped:
                limits[record.session_id] = (self.stopped[n], self.granted[n])
            elif self.granted[n] < self.passed[n]:
                limits[record.session_id] = (None, self.granted[n])
        return limits


# (ready instant, started_at, position in the store, index, session id): the order of readiness.
Event = tuple[float, float, int, int, str]


def segment_events(
    record: SessionRecord, stored: int, timings: Timings, count: int, first: int = 0
) -> Iterator[Event]:
    """The session's segments ``first`` to ``count - 1`` as ledger events, in readiness order."""
    for index in range(first, count):
        yield ready_time(record, timings, index), record.started_at, stored, index, record.session_id


def progress(
    record: SessionRecord, timings: Timings, now: float, ledger: QuotaLedger | None = None
) -> Progress:
    """The session's status, ready count and next due time at ``now``."""
    horizon = _horizon(record, now)
    total = record.total_segments
    if ledger is None:
        ready = _uncapped_ready(record, timings, horizon)
    elif (limit := ledger.limits.get(record.session_id)) is not None:
        stopped_at, count = limit
        if stopped_at is not None and stopped_at <= horizon:
            return Progress(STOPPED_CAP, count, None)
        ready = min(_uncapped_ready(record, timings, horizon), count)
    elif ledger.exhausted_at is not None and ledger.exhausted_at <= horizon:
        ready = ledger.granted.get(record.session_id, 0)
        cap_moment = max(ledger.exhausted_at, record.started_at)
        still_running = record.ended_at is None or record.ended_at > cap_moment
        if cap_moment <= horizon and still_running and ready < total:
            return Progress(STOPPED_CAP, ready, None)
    else:
        ready = _uncapped_ready(record, timings, horizon)
    if record.ended_at is not None:
        return Progress(ENDED, ready, None)
    if ready >= total:
        return Progress(ACTIVE, total, None)
    return Progress(ACTIVE, ready, ready_time(record, timings, ready))
