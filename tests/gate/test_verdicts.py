"""Clause verdicts and the suite's summary lines: a clause is proven only by all of its tests."""

from __future__ import annotations

from typing import Any

from contracts.ledger import BUDGET_SPENT, STATEFUL, STATELESS
from contracts.plugin import budget_summary
from contracts.report import FAILED, PARTIAL, PASSED, SKIPPED, ConformanceReport

OUTSIDER_SKIP = "Skipped: needs --outsider-api-key (a user of another organization)"


def report_of(*tests: tuple[str, tuple[str, ...], str, str]) -> ConformanceReport:
    """A report in which each (nodeid, clauses, outcome, reason) test ran its call phase."""
    report = ConformanceReport()
    for nodeid, clauses, _outcome, _reason in tests:
        report.expect(nodeid, clauses)
    for nodeid, _clauses, outcome, reason in tests:
        report.record(nodeid, "setup" if outcome == SKIPPED else "call", outcome, reason)
    return report


def verdict_of(report: ConformanceReport) -> dict[str, str]:
    return {v.clause: v.verdict for v in report.verdicts()}


ONE_SKIPPED = report_of(
    ("t::test_D3_a", ("D3",), PASSED, ""),
    ("t::test_D3_b", ("D3",), SKIPPED, OUTSIDER_SKIP),
    ("t::test_D6", ("D6",), PASSED, ""),
    ("t::test_I10", ("I10",), SKIPPED, OUTSIDER_SKIP),
)


def test_a_clause_with_passed_and_skipped_tests_is_partial_not_passed() -> None:
    assert verdict_of(ONE_SKIPPED) == {"D3": PARTIAL, "D6": PASSED, "I10": SKIPPED}


def test_a_failure_outweighs_a_skip() -> None:
    report = report_of(
        ("t::a", ("D3",), PASSED, ""), ("t::b", ("D3",), SKIPPED, "x"), ("t::c", ("D3",), FAILED, "D3: no")
    )
    assert verdict_of(report) == {"D3": FAILED}


def test_the_json_carries_the_partial_verdict_and_each_tests_outcome() -> None:
    d3 = next(v.as_dict() for v in ONE_SKIPPED.verdicts() if v.clause == "D3")
    assert d3["verdict"] == "partial"
    assert [t["outcome"] for t in d3["tests"]] == ["passed", "skipped"]


def test_the_table_shows_partial_with_how_many_tests_were_skipped_and_why() -> None:
    table = ONE_SKIPPED.table()
    assert any(line.split()[:4] == ["D3", "documented", "partial", "1/2"] for line in table), table
    assert "1 passed, 1 partial, 0 failed, 1 skipped clauses" in table
    assert (
        "D3 partial, not proven: 1 of 2 tests skipped "
        "(needs --outsider-api-key (a user of another organization))" in table
    )


def sessions_fact(**changes: Any) -> dict[str, Any]:
    fact = {
        "budget": 25,
        "started": 22,
        "ended_at_finish": 0,
        "left_active": [],
        "start_requests_refused_by_budget": 23,
        "start_requests_not_sent": {STATELESS: 20, STATEFUL: 3},
        "generated_start_requests_sent": {STATELESS: 4, STATEFUL: 3},
        "tests_skipped_for_budget": 0,
    }
    return {**fact, **changes}


def test_the_budget_summary_says_which_requests_were_not_sent_and_that_no_clause_lost_coverage() -> None:
    lines = budget_summary(sessions_fact())
    assert lines[0] == "sessions: 22 started of at most 25 (--max-sessions), every one ended"
    assert lines[1] == (
        "not sent, to stay within the budget: 23 Schemathesis-generated start requests: "
        "20 stateless startFocusSession examples beyond their share (4 with valid data were sent); "
        "3 second starts within a stateful scenario (a scenario starts one session; 3 did)"
    )
    assert lines[2].startswith("no clause lost coverage by it: every clause test ran")
    assert len(lines) == 3


def test_the_budget_summary_says_what_was_not_tested_when_the_budget_cost_coverage() -> None:
    lines = budget_summary(
        sessions_fact(
            start_requests_not_sent={STATELESS: 7, BUDGET_SPENT: 1},
            generated_start_requests_sent={},
            tests_skipped_for_budget=14,
        )
    )
    text = "\n".join(lines)
    assert "14 tests skipped for want of sessions" in text
    assert "Schemathesis sent no start with valid data" in text
    assert "1 start request refused, the budget being spent" in text
    assert "no clause lost coverage" not in text


def test_a_run_that_held_nothing_back_says_only_how_many_sessions_it_started() -> None:
    quiet = sessions_fact(start_requests_not_sent={}, generated_start_requests_sent={STATELESS: 2})
    assert budget_summary(quiet) == ["sessions: 22 started of at most 25 (--max-sessions), every one ended"]
