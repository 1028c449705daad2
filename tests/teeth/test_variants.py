"""Every broken variant of the mock fails the clauses it breaks, and passes clauses it keeps."""

from __future__ import annotations

import pytest
from live_mock import served

from .harness import ALL_KEYS, run_suite
from .variants import VARIANTS, Variant


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: v.name)
def test_the_suite_fails_the_clause_a_variant_breaks(variant: Variant) -> None:
    with served(variant.build()) as base_url:
        run = run_suite(base_url, "-k", variant.select)
    assert run.returncode == 1, run.explain()
    for clause in variant.breaks:
        assert run.verdicts.get(clause) == "failed", run.explain()
    for clause in variant.keeps:
        assert run.verdicts.get(clause) == "passed", run.explain()
    for key in ALL_KEYS:
        assert key not in run.output, f"an API key was printed:\n{run.explain()}"
