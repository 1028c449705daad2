"""What a gate run found, and the exit code that tells CI.

Exit codes: ``0`` the target meets every clause of the chosen level; ``1`` a clause
failed, or was skipped or only partly tested (``partial``) and so is not proven;
``2`` a usage or configuration mistake (nothing was tested); ``3`` the target could
not be reached or refused the credentials (nothing was tested); ``128 + n`` when
the run was stopped by signal ``n`` (130 for Ctrl-C).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

from ..report import ERROR, FAILED, INCONCLUSIVE, NOT_RUN, PARTIAL, PASSED, SKIPPED

LEVELS = {"documented": "MUST clauses only", "all": "MUST and SHOULD clauses"}
VERDICTS = (PASSED, PARTIAL, FAILED, SKIPPED, NOT_RUN)  # the order summaries list them in
TEST_OUTCOMES = (PASSED, FAILED, ERROR, SKIPPED, NOT_RUN)


class ExitCode(IntEnum):
    CONFORMANT = 0
    CLAUSE_FAILED = 1
    USAGE = 2
    UNREACHABLE = 3


STATE = {
    ExitCode.CONFORMANT: "conformant",
    ExitCode.CLAUSE_FAILED: "not conformant",
    ExitCode.USAGE: "not tested: configuration error",
    ExitCode.UNREACHABLE: "not tested: target unreachable or credentials rejected",
}


@dataclass
class Outcome:
    """One gate run: its exit code, what it was run with, and the suite's verdicts."""

    exit_code: int
    target: str | None
    level: str
    seed: int | None
    message: str = ""  # why nothing (or not everything) was tested
    suite: dict[str, Any] = field(default_factory=dict)  # the suite's --conformance-json document
    duration: float = 0.0
    message_printed: bool = False  # the suite printed the message already; the log need not repeat it

    @property
    def state(self) -> str:
        if self.exit_code in STATE:
            return STATE[ExitCode(self.exit_code)]
        return "interrupted" if self.exit_code >= 128 else "not completed"

    @property
    def clauses(self) -> list[dict[str, Any]]:
        return list(self.suite.get("clauses", []))

    def clauses_with(self, verdict: str) -> list[dict[str, Any]]:
        return [c for c in self.clauses if c["verdict"] == verdict]

    @property
    def counts(self) -> dict[str, int]:
        """Clauses by verdict."""
        return {name: len(self.clauses_with(name)) for name in VERDICTS}

    @property
    def test_counts(self) -> dict[str, int]:
        """The suite's tests by outcome, each test once although it may count for several clauses.

        A test ``inconclusive`` for one clause failed on another, where its outcome is counted.
        """
        outcomes: dict[str, str] = {}
        for clause in self.clauses:
            for test in clause["tests"]:
                if test["outcome"] != INCONCLUSIVE:
                    outcomes[test["nodeid"]] = test["outcome"]
        return {name: sum(o == name for o in outcomes.values()) for name in TEST_OUTCOMES}

    @property
    def tested(self) -> bool:
        return bool(self.clauses)

    def failures(self) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        """(clause, test) for every test that failed a clause, in clause order."""
        return [
            (clause, test)
            for clause in self.clauses_with(FAILED)
            for test in clause["tests"]
            if test["outcome"] in (FAILED, "error")
        ]

    def headline(self) -> str:
        if not self.tested:
            return f"{self.state}: {self.message}" if self.message else self.state
        counts = self.counts
        total = len(self.clauses)
        if counts[FAILED]:
            names = ", ".join(c["clause"] for c in self.clauses_with(FAILED))
            text = f"{self.state}: {counts[FAILED]} of {total} clauses failed ({names})"
        else:
            text = f"{self.state}: {counts[PASSED]} of {total} clauses passed"
        extras = [f"{counts[name]} {name}" for name in (PARTIAL, SKIPPED, NOT_RUN) if counts[name]]
        return text + (f", {', '.join(extras)}" if extras else "")

    def as_dict(self) -> dict[str, Any]:
        """The ``--json`` report."""
        document: dict[str, Any] = {
            "tool": "focus-contract",
            "target": self.target,
            "level": self.level,
            "seed": self.seed,
            "exit_code": self.exit_code,
            "result": self.state,
            "summary": self.counts,
            "test_summary": self.test_counts,
            "duration_seconds": round(self.duration, 3),
        }
        if self.message:
            document["message"] = self.message
        for fact in ("clock", "sessions"):
            if fact in self.suite:
                document[fact] = self.suite[fact]
        document["clauses"] = self.clauses
        return document
