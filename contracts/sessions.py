"""Sessions for tests to work on: started within the budget, ripened, and always ended.

Starting is a precondition here, not a clause under test, so the factory asks
only for a ``201`` naming a session; the shape of that answer is judged by the
clause tests (D8, I1). Every session a factory starts is ended when the test
(or the run, for shared ones) is over, whatever happened in between.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from .client import Answer, ApiClient
from .settings import Caller
from .timing import RealTime, TimeControl, VirtualTime, parse_instant

POLL_SECONDS = 0.5  # how often a real-time target is asked whether a segment is ready
VIRTUAL_ROUNDS = 3  # how often a virtual clock is moved to next_ready_at before giving up


def require_start_slot(api: ApiClient) -> None:
    """Skip unless a start request may go out: even one meant to fail could create a session."""
    if api.ledger.remaining < 1:
        pytest.skip(f"session budget spent: --max-sessions {api.ledger.budget} allows no more start requests")


class SessionFactory:
    def __init__(self, api: ApiClient, time: TimeControl, owner: Caller) -> None:
        self.api = api
        self.time = time
        self.owner = owner
        self._started: list[tuple[Caller, str]] = []

    def start_answer(
        self, caller: Caller | None = None, body: Any = None, *, org: str | None = None
    ) -> Answer:
        """Send a start request within the budget; a session it creates is ended after the test."""
        caller = caller or self.owner
        require_start_slot(self.api)
        answer = self.api.start(caller, body if body is not None else self.api.start_example(), org=org)
        session = answer.json
        if answer.status == 201 and isinstance(session, dict) and isinstance(session.get("session_id"), str):
            self._started.append((caller, session["session_id"]))
        return answer

    def start(
        self, caller: Caller | None = None, body: Any = None, *, org: str | None = None
    ) -> dict[str, Any]:
        """Start a session (default: the owner's, with the spec's example body) and return its body."""
        answer = self.start_answer(caller, body, org=org)
        if answer.status != 201 or not isinstance(answer.json, dict) or "session_id" not in answer.json:
            raise AssertionError(f"precondition: starting a session failed: {answer.describe()}")
        return answer.json

    def ripe(self, caller: Caller | None = None, *, required: bool = True) -> dict[str, Any]:
        """A new session with at least one ready segment, as Get shows it."""
        caller = caller or self.owner
        return self.ripen(caller, self.start(caller)["session_id"], required=required)

    def ripen(self, caller: Caller, session_id: str, *, required: bool = True) -> dict[str, Any]:
        """Let time pass until the session has a ready segment.

        A virtual clock is moved to the due time. In real time the session is polled,
        so the wait ends as soon as the segment is there, and never lasts longer than
        ``--segment-wait``. If no segment comes, the test is skipped, or (not
        ``required``) the session is returned as it is.
        """
        session = self._ripen(caller, session_id)
        if isinstance(session, str):
            if required:
                pytest.skip(session)
            return self._read(caller, session_id)[1]
        return session

    def _read(self, caller: Caller, session_id: str) -> tuple[Answer, dict[str, Any]]:
        answer = self.api.get(caller, session_id)
        if answer.status != 200 or not isinstance(answer.json, dict):
            raise AssertionError(f"precondition: reading the session failed: {answer.describe()}")
        return answer, answer.json

    def _ripen(self, caller: Caller, session_id: str) -> dict[str, Any] | str:
        """The session once a segment is ready, or why none became ready."""
        deadline = time.monotonic() + self.time.segment_wait
        moves = 0
        while True:
            answer, session = self._read(caller, session_id)
            if session.get("ready_count", 0) >= 1:
                return session
            due = session.get("next_ready_at")
            if not isinstance(due, str):
                return "the session has no ready segment and none is due (next_ready_at is null)"
            if isinstance(self.time, VirtualTime) and moves < VIRTUAL_ROUNDS:
                moves += 1
                self.time.pass_instant(parse_instant(due), answer)
            elif isinstance(self.time, VirtualTime):
                return f"no segment became ready although the clock passed next_ready_at {moves} times"
            elif time.monotonic() < deadline:
                time.sleep(POLL_SECONDS)
            else:
                return f"no segment became ready within --segment-wait {self.time.segment_wait:g}s"

    def pass_due(self, session: dict[str, Any], answer: Answer) -> None:
        """Let the target's time pass the moment ``session`` said its next segment was due."""
        due = session.get("next_ready_at")
        if not isinstance(due, str):
            raise AssertionError("precondition: the session named no next_ready_at to wait for")
        if not self.time.pass_instant(parse_instant(due), answer):
            pytest.skip(
                f"the next segment was due later than --segment-wait {self.time.segment_wait:g}s away"
            )

    def advance_if_virtual(self, seconds: float) -> None:
        """Move a virtual clock on; on real time, do nothing (callers must not rely on waiting)."""
        if isinstance(self.time, VirtualTime):
            self.time.advance(seconds)

    @property
    def real_time(self) -> bool:
        return isinstance(self.time, RealTime)

    def end_all(self) -> None:
        """End what this factory started, unless an End answer already showed it ended."""
        open_ids = {s.session_id for s in self.api.ledger.active()}
        for caller, session_id in self._started:
            if session_id in open_ids:
                self.api.end(caller, session_id)
        self._started.clear()
