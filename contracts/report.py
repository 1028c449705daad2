"""Clause verdicts: which clauses the target meets, as a table and as data.

Each test's outcome counts for every clause it is marked with, except that a
failure whose message starts with one of the test's clause IDs (``"D10: ..."``)
is blamed on that clause alone: the test's other clauses were not judged
(``inconclusive``), since the failed check stopped the test. A clause fails if
any of its tests failed or errored for it; is "not run" if the run stopped
before all its tests ran; is ``partial`` if some passed and others were skipped,
since a clause is proven only by all of its tests; passes if every test passed
(or was inconclusive), and is skipped otherwise.
The same verdicts feed the terminal table and ``--conformance-json``, which is
what tools (and the suite's own tests) read; there a failed test also carries the
request and answer that proved the failure, keys masked, and a ``curl`` to repeat it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .clauses import clause

PASSED, FAILED, SKIPPED, ERROR = "passed", "failed", "skipped", "error"
NOT_RUN = "not run"  # the run stopped before all of the clause's tests ran
INCONCLUSIVE = "inconclusive"  # the test failed on another of its clauses first
PARTIAL = "partial"  # some of the clause's tests passed, others were skipped: not proven
_SEVERITY = {PASSED: 0, SKIPPED: 1, FAILED: 2, ERROR: 3}


def skip_reasons(tests: Iterable[dict[str, Any]]) -> list[str]:
    """The distinct first lines of the reasons of the skipped ones among ``tests`` (JSON test entries)."""
    reasons = {
        t["reason"].splitlines()[0].removeprefix("Skipped: ")
        for t in tests
        if t.get("outcome") == SKIPPED and t.get("reason")
    }
    return sorted(reasons)


@dataclass
class TestRecord:
    nodeid: str
    clauses: tuple[str, ...]
    outcome: str | None = None  # None: not run (the run stopped early)
    reason: str = ""
    blamed: str | None = None  # the one clause a failure is blamed on; None: all of them
    evidence: dict[str, Any] | None = None  # request, response and curl behind a failure

    def record(
        self,
        when: str,
        outcome: str,
        reason: str = "",
        blamed: str | None = None,
        evidence: dict[str, Any] | None = None,
    ) -> None:
        if outcome == FAILED and when != "call":
            outcome = ERROR
        if self.outcome is None or _SEVERITY[outcome] > _SEVERITY[self.outcome]:
            self.outcome, self.reason, self.evidence = outcome, reason, evidence
            self.blamed = blamed if blamed in self.clauses else None

    def outcome_for(self, clause_id: str) -> str | None:
        if self.outcome in (FAILED, ERROR) and self.blamed is not None and self.blamed != clause_id:
            return INCONCLUSIVE
        return self.outcome


@dataclass(frozen=True)
class ClauseVerdict:
    clause: str
    level: str
    title: str
    verdict: str
    tests: tuple[TestRecord, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "clause": self.clause,
            "level": self.level,
            "title": self.title,
            "verdict": self.verdict,
            "tests": [self._test_dict(t) for t in self.tests],
        }

    def _test_dict(self, test: TestRecord) -> dict[str, Any]:
        outcome = test.outcome_for(self.clause) or NOT_RUN
        shown: dict[str, Any] = {"nodeid": test.nodeid, "outcome": outcome, "reason": test.reason}
        if outcome in (FAILED, ERROR) and test.evidence is not None:
            shown.update(test.evidence)
        return shown

    @property
    def passed_tests(self) -> int:
        return sum(t.outcome_for(self.clause) == PASSED for t in self.tests)

    @property
    def skipped_tests(self) -> int:
        return sum(t.outcome_for(self.clause) == SKIPPED for t in self.tests)

    @property
    def skip_reasons(self) -> list[str]:
        """Why the clause's skipped tests were skipped, each reason once."""
        return skip_reasons(self._test_dict(t) for t in self.tests)


@dataclass
class ConformanceReport:
    tests: dict[str, TestRecord] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)  # target, budget, sweep: for the JSON

    def expect(self, nodeid: str, clauses: tuple[str, ...]) -> None:
        self.tests[nodeid] = TestRecord(nodeid, clauses)

    def record(
        self,
        nodeid: str,
        when: str,
        outcome: str,
        reason: str = "",
        blamed: str | None = None,
        evidence: dict[str, Any] | None = None,
    ) -> None:
        if nodeid in self.tests:
            self.tests[nodeid].record(when, outcome, reason, blamed, evidence)

    def skipped_for(self, words: str) -> int:
        """How many tests were skipped with ``words`` in their reason."""
        return sum(r.outcome == SKIPPED and words in r.reason for r in self.tests.values())

    def verdicts(self) -> list[ClauseVerdict]:
        by_clause: dict[str, list[TestRecord]] = {}
        for record in self.tests.values():
            for clause_id in record.clauses:
                by_clause.setdefault(clause_id, []).append(record)
        verdicts = []
        for clause_id in sorted(by_clause, key=lambda c: clause(c).order):
            records = by_clause[clause_id]
            outcomes = {r.outcome_for(clause_id) for r in records}
            if outcomes & {FAILED, ERROR}:
                verdict = FAILED
            elif None in outcomes:
                verdict = NOT_RUN
            elif PASSED in outcomes and SKIPPED in outcomes:
                verdict = PARTIAL
            elif PASSED in outcomes:
                verdict = PASSED
            else:
                verdict = SKIPPED
            info = clause(clause_id)
            verdicts.append(ClauseVerdict(clause_id, info.level, info.title, verdict, tuple(records)))
        return verdicts

    def table(self) -> list[str]:
        verdicts = self.verdicts()
        if not verdicts:
            return []
        lines = [f"{'clause':<7} {'level':<11} {'verdict':<8} tests  title"]
        for v in verdicts:
            counts = f"{v.passed_tests}/{len(v.tests)}"
            lines.append(f"{v.clause:<7} {v.level:<11} {v.verdict:<8} {counts:<6} {v.title}")
        totals = {
            name: sum(v.verdict == name for v in verdicts)
            for name in (PASSED, PARTIAL, FAILED, SKIPPED, NOT_RUN)
        }
        shown = [f"{n} {name}" for name, n in totals.items() if n or name not in (PARTIAL, NOT_RUN)]
        lines.append(", ".join(shown) + " clauses")
        for v in verdicts:
            if v.verdict == PARTIAL:
                lines.append(
                    f"{v.clause} partial, not proven: {v.skipped_tests} of {len(v.tests)} tests skipped "
                    f"({'; '.join(v.skip_reasons)})"
                )
        return lines

    def write_json(self, path: str) -> None:
        document = {**self.facts, "clauses": [v.as_dict() for v in self.verdicts()]}
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
