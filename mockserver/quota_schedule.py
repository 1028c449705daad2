"""The quota ledger of an organization for every instant at once, kept up to date as sessions come and go.

:meth:`~mockserver.timeline.QuotaLedger.compute` is the definition: at ``now``,
the organization's segments that are ready (each session's evaluated at
``min(now, ended_at)``) are ordered by readiness and the first ``quota`` of
them are granted. Recomputing it for every request walks every session of the
organization; this module gives the same answer in O(1) per request.

Why one summary serves every ``now``: call *E* the segments a session will ever
make (all of them if it is running, those ready by ``ended_at`` if it ended).
The segments ready at ``now`` are exactly the members of *E* ready by ``now``,
and the ordering key starts with the ready instant, so they are a prefix of *E*
in readiness order. Let *P* be the first ``quota`` members of *E* and *X* the
instant of the last of them. If *E* has fewer than ``quota`` members, or
``now < X``, fewer than ``quota`` segments are ready: nothing is capped and
every session has its uncapped count. Otherwise the first ``quota`` ready
segments are *P*, whatever ``now`` is: the ledger is (*P*'s counts, *X*). So the
clock moving never changes the summary; only the sessions and the quota do.

When the sum of ``total_segments`` over the organization is at most ``quota``
(the common case), the quota can never cap anyone: at worst every segment is
granted and every session is complete. Then *P* is not even kept.

Quota changes at run time are history (see :class:`~mockserver.timeline.QuotaWalk`):
the schedule walks the organization up to its last change once, keeps who
stopped before it (``limits``) and what each session got, and applies the above
to what comes after it, with what is left of the quota then. Everything after
the last change happens after every change, so the argument holds unchanged.
"""

from __future__ import annotations

import bisect
import heapq
import math
import threading
from collections import Counter
from collections.abc import Callable, Container, Mapping
from dataclasses import dataclass, field

from .config import Timings
from .store import SessionRecord, SessionStore
from .timeline import (
    NO_LIMITS,
    Event,
    Limit,
    QuotaHistory,
    QuotaLedger,
    QuotaWalk,
    final_ready_count,
    ready_time,
    segment_events,
)


@dataclass
class QuotaSchedule:
    """One organization's ledger as a function of ``now`` (from its last quota change on):
    :meth:`ledger_at` is O(1)."""

    quota: int  # what the quota leaves to grant after the last change
    timings: Timings
    stored: int = 0  # sessions folded in; the next one added is stored at this position
    segments: int = 0  # upper bound of the segments still to come after the last change
    first: list[Event] | None = None  # P, sorted; None while segments <= quota
    granted: Counter[str] = field(default_factory=Counter)  # each session's count before, plus P's
    exhausted_since: float | None = None  # the quota was used up at the last change, since then
    # sessions stopped (or left short) before the last change
    limits: Mapping[str, Limit] = field(default_factory=lambda: NO_LIMITS)

    @classmethod
    def build(
        cls, sessions: list[SessionRecord], quotas: int | QuotaHistory, timings: Timings
    ) -> QuotaSchedule:
        """From the organization's sessions in the order they were stored, and its quota history."""
        history = QuotaHistory.of(quotas)
        if not history.changes:
            schedule = cls(history.initial, timings, len(sessions), sum(s.total_segments for s in sessions))
            if history.initial <= 0:
                schedule.exhausted_since = -math.inf
            elif schedule._needs_order():
                schedule.first = first_events(sessions, history.initial, timings)
                schedule.granted = Counter(event[-1] for event in schedule.first)
            return schedule
        walk = QuotaWalk(sessions, history.initial, timings)
        for change in history.changes:
            walk.run_to(change.at, change.sessions_before)
            walk.change(change)
        to_come = [s.total_segments - walk.passed[n] for n, s in enumerate(sessions) if n not in walk.stopped]
        schedule = cls(
            max(walk.quota - walk.used, 0),
            timings,
            len(sessions),
            sum(to_come),
            granted=walk.granted_by_id(),
            exhausted_since=walk.exhausted_since,
            limits=walk.limits() or NO_LIMITS,
        )
        if schedule.exhausted_since is None and schedule._needs_order():
            schedule.first = first_events(sessions, schedule.quota, timings, walk.passed, walk.stopped)
            schedule.granted.update(event[-1] for event in schedule.first)
        return schedule

    def _needs_order(self) -> bool:
        return 0 < self.quota < self.segments

    def ledger_at(self, now: float) -> QuotaLedger | None:
        """The ledger at ``now``; None when nothing is capped (each session has its uncapped count)."""
        if self.exhausted_since is not None:
            return QuotaLedger(self.granted, self.exhausted_since, self.limits)
        if self.first is not None and len(self.first) >= self.quota and now >= self.first[-1][0]:
            return QuotaLedger(self.granted, self.first[-1][0], self.limits)
        if self.limits:
            return QuotaLedger(self.granted, None, self.limits)
        return None

    def add(self, record: SessionRecord) -> bool:
        """Fold in a session stored after all the others (and after the last quota change); False
        if the schedule must be rebuilt.

        New members of *E* can only push old ones out of *P*: *P* becomes the first
        ``quota`` of *P* plus the new session's segments.
        """
        position = self.stored
        self.stored += 1
        self.segments += record.total_segments
        if self.exhausted_since is not None:
            return True  # no quota left: it stops as it starts
        if self.first is None:
            return not self._needs_order()  # crossing the line needs every session: rebuild
        first, granted = self.first, self.granted
        if len(first) >= self.quota and ready_time(record, self.timings, 0) > first[-1][0]:
            return True  # the usual case once the quota is used up: all its segments come after P
        for event in segment_events(record, position, self.timings, final_ready_count(record, self.timings)):
            if len(first) >= self.quota and event > first[-1]:
                break  # this one and every later one of the session come after P
            bisect.insort(first, event)
            granted[record.session_id] += 1
            if len(first) > self.quota:
                pushed_out = first.pop()[-1]
                granted[pushed_out] -= 1
                if not granted[pushed_out]:
                    del granted[pushed_out]
        return True

    def end(self, before: SessionRecord, after: SessionRecord) -> bool:
        """Account for ``before`` becoming ``after`` (ended); False if the schedule must be rebuilt.

        Ending only removes the session's segments after ``ended_at`` from *E*. The
        session's members of *P* are its first ones (its own segments are in
        readiness order), so if it keeps at least as many as it has in *P*, *P*
        loses nothing and is still the first ``quota`` of *E*.
        """
        if self.first is None or self.exhausted_since is not None:
            return True  # total_segments does not change when a session ends
        return self.granted.get(after.session_id, 0) <= final_ready_count(after, self.timings)


def first_events(
    sessions: list[SessionRecord],
    quota: int,
    timings: Timings,
    passed: list[int] | None = None,
    stopped: Container[int] = (),
) -> list[Event]:
    """The first ``quota`` segments the sessions will ever make, in readiness order (*P*).

    A merge of the sessions' segment streams that opens a session only when its
    first segment comes next: with a long history, the quota is used up by the
    oldest sessions and the others are never opened. Sessions are opened by
    ``started_at`` (stable, so ties keep storage order), which is the order of
    their first segments: ready instants grow with ``started_at``, and equal
    instants are ordered by ``started_at`` and then by storage position.

    After a quota change, only what comes after it counts: ``passed[n]`` segments of
    session *n* are behind, and ``stopped`` sessions make no more. Sessions already
    under way are in the merge from the outset, as their next segments are in no
    particular order.
    """
    passed = passed or [0] * len(sessions)
    heap: list[tuple[Event, SessionRecord, int]] = []
    for n, record in enumerate(sessions):
        if passed[n] and n not in stopped:
            count = final_ready_count(record, timings)
            if passed[n] < count:
                index = passed[n]
                event = (ready_time(record, timings, index), record.started_at, n, index, record.session_id)
                heap.append((event, record, count))
    heapq.heapify(heap)
    fresh = [n for n in range(len(sessions)) if not passed[n] and n not in stopped]
    order = sorted(fresh, key=lambda n: sessions[n].started_at)
    found: list[Event] = []
    opened = 0
    head: Event | None = None  # first segment of the next session to open
    while len(found) < quota:
        if head is None and opened < len(order):
            n = order[opened]
            record = sessions[n]
            head = (ready_time(record, timings, 0), record.started_at, n, 0, record.session_id)
        if head is not None and (not heap or head < heap[0][0]):
            record = sessions[head[2]]
            count = final_ready_count(record, timings)
            if count:
                heapq.heappush(heap, (head, record, count))
            opened += 1
            head = None
            continue
        if not heap:
            break
        event, record, count = heap[0]
        found.append(event)
        index = event[3] + 1
        if index < count:
            following = (ready_time(record, timings, index), event[1], event[2], index, event[4])
            heapq.heapreplace(heap, (following, record, count))
        else:
            heapq.heappop(heap)
    return found


Change = Callable[["QuotaSchedule"], bool]


@dataclass
class _Cached:
    revision: int
    configured: int  # the organization's quota before any change
    schedule: QuotaSchedule


class QuotaSchedules:
    """The schedule of each organization, rebuilt when the store says its sessions changed.

    ``store.revision(org)`` grows by one with every change the time model reads;
    a schedule is used only at the revision it was built or updated for. The
    service's own starts and ends update the schedule in place when the
    revision shows that theirs was the only change.
    """

    def __init__(self, store: SessionStore) -> None:
        self._store = store
        self._cached: dict[str, _Cached] = {}
        self.lock = threading.RLock()  # held by callers across a change and its update

    def schedule(self, organization_id: str, configured: int, timings: Timings) -> QuotaSchedule:
        """The organization's schedule; ``configured`` is its quota before any change at run time."""
        with self.lock:
            revision = self._store.revision(organization_id)
            cached = self._cached.get(organization_id)
            if (
                cached is None
                or cached.revision != revision
                or cached.configured != configured
                or (cached.schedule.timings is not timings and cached.schedule.timings != timings)
            ):
                # read after the revision
                sessions = self._store.in_organization(organization_id)
                history = QuotaHistory(configured, tuple(self._store.quota_changes(organization_id)))
                cached = _Cached(revision, configured, QuotaSchedule.build(sessions, history, timings))
                self._cached[organization_id] = cached
            return cached.schedule

    def added(self, record: SessionRecord, revision_before: int) -> None:
        """``record`` was just stored; ``revision_before`` is its organization's revision before."""
        self._update(record.organization_id, revision_before, lambda s: s.add(record))

    def ended(self, before: SessionRecord, after: SessionRecord, revision_before: int) -> None:
        self._update(after.organization_id, revision_before, lambda s: s.end(before, after))

    def _update(self, organization_id: str, revision_before: int, change: Change) -> None:
        with self.lock:
            cached = self._cached.get(organization_id)
            if cached is None:
                return
            revision = self._store.revision(organization_id)
            if revision == cached.revision:
                return  # nothing changed
            if (
                cached.revision == revision_before
                and revision == revision_before + 1
                and change(cached.schedule)
            ):
                cached.revision = revision
            else:
                del self._cached[organization_id]
