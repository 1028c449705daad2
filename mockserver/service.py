"""The four operations as plain functions of (caller, ids, clock, store).

No HTTP here: handlers translate requests into these calls, which makes the
ownership rules and the time model easy to test and to reuse from the
control plane.
"""

from __future__ import annotations

import hashlib
import math
import random
import threading
from dataclasses import replace
from typing import Any

from . import errors
from .clock import Clock, isoformat
from .config import Config, Timings, User
from .quota_schedule import QuotaSchedules
from .store import SessionRecord, SessionStore
from .timeline import STOPPED_CAP, Progress, QuotaHistory, progress, ready_time

SEGMENT_SECONDS = 120
SEGMENTS_KEPT = 4096  # rendered segments kept for the next poll (a few hundred bytes each)


# Ids must not repeat, but they need not be secret: every call checks the owner's key. So they
# come from a generator seeded once from os.urandom, not from a system call per start (which
# was 7 % of Start's samples under load).
_random_bits = random.Random().getrandbits


def new_session_id() -> str:
    return f"mfocus_{_random_bits(48):012x}"


def segment_id(session_id: str, index: int) -> str:
    """Stable per (session, index), so segment ids need no storage."""
    digest = hashlib.blake2s(f"{session_id}/{index}".encode(), digest_size=6).hexdigest()
    return "mseg_" + digest


class FocusService:
    def __init__(
        self,
        config: Config,
        clock: Clock,
        store: SessionStore,
        session_fields: tuple[str, ...],
        segment_fields: tuple[str, ...],
    ) -> None:
        self.config = config  # with the quotas changed at run time (see mockserver.quotas)
        self.configured = config  # as configured: the quotas before any change
        self.clock = clock
        self.store = store
        self._session_fields = session_fields
        self._segment_fields = segment_fields
        self._schedules = QuotaSchedules(store)
        self._segments: dict[tuple[Any, ...], dict[str, Any]] = {}
        self._segments_timings: Timings | None = None
        self._segments_lock = threading.Lock()

    # -- access rules -------------------------------------------------------

    def require_member(self, user: User, organization_id: str) -> None:
        """I10: strangers to the organization get 403 whatever they ask for."""
        if organization_id not in user.organizations:
            raise errors.forbidden(organization_id)

    def _owned(self, user: User, organization_id: str, session_id: str) -> SessionRecord:
        """D7/I9: foreign, other-organization and unknown ids are all the same 404."""
        record = self.store.get(session_id)
        if record is None or record.owner_id != user.id or record.organization_id != organization_id:
            raise errors.session_not_found(session_id)
        return record

    # -- operations ---------------------------------------------------------

    def start(
        self, user: User, organization_id: str, request: dict[str, Any], audio_base: str
    ) -> dict[str, Any]:
        self.require_member(user, organization_id)
        record = SessionRecord(
            session_id=new_session_id(),
            organization_id=organization_id,
            owner_id=user.id,
            goal=request["goal"],
            engine=request.get("engine", "studio"),
            target_minutes=int(request["target_minutes"]),
            started_at=self.clock.now(),
        )
        while self.store.get(record.session_id) is not None:
            record = replace(record, session_id=new_session_id())
        with self._schedules.lock:
            revision = self.store.revision(organization_id)
            self.store.add(record)
            self._schedules.added(record, revision)
        return self.render(record, audio_base)

    def get(self, user: User, organization_id: str, session_id: str, audio_base: str) -> dict[str, Any]:
        self.require_member(user, organization_id)
        return self.render(self._owned(user, organization_id, session_id), audio_base)

    def end(self, user: User, organization_id: str, session_id: str, audio_base: str) -> dict[str, Any]:
        self.require_member(user, organization_id)
        with self._schedules.lock:
            revision = self.store.revision(organization_id)
            before = self._owned(user, organization_id, session_id)
            now = self.clock.now()
            if before.ended_at is None and self.progress(before, now).status == STOPPED_CAP:
                # D5, I8: it had already stopped, maybe at this very instant (the virtual clock
                # stands still); at one instant the time model puts an end first, so this one
                # is recorded just after it: a session seen stopped stays stopped.
                now = math.nextafter(now, math.inf)
            record = self.store.end(session_id, now)
            self._schedules.ended(before, record, revision)
        return self.render(record, audio_base)

    def promote(
        self, user: User, organization_id: str, session_id: str, seg_id: str, audio_base: str
    ) -> dict[str, Any]:
        self.require_member(user, organization_id)
        record = self._owned(user, organization_id, session_id)
        state = self.progress(record)
        index = next((i for i in range(state.ready_count) if segment_id(session_id, i) == seg_id), None)
        if index is None:
            raise errors.segment_not_found(seg_id)
        record = self.store.promote(session_id, index)
        return self._segment(record, index, audio_base)

    # -- derived views ------------------------------------------------------

    def progress(self, record: SessionRecord, now: float | None = None) -> Progress:
        now = self.clock.now() if now is None else now
        configured = self.configured_quota(record.organization_id)
        timings = self.config.timings
        with self._schedules.lock:
            ledger = self._schedules.schedule(record.organization_id, configured, timings).ledger_at(now)
            return progress(record, timings, now, ledger)

    def configured_quota(self, organization_id: str) -> int:
        """The organization's quota before any change at run time (0 for an unknown one)."""
        organization = self.configured.organization(organization_id)
        return organization.segment_quota if organization else 0

    def quota_history(self, organization_id: str) -> QuotaHistory:
        """The configured quota and every change since: what the quota ledger is computed from."""
        changes = tuple(self.store.quota_changes(organization_id))
        return QuotaHistory(self.configured_quota(organization_id), changes)

    def warm(self) -> None:
        """Build each organization's quota schedule now, not on its first request (a long
        history takes a moment: about 50 ms for 100,000 sessions)."""
        for organization in self.configured.organizations:
            with self._schedules.lock:
                self._schedules.schedule(organization.id, organization.segment_quota, self.config.timings)

    def render(self, record: SessionRecord, audio_base: str) -> dict[str, Any]:
        state = self.progress(record)
        values = {
            "session_id": record.session_id,
            "status": state.status,
            "goal": record.goal,
            "engine": record.engine,
            "target_minutes": record.target_minutes,
            "total_segments": record.total_segments,
            "ready_count": state.ready_count,
            "segments": [self._segment(record, i, audio_base) for i in range(state.ready_count)],
            "more_pending": state.more_pending,
            "next_ready_at": None if state.next_ready_at is None else isoformat(state.next_ready_at),
        }
        return _shape(self._session_fields, values)

    def _segment(self, record: SessionRecord, index: int, audio_base: str) -> dict[str, Any]:
        """A ready segment; the same few are shown on every poll of a session, so they are kept."""
        timings = self.config.timings
        promoted = index in record.promoted
        key = (record.session_id, index, record.started_at, audio_base, promoted)
        with self._segments_lock:
            if self._segments_timings is not timings:
                self._segments.clear()
                self._segments_timings = timings
            shaped = self._segments.get(key)
        if shaped is None:
            seg_id = segment_id(record.session_id, index)
            values = {
                "segment_id": seg_id,
                "index": index,
                "status": "ready",
                "duration_seconds": SEGMENT_SECONDS,
                "audio_url": f"{audio_base}/{seg_id}.wav",
                "ready_at": isoformat(ready_time(record, timings, index)),
                "promoted": promoted,
            }
            shaped = _shape(self._segment_fields, values)
            with self._segments_lock:
                if len(self._segments) >= SEGMENTS_KEPT:
                    del self._segments[next(iter(self._segments))]  # the oldest
                self._segments[key] = shaped
        return dict(shaped)  # a copy: callers may change what they get


def _shape(fields: tuple[str, ...], values: dict[str, Any]) -> dict[str, Any]:
    """Exactly the spec's fields, in the spec's order; a field the spec adds fails loudly."""
    return {name: values[name] for name in fields}
