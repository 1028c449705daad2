"""Every session the run starts, against a budget, so all of them can be ended again.

Against a real deployment each session costs something (it generates music), so
the run may start at most ``--max-sessions`` of them and ends every one it
started, whether a test passed, failed or was interrupted. The ledger is fed by
the HTTP layer, not by the tests: whatever sends a start request (a contract
test, Schemathesis, a check re-sending a request) goes through the same gate.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

BUDGET_SPENT = "budget_spent"  # why a start request was refused by :meth:`SessionLedger.acquire`
# The Schemathesis tests, which hold generated start requests back to keep within the budget.
STATELESS, STATEFUL = "schemathesis_stateless", "schemathesis_stateful"


class BudgetSpent(RuntimeError):
    """A start request would exceed ``--max-sessions``; it was not sent."""


@dataclass
class StartedSession:
    session_id: str | None  # None: the server answered 201 but named no session
    org_id: str
    api_key: str | None = field(repr=False)
    ended: bool = False


@dataclass(frozen=True)
class SweepResult:
    ended: int
    left_active: tuple[str, ...]  # why each session could not be ended


class SessionLedger:
    def __init__(self, budget: int) -> None:
        self.budget = budget
        self._lock = threading.Lock()
        self._sessions: list[StartedSession] = []
        self._in_flight = 0
        self.refused_by: Counter[str] = Counter()  # start requests not sent, by why
        self.sent_by: Counter[str] = Counter()  # start requests sent, by who chose to send them

    @property
    def refused(self) -> int:
        """Start requests not sent, to keep within the budget."""
        return sum(self.refused_by.values())

    @property
    def started(self) -> int:
        return len(self._sessions)

    @property
    def remaining(self) -> int:
        with self._lock:
            return self.budget - len(self._sessions) - self._in_flight

    def acquire(self) -> None:
        """Hold a slot for one start request; raise :class:`BudgetSpent` when none is left."""
        with self._lock:
            if len(self._sessions) + self._in_flight >= self.budget:
                self.refused_by[BUDGET_SPENT] += 1
                raise BudgetSpent(
                    f"session budget spent: this run may start at most {self.budget} sessions "
                    "(raise --max-sessions to allow more)"
                )
            self._in_flight += 1

    def note_refused(self, why: str) -> None:
        """Count a start request the suite chose not to send, to leave room in the budget."""
        with self._lock:
            self.refused_by[why] += 1

    def note_sent(self, who: str) -> None:
        """Count a start request sent by ``who`` (the Schemathesis tests), to set against those refused."""
        with self._lock:
            self.sent_by[who] += 1

    def settle(self, created: StartedSession | None) -> None:
        """Release the slot held by :meth:`acquire`; keep it when the request created a session."""
        with self._lock:
            self._in_flight -= 1
            if created is not None:
                self._sessions.append(created)

    def mark_ended(self, session_id: str) -> None:
        with self._lock:
            for session in self._sessions:
                if session.session_id == session_id:
                    session.ended = True

    def sessions_since(self, mark: int) -> list[StartedSession]:
        """The sessions started after the ledger held ``mark`` of them."""
        with self._lock:
            return list(self._sessions[mark:])

    def active(self) -> list[StartedSession]:
        with self._lock:
            return [s for s in self._sessions if not s.ended]

    def sweep(self, end: Callable[[StartedSession], str | None]) -> SweepResult:
        """End every session not known to be ended; ``end`` returns why it failed, or None."""
        ended, problems = 0, []
        for session in self.active():
            if session.session_id is None:
                problems.append("a start answered 201 without a session_id; it cannot be ended")
                continue
            problem = end(session)
            if problem is None:
                ended += 1
                self.mark_ended(session.session_id)
            else:
                problems.append(f"{session.session_id}: {problem}")
        return SweepResult(ended, tuple(problems))
