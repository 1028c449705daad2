"""Where sessions live. Only facts are stored; progress is derived from the clock.

The :class:`SessionStore` protocol is all the rest of the mock relies on, so a
persistent backend only has to implement these few methods, each atomic.
Besides sessions a store keeps the two other facts progress depends on: quota
overrides set through the control plane and the virtual clock's last reading,
so that a persistent store can bring a restarted mock back where it was.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace
from functools import cached_property
from math import ceil
from typing import Protocol

SEGMENT_MINUTES = 2


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
    promoted: frozenset[int] = field(default_factory=frozenset)

    @cached_property  # read several times in every answer; the facts it follows never change
    def total_segments(self) -> int:
        return ceil(self.target_minutes / SEGMENT_MINUTES)


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
        """Segment quotas set at run time, by organization id (they override the config's)."""
        ...

    def set_quota(self, organization_id: str, segment_quota: int) -> None: ...

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


class MemoryStore:
    """The default store: dictionaries behind one lock, so every method is atomic."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sessions: dict[str, SessionRecord] = {}
        self._by_org: dict[str, dict[str, None]] = {}
        self._quotas: dict[str, int] = {}
        self._clock: float | None = None
        self._revisions = Revisions()

    def add(self, record: SessionRecord) -> None:
        with self._lock:
            if record.session_id in self._sessions:
                raise KeyError(f"duplicate session id {record.session_id}")
            self._sessions[record.session_id] = record
            self._by_org.setdefault(record.organization_id, {})[record.session_id] = None
            self._revisions.bump(record.organization_id)

    def get(self, session_id: str) -> SessionRecord | None:
        return self._sessions.get(session_id)

    def in_organization(self, organization_id: str) -> list[SessionRecord]:
        with self._lock:
            ids = list(self._by_org.get(organization_id, ()))
            return [self._sessions[i] for i in ids]

    def all(self) -> list[SessionRecord]:
        with self._lock:
            return list(self._sessions.values())

    def end(self, session_id: str, at: float) -> SessionRecord:
        with self._lock:
            record = self._sessions[session_id]
            if record.ended_at is None:
                record = self._sessions[session_id] = replace(record, ended_at=at)
                self._revisions.bump(record.organization_id)
            return record

    def promote(self, session_id: str, index: int) -> SessionRecord:
        with self._lock:
            record = self._sessions[session_id]
            if index not in record.promoted:
                record = replace(record, promoted=record.promoted | {index})
                self._sessions[session_id] = record
            return record

    def reschedule(self, session_id: str, started_at: float) -> SessionRecord:
        with self._lock:
            record = self._sessions[session_id] = replace(self._sessions[session_id], started_at=started_at)
            self._revisions.bump(record.organization_id)
            return record

    def quotas(self) -> dict[str, int]:
        with self._lock:
            return dict(self._quotas)

    def set_quota(self, organization_id: str, segment_quota: int) -> None:
        with self._lock:
            self._quotas[organization_id] = segment_quota
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
