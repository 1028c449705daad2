"""The clauses of the API notes, by ID: what each contract test is about.

A test names the clauses it checks with ``@pytest.mark.clause("D7", "I9")``. The
level follows the ID: ``D`` clauses are documented (MUST), ``I`` clauses are our
inference (SHOULD). ``OAS`` stands for the OpenAPI document as a whole, checked by
Schemathesis; the document mixes documented and inferred parts, so it is a SHOULD.
"""

from __future__ import annotations

from dataclasses import dataclass

DOCUMENTED = "documented"
INFERRED = "inferred"


@dataclass(frozen=True)
class Clause:
    id: str
    title: str

    @property
    def level(self) -> str:
        return DOCUMENTED if self.id.startswith("D") else INFERRED

    @property
    def order(self) -> tuple[int, int, str]:
        """Documented first, then inferred, then the whole-document checks; numerically within each."""
        rank = {"D": 0, "I": 1}.get(self.id[0], 2)
        digits = "".join(c for c in self.id if c.isdigit())
        return rank, int(digits or 0), self.id


_TITLES = {
    "D1": "End ends a session gracefully",
    "D2": "X-API-Key authentication; missing or invalid key -> 401 AUTHENTICATION_REQUIRED",
    "D3": "organization_id scopes the session; the caller must belong to it",
    "D4": "Session ids are prefixed mfocus_",
    "D5": "End returns 200 and status ended (or stopped_cap)",
    "D6": "End is idempotent",
    "D7": "Ending a session you do not own -> 404 RESOURCE_NOT_FOUND with details.session_id",
    "D8": "The session object has every documented field; End and Get return the same shape",
    "D9": "After end no new segments; ready ones stay; more_pending false, next_ready_at null",
    "D10": "Every error body is the documented envelope; status equals the HTTP status",
    "D11": "Success bodies are the bare resource",
    "D12": "Start, Get and Promote exist",
    "I1": "Start -> 201 with an active session; engine defaults to studio",
    "I2": "Get -> 200; unknown or foreign -> the D7 404",
    "I3": "Promote -> 200 promoted; idempotent; allowed after end; unknown segment -> 404",
    "I4": "status is active, ended or stopped_cap",
    "I5": "total_segments = ceil(target_minutes / 2); target_minutes 1-480",
    "I6": "Segment fields; ready segments in index order, never more than ready_count",
    "I7": "ready_count bounds and monotonicity; more_pending and next_ready_at agree",
    "I8": "stopped_cap when the quota runs out; ending keeps it",
    "I9": "A foreign session and a never-existing id get the same 404",
    "I10": "A non-member of the organization -> 403 ORGANIZATION_ACCESS_DENIED",
    "I11": "Invalid input -> 422 VALIDATION_ERROR with details.errors; over 1 MiB -> 413",
    "I12": "Unknown route -> 404, wrong method -> 405 with Allow, all in the envelope",
    "I13": "Authentication is checked before anything else",
    "I14": "goal and engine are lowercase identifiers",
    "OAS": "Every answer matches openapi/focus-sessions.yaml (Schemathesis, stateless and stateful)",
}

CLAUSES: dict[str, Clause] = {cid: Clause(cid, title) for cid, title in _TITLES.items()}


def clause(clause_id: str) -> Clause:
    """The clause with this ID; an unknown ID is a mistake in the suite, reported at collection."""
    try:
        return CLAUSES[clause_id]
    except KeyError:
        raise ValueError(f"unknown clause ID {clause_id!r}; known: {', '.join(CLAUSES)}") from None


def level_of(clause_ids: tuple[str, ...]) -> str:
    """A test is documented only when every clause it checks is documented."""
    return DOCUMENTED if all(clause(c).level == DOCUMENTED for c in clause_ids) else INFERRED
