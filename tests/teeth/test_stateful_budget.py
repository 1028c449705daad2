"""The stateful run passes whatever budget it finds, and a seed runs the same scenarios under any budget.

A budget that ran out partway through the stateful run once made Hypothesis replay
an example and find other steps available (``FlakyStrategyDefinition``). Each of
these budgets and seeds did so every time against the faithful mock.
"""

from __future__ import annotations

import pytest
from live_mock import served

from .harness import SuiteRun, run_suite
from .variants import faithful, service_of

StartedBodies = list[tuple[str, str, int]]


def stateful_run(budget: int, seed: int) -> tuple[SuiteRun, StartedBodies]:
    """The stateful test alone against a fresh faithful mock; the sessions it started, in order."""
    app = faithful()
    with served(app) as base_url:
        run = run_suite(
            base_url, "-k", "OAS_stateful", "--max-sessions", str(budget), "--hypothesis-seed", str(seed)
        )
    records = service_of(app).store.all()
    assert all(r.ended_at is not None for r in records), run.explain()
    assert len(records) == run.report["sessions"]["started"] <= budget, run.report["sessions"]
    return run, [(r.goal, r.engine, r.target_minutes) for r in records]


@pytest.mark.parametrize(("budget", "seed"), [(20, 3), (25, 1), (25, 2), (30, 4)])
def test_a_budget_spent_partway_leaves_the_stateful_run_passing(budget: int, seed: int) -> None:
    run, started = stateful_run(budget, seed)
    assert run.returncode == 0, run.explain()
    assert run.verdicts == {"OAS": "passed"}, run.explain()
    assert started, run.explain()


def test_a_smaller_budget_ends_the_same_scenarios_sooner() -> None:
    small_run, small = stateful_run(10, 1)
    large_run, large = stateful_run(30, 1)
    assert small_run.returncode == large_run.returncode == 0, small_run.explain() + large_run.explain()
    assert 0 < len(small) < len(large), (small, large)
    assert large[: len(small)] == small
