"""Where sessions live. Only facts are stored; progress is derived from the clock.

The :class:`SessionStore` protocol is all the rest of the mock relies on, so a
persistent backend only has to implement these few methods, each atomic.
Besides sessions a store keeps the two other facts progress depends on: quota
changes made through the control plane (each with when it was made, as a quota
change never rewrites what happened before it) and the virtual clock's last
reading, so that a persistent store can bring a restarted mock back where it was.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, fields, replace
from functools import cached_property
from math import ceil
from typing import NamedTuple, Protocol

SEGMENT_MINUTES = 2
NONE_PROMOTED: frozenset[int] = frozenset()  # shared: an empty frozenset of its own costs 216 bytes


@dataclass(frozen=True)
class SessionRecord:
    """What happened to a session; everything else is computed from these facts."""

    session_id: str
    organization_id: str
    owner_id: str
    goal: str
    engine: str
    target_minutes: int
    started_at: float
    ended_at: float | None = None
    promoted: frozenset[int] = NONE_PROMOTED

    @cached_property  # read several times in every answer; the facts it follows never change
    def total_segments(self) -> int:
        return ceil(self.target_minutes / SEGMENT_MINUTES)


class QuotaChange(NamedTuple):
    """A segment quota set at run time. Changes are history: each holds from its place in the
    sequence of events on, and never rewrites what happened before it."""

    at: float  # the clock's reading when it was set (-inf: from the very beginning)
    segment_quota: int
    # How many of the organization's sessions were stored before it. On the virtual clock many
    # things share an instant: this says which sessions started (and made segments) before it.
    sessions_before: int


class SessionStore(Protocol):
    def add(self, record: SessionRecord) -> None: ...

    def get(self, session_id: str) -> SessionRecord | None: ...

    def in_organization(self, organization_id: str) -> list[SessionRecord]: ...

    def all(self) -> list[SessionRecord]: ...

    def end(self, session_id: str, at: float) -> SessionRecord:
        """Set ``ended_at`` unless already set (first end wins); return the stored record."""
        ...

    def promote(self, session_id: str, index: int) -> SessionRecord: ...

    def reschedule(self, session_id: str, started_at: float) -> SessionRecord:
        """Move ``started_at``: how the control plane jumps a session ahead in the time model."""
        ...

    def quotas(self) -> dict[str, int]:
        """The latest segment quota set at run time, by organization id (it overrides the config's)."""
        ...

    def quota_changes(self, organization_id: str) -> list[QuotaChange]:
        """Every quota set for the organization, in the order they were set."""
        ...

    def set_quota(self, organization_id: str, segment_quota: int, at: float) -> None:
        """Record a quota change at clock reading ``at``, after the sessions stored so far."""
        ...

    def clock_now(self) -> float | None:
        """The virtual clock's last saved reading, or None if never saved."""
        ...

    def save_clock(self, now: float) -> None: ...

    def clear(self) -> None:
        """Forget every session and quota override; the clock is kept (it never goes back)."""
        ...

    def revision(self, organization_id: str) -> int:
        """Grows by exactly one with each change to what the time model reads of the organization:
        a session added, ended (the first time) or rescheduled, its quota set, or the store cleared.
        Promotions do not count. Lets the quota ledger be cached between changes."""
        ...


class Revisions:
    """The per-organization change counters behind :meth:`SessionStore.revision`.

    Not locked itself: each store bumps them under its own lock, inside the change.
    """

    def __init__(self) -> None:
        self._counts: dict[str, int] = {}
        self._clears = 0  # a clear changes every organization, even one never seen

    def __getitem__(self, organization_id: str) -> int:
        return self._clears + self._counts.get(organization_id, 0)

    def bump(self, organization_id: str) -> None:
        self._counts[organization_id] = self._counts.get(organization_id, 0) + 1

    def bump_all(self) -> None:
        self._clears += 1


# How MemoryStore keeps a session: the record's facts as a plain tuple of strings and numbers,
# ``promoted`` as a sorted tuple. The garbage collector stops tracking such a tuple the first
# time it sees it, so stored sessions add nothing to its walks. Kept as records (an object,
# its __dict__, often a set), they were walked by every full collection, and under a stream
# of starts each walk paused the server for 20-30 ms.
Row = tuple[str, str, str, str, str, int, float, "float | None", tuple[int, ...]]
_FIELDS = tuple(f.name for f in fields(SessionRecord))
_ORGANIZATION_ID, _ENDED_AT = _FIELDS.index("organization_id"), _FIELDS.index("ended_at")


def session_row(record: SessionRecord) -> Row:
    """The record's fields in declaration order, promoted indexes sorted: the memory store's row,
    and the state file's columns."""
    return (
        record.session_id,
        record.organization_id,
        record.owner_id,
        record.goal,
        record.engine,
        record.target_minutes,
        record.started_at,
        record.ended_at,
        tuple(sorted(record.promoted)),
    )


def _record(row: Row) -> SessionRecord:
    # Filled in directly: a frozen dataclass's __init__ sets each field through
    # object.__setattr__, twice as slow, and this runs on every request.
    record = object.__new__(SessionRecord)
    facts = record.__dict__
    facts.update(zip(_FIELDS, row, strict=True))
    facts["promoted"] = frozenset(row[-1]) if row[-1] else NONE_PROMOTED
    return record


class MemoryStore:
    """The default store: dictionaries behind one lock, so every method is atomic."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sessions: dict[str, Row] = {}
        self._by_org: dict[str, dict[str, None]] = {}
        self._quotas: dict[str, list[QuotaChange]] = {}
        self._clock: float | None = None
        self._revisions = Revisions()

    def add(self, record: SessionRecord) -> None:
        with self._lock:
            if record.session_id in self._sessions:
                raise KeyError(f"duplicate session id {record.session_id}")
            self._sessions[record.session_id] = session_row(record)
            self._by_org.setdefault(record.organization_id, {})[record.session_id] = None
            self._revisions.bump(record.organization_id)

    def get(self, session_id: str) -> SessionRecord | None:
        row = self._sessions.get(session_id)
        return None if row is None else _record(row)

    def in_organization(self, organization_id: str) -> list[SessionRecord]:
        with self._lock:
            ids = list(self._by_org.get(organization_id, ()))
            return [_record(self._sessions[i]) for i in ids]

    def all(self) -> list[SessionRecord]:
        with self._lock:
            return [_record(row) for row in self._sessions.values()]

    def end(self, session_id: str, at: float) -> SessionRecord:
        with self._lock:
            row = self._sessions[session_id]
            if row[_ENDED_AT] is None:  # on the row itself: end is on the hot path
                row = self._sessions[session_id] = (*row[:_ENDED_AT], at, *row[_ENDED_AT + 1 :])
                self._revisions.bump(row[_ORGANIZATION_ID])
            return _record(row)

    def promote(self, session_id: str, index: int) -> SessionRecord:
        with self._lock:
            record = _record(self._sessions[session_id])
            if index not in record.promoted:
                record = replace(record, promoted=record.promoted | {index})
                self._sessions[session_id] = session_row(record)
            return record

    def reschedule(self, session_id: str, started_at: float) -> SessionRecord:
        with self._lock:
            record = replace(_record(self._sessions[session_id]), started_at=started_at)
            self._sessions[session_id] = session_row(record)
            self._revisions.bump(record.organization_id)
            return record

    def quotas(self) -> dict[str, int]:
        with self._lock:
            return {org: changes[-1].segment_quota for org, changes in self._quotas.items()}

    def quota_changes(self, organization_id: str) -> list[QuotaChange]:
        with self._lock:
            return list(self._quotas.get(organization_id, ()))

    def set_quota(self, organization_id: str, segment_quota: int, at: float) -> None:
        with self._lock:
            change = QuotaChange(at, segment_quota, len(self._by_org.get(organization_id, ())))
            self._quotas.setdefault(organization_id, []).append(change)
            self._revisions.bump(organization_id)

    def clock_now(self) -> float | None:
        return self._clock

    def save_clock(self, now: float) -> None:
        with self._lock:
            self._clock = now

    def clear(self) -> None:
        with self._lock:
            self._sessions.clear()
            self._by_org.clear()
            self._quotas.clear()
            self._revisions.bump_all()

    def revision(self, organization_id: str) -> int:
        return self._revisions[organization_id]
