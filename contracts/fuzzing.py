"""Schemathesis against the spec: the schema as the run configures it, and its share of the budget.

Generated requests carry the owner's key and organization, so they reach real
sessions instead of bouncing off ``401``/``403``. Start requests create sessions,
so each one must fit the run's session budget: the clause tests run first, then
the stateless tests may use half of what is left and the stateful run the rest.
A stateless start case that does not fit is simply not sent (and counted as
refused). Two free slots are required per start: the ``ignored_auth`` check
re-sends a successful start without a key, which a faulty server might honour.

The stateful run cannot refuse starts that way. Hypothesis replays the choices of
earlier examples while it explores, and if a start that was sent before is refused
now, the replay finds other steps available and Hypothesis stops with
``FlakyStrategyDefinition``. So the budget is never consulted inside an example:
each example may send :data:`STARTS_PER_EXAMPLE` start requests (a rule that looks
only at the example's own steps), an example begins only when the budget holds its
starts twice over (once more to replay it, should it fail), and when it does not,
the run ends between two examples (:class:`StatefulBudgetSpent`).
"""

from __future__ import annotations

import contextlib
import threading
import unittest
from collections import Counter
from typing import TYPE_CHECKING, Any

import hypothesis
import hypothesis.control
import schemathesis
from schemathesis.checks import CheckFunction
from schemathesis.generation.stateful.state_machine import (
    DEFAULT_STATE_MACHINE_SETTINGS,
    StepInput,
    StepOutput,
)
from schemathesis.specs.openapi import checks as openapi_checks

from mockserver.spec import spec_path

from .client import API_KEY_HEADER, GET, START
from .ledger import STATEFUL, STATELESS
from .settings import Caller

if TYPE_CHECKING:
    from .plugin import ContractRun

# The checks the suite promises, named so a local schemathesis.toml cannot switch them off.
CHECKS: list[CheckFunction] = [
    schemathesis.checks.not_a_server_error,
    openapi_checks.status_code_conformance,
    openapi_checks.content_type_conformance,
    openapi_checks.response_headers_conformance,
    openapi_checks.response_schema_conformance,
    openapi_checks.negative_data_rejection,
    openapi_checks.positive_data_acceptance,
    openapi_checks.missing_required_header,
    openapi_checks.unsupported_method,
    openapi_checks.allow_header_conformance,
    openapi_checks.ignored_auth,
    openapi_checks.use_after_free,
    openapi_checks.ensure_resource_availability,
]
SLOTS_PER_START = 2
STATEFUL_STEPS = 8
# One session is enough to follow every link of the spec (start -> get -> promote, -> end -> end again).
STARTS_PER_EXAMPLE = 1
SLOTS_PER_EXAMPLE = STARTS_PER_EXAMPLE * SLOTS_PER_START
# On a virtual clock, move this far before each Get, so a Get -> Promote link finds a ready segment.
VIRTUAL_SECONDS_PER_GET = 20.0


def load_schema(run: ContractRun) -> schemathesis.BaseSchema:
    """The project's spec, configured for this run."""
    schema = configure(schemathesis.openapi.from_path(str(spec_path())), run.owner, run.settings.max_examples)
    if run.seed is not None:
        # Schemathesis seeds each operation's test itself, which ``--hypothesis-seed`` does not reach.
        schema.config.seed = run.seed
    return schema


def configure(schema: schemathesis.BaseSchema, owner: Caller, max_examples: int) -> schemathesis.BaseSchema:
    """Requests as ``owner`` in their organization; ``max_examples`` per operation; the spec's links only."""
    schema.config.update(
        headers={API_KEY_HEADER: owner.api_key}, parameters={"organization_id": owner.org_id}
    )
    schema.config.generation.update(max_examples=max_examples)
    # Only the spec's own links: a run that follows none of them must not pass on inferred ones.
    schema.config.phases.stateful.inference.algorithms = []
    return schema


def spec_link_count(schema: schemathesis.BaseSchema) -> int:
    """Links the spec declares between the operations (inference is off, so nothing else)."""
    return int(schema.statistic.transitions.total)


class SchemaBudget:
    """How many sessions Schemathesis may start, split between the stateless and stateful tests."""

    def __init__(self, run: ContractRun) -> None:
        self.run = run
        self.ledger = run.ledger
        self.stateless_allowance = max(self.ledger.remaining - SLOTS_PER_START, 0) // 2
        self.stateless_started = 0
        self._lock = threading.Lock()

    def may_start(self, *, stateless: bool, positive: bool) -> bool:
        with self._lock:
            if self.ledger.remaining < SLOTS_PER_START:
                allowed = False
            elif stateless and positive:
                allowed = self.stateless_started < self.stateless_allowance
            else:
                allowed = True
            if allowed and positive:  # a start with valid data: the one that creates a session
                self.ledger.note_sent(STATELESS)
            elif not allowed:
                self.ledger.note_refused(STATELESS)
            return allowed

    def may_begin_stateful_example(self) -> bool:
        """Whether the budget holds one more stateful example and, should it fail, its replay."""
        return self.ledger.remaining >= 2 * SLOTS_PER_EXAMPLE

    def end_started_since(self, mark: int) -> int:
        """End the sessions started after the ledger held ``mark`` sessions; return how many were new."""
        new = self.ledger.sessions_since(mark)
        for session in new:
            if not session.ended and session.session_id is not None:
                self.run.end_started(session)
        return len(new)


class StatefulBudgetSpent(unittest.SkipTest):
    """The budget holds no further stateful example: the run ends here, the examples so far stand.

    A skip exception, because Hypothesis re-raises those at once, without replaying
    anything. Raised when an example is over, so no example is cut short.
    """


def is_replay() -> bool:
    """Whether Hypothesis is re-running a failing example to report it."""
    return hypothesis.control.current_build_context().is_final


def is_start(case: schemathesis.Case) -> bool:
    return case.operation.definition.raw.get("operationId") == START


def is_positive(case: schemathesis.Case) -> bool:
    meta = case.meta
    return meta is None or not meta.generation.mode.is_negative


def build_workflow(
    schema: schemathesis.BaseSchema, run: ContractRun, budget: SchemaBudget, followed: Counter[str]
) -> type:
    """The spec's state machine, pinned to the run's organization, budget and target.

    ``followed`` counts the links taken (by link) and the start requests sent (``START``).
    What an example does depends on its own steps only, never on the budget left:
    the budget decides only whether another example begins.
    """
    client = run.client
    virtual_advance = getattr(run.time, "advance", None)

    class Workflow(schema.as_state_machine()):  # type: ignore[misc]
        @classmethod
        def run(cls, *, settings: hypothesis.settings | None = None) -> None:
            if not budget.may_begin_stateful_example():
                return  # not even one example fits
            with contextlib.suppress(StatefulBudgetSpent):
                super().run(settings=settings)

        def setup(self) -> None:
            self._mark = run.ledger.started
            self._starts = 0
            self._failed = False

        def teardown(self) -> None:
            # Each example ends its sessions, so the next one finds the target as this one did.
            budget.end_started_since(self._mark)
            # Stop only once an example is over: stopping earlier would show Hypothesis an
            # example that draws less than the one it replays. Never over a failure, which
            # Hypothesis may replay (paid for when the example began) and must report.
            if not self._failed and not is_replay() and not budget.may_begin_stateful_example():
                raise StatefulBudgetSpent("the session budget holds no further stateful example")

        def step(self, input: StepInput) -> StepOutput | None:
            if is_start(input.case):
                if self._starts >= STARTS_PER_EXAMPLE:
                    run.ledger.note_refused(STATEFUL)
                    return None
                self._starts += 1
                followed[START] += 1
                run.ledger.note_sent(STATEFUL)
            if input.transition is not None and input.is_applied:
                followed[input.transition.id] += 1
            try:
                return super().step(input)
            except BaseException:
                self._failed = True
                raise

        def before_call(self, case: schemathesis.Case) -> None:
            # The config's `parameters` do not reach the state machine; pin the organization here.
            if "organization_id" in case.path_parameters:
                case.path_parameters["organization_id"] = run.owner.org_id
            if virtual_advance is not None and case.operation.definition.raw.get("operationId") == GET:
                virtual_advance(VIRTUAL_SECONDS_PER_GET)

        def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, Any]:
            return {"base_url": client.base_url, "session": client.session}

    return Workflow


def stateful_settings(run: ContractRun) -> hypothesis.settings:
    return hypothesis.settings(
        DEFAULT_STATE_MACHINE_SETTINGS,
        max_examples=run.settings.max_examples,
        stateful_step_count=STATEFUL_STEPS,
        database=None,
    )
