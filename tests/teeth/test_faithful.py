"""The faithful mock passes every clause, and every session the suite starts is ended again."""

from __future__ import annotations

from live_mock import served

from contracts.clauses import CLAUSES

from .harness import ALL_KEYS, run_suite
from .variants import faithful, service_of


def test_the_faithful_mock_passes_every_clause_and_keeps_no_session_active() -> None:
    app = faithful()
    with served(app) as base_url:
        run = run_suite(base_url)
    assert run.returncode == 0, run.explain()
    assert set(run.verdicts) == set(CLAUSES), run.explain()
    assert set(run.verdicts.values()) == {"passed"}, run.explain()
    records = service_of(app).store.all()
    assert records, "the suite started no session"
    assert [r.session_id for r in records if r.ended_at is None] == [], run.explain()
    sessions = run.report["sessions"]
    assert len(records) == sessions["started"] <= sessions["budget"] == 25, sessions
    assert sum(sessions["start_requests_not_sent"].values()) == sessions["start_requests_refused_by_budget"]
    assert sessions["tests_skipped_for_budget"] == 0, sessions
    if sessions["start_requests_refused_by_budget"]:
        assert "no clause lost coverage by it: every clause test ran" in run.output, run.explain()
    for key in ALL_KEYS:
        assert key not in run.output


def test_a_small_budget_is_never_exceeded() -> None:
    app = faithful()
    with served(app) as base_url:
        run = run_suite(base_url, "--max-sessions", "6")
    assert run.returncode == 0, run.explain()
    assert "failed" not in run.verdicts.values(), run.explain()
    records = service_of(app).store.all()
    assert 0 < len(records) <= 6, f"{len(records)} sessions started with --max-sessions 6"
    assert all(r.ended_at is not None for r in records), run.explain()
    assert run.report["sessions"]["start_requests_refused_by_budget"] > 0, run.report["sessions"]
    skipped = run.report["sessions"]["tests_skipped_for_budget"]
    assert skipped > 0 and f"{skipped} tests skipped for want of sessions" in run.output, run.explain()
    assert "no clause lost coverage" not in run.output, run.explain()


def test_without_a_base_url_the_bundled_mock_is_tested_and_stopped() -> None:
    run = run_suite(None, "-k", "D6 or D9")
    assert run.returncode == 0, run.explain()
    assert run.verdicts == {"D6": "passed", "D9": "passed"}, run.explain()
    assert run.report["bundled_mock"] is True and run.report["clock"] == "virtual", run.report
