"""OAS: Schemathesis against ``openapi/focus-sessions.yaml``, stateless and stateful.

The stateless tests send generated requests to every operation (positive and
negative data, coverage cases, missing and invalid keys) and check each answer
against the spec. The stateful test follows the spec's links from one answer to
the next request (start -> get -> promote, start -> end -> end again ...); a
spec whose links are not picked up fails it rather than passing it silently.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest
import schemathesis

from contracts.client import START, ApiClient
from contracts.fuzzing import (
    CHECKS,
    SchemaBudget,
    build_workflow,
    is_positive,
    is_start,
    load_schema,
    spec_link_count,
    stateful_settings,
)
from contracts.plugin import ContractRun, active_run

schema = load_schema(active_run())


@pytest.fixture(scope="module")
def schema_budget(contract_run: ContractRun) -> Iterator[SchemaBudget]:
    """Taken when the first Schemathesis test starts: after the clause tests, which run first."""
    yield SchemaBudget(contract_run)


@pytest.mark.clause("OAS")
@schema.parametrize()
def test_OAS_stateless(case: schemathesis.Case, api: ApiClient, schema_budget: SchemaBudget) -> None:
    if is_start(case) and not schema_budget.may_start(stateless=True, positive=is_positive(case)):
        return  # not sent: the session budget is spent
    mark = api.ledger.started
    try:
        case.call_and_validate(base_url=api.base_url, session=api.session, checks=CHECKS)
    finally:
        schema_budget.stateless_started += schema_budget.end_started_since(mark)


@pytest.mark.clause("OAS")
def test_OAS_stateful_follows_the_spec_links(contract_run: ContractRun, schema_budget: SchemaBudget) -> None:
    links = spec_link_count(schema)
    assert links > 0, "OAS: no links were collected from the spec, so the stateful run would test nothing"
    followed: Counter[str] = Counter()
    workflow = build_workflow(schema, contract_run, schema_budget, followed)
    workflow.run(settings=stateful_settings(contract_run))
    if not followed[START]:
        pytest.skip("the session budget was spent before the stateful run could start a session")
    taken = sorted(name for name in followed if name != START)
    assert taken, f"OAS: the stateful run followed none of the spec's {links} links"
