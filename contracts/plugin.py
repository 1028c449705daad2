"""The pytest plugin behind ``pytest contracts``: options, target, fixtures, budget, verdicts.

Lifecycle of a run:

* configure: options and credentials are resolved (a usage mistake stops here);
* session start: the bundled mock is started when no ``--base-url`` is given, and
  the target is asked once whether it answers and accepts the keys, so that a
  wrong URL or key is one clear message instead of a failure in every test;
* collection: each test's clause markers become a ``documented`` or ``inferred``
  marker, and the Schemathesis tests are moved last so they spend only the
  session budget the clause tests leave;
* every report: API keys are masked, the outcome is counted for its clauses, and a
  failure keeps the request and answer that proved it (see :mod:`contracts.exchanges`);
* session finish (also on Ctrl-C and SIGTERM): every session still open is ended;
* terminal summary and ``--conformance-json``: the clause verdicts.
"""

from __future__ import annotations

import atexit
import re
import secrets
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from mockserver.spec import Spec

from .assertions import Contract
from .clauses import DOCUMENTED, INFERRED, clause, level_of
from .client import ApiClient
from .exchanges import ExchangeLog, evidence, proving_exchange
from .interrupts import INTERRUPTS
from .launcher import BundledMock, LaunchError, default_callers
from .ledger import BUDGET_SPENT, STATEFUL, STATELESS, SessionLedger, StartedSession, SweepResult
from .redaction import contains_secret, redact
from .report import ERROR, FAILED, PASSED, SKIPPED, ConformanceReport
from .sessions import SessionFactory
from .settings import CREDENTIAL_OPTIONS, Caller, Settings, add_options, resolve
from .timing import TimeControl, detect

RUN_KEY = pytest.StashKey["ContractRun"]()
SCHEMA_TESTS_CLAUSE = "OAS"
# A failure message that starts with a clause ID ("D10: ...") blames that clause.
BLAMED_CLAUSE = re.compile(r"\s*([DI]\d+|OAS):")
# In the reason of every skip for want of sessions (sessions.require_start_slot, the stateful OAS test).
BUDGET_SKIP = "session budget"

_active: ContractRun | None = None


class TargetProblem(Exception):
    """The target cannot be tested as configured; the message says why and what to do."""


def active_run() -> ContractRun:
    """The run being configured or executed (for test modules that build things at import)."""
    if _active is None:
        raise RuntimeError("the contracts plugin is not active: run `pytest contracts`")
    return _active


def never_existing_session_id() -> str:
    return "mfocus_" + secrets.token_hex(6)


def _network_reason(exc: requests.RequestException) -> str:
    text = str(exc)
    found = re.findall(r"\[Errno -?\d+\] ([^'\")]+)", text)
    if found:
        return found[-1].strip()
    if isinstance(exc, requests.Timeout):
        return "no answer before --request-timeout"
    return type(exc).__name__


class ContractRun:
    """One run of the suite against one target."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.spec = Spec.load()
        self.contract = Contract(self.spec)
        self.ledger = SessionLedger(settings.max_sessions)
        self.report = ConformanceReport()
        self.exchanges = ExchangeLog()
        self.seed: int | str | None = None  # --hypothesis-seed, for Schemathesis too
        if settings.bundled:
            self.owner, self.peer, self.outsider = default_callers()
        else:
            assert settings.owner is not None and settings.peer is not None
            self.owner, self.peer, self.outsider = settings.owner, settings.peer, settings.outsider
        self.mock: BundledMock | None = None
        self._client: ApiClient | None = None
        self._time: TimeControl | None = None
        self.sweep_result: SweepResult | None = None
        self._closed = False

    # -- what tests use -----------------------------------------------------

    @property
    def client(self) -> ApiClient:
        if self._client is None:
            raise RuntimeError("the target is not connected (was the run started with --collect-only?)")
        return self._client

    @property
    def time(self) -> TimeControl:
        if self._time is None:
            raise RuntimeError("the target is not connected")
        return self._time

    def api_keys(self) -> tuple[str, ...]:
        callers = (self.owner, self.peer, self.outsider)
        return tuple(c.api_key for c in callers if c is not None)

    def key_names(self) -> dict[str, str]:
        """Each API key of the run -> the environment variable that holds it, for curl commands."""
        names = {}
        for caller, dest in (
            (self.owner, "api_key"),
            (self.peer, "peer_api_key"),
            (self.outsider, "outsider_api_key"),
        ):
            if caller is not None:
                names.setdefault(caller.api_key, CREDENTIAL_OPTIONS[dest][1])
        return names

    # -- lifecycle ----------------------------------------------------------

    def connect(self) -> None:
        base_url = self.settings.base_url
        if base_url is None:
            self.mock = BundledMock()
            try:
                base_url = self.mock.start()
            except LaunchError as exc:
                raise TargetProblem(str(exc)) from None
        self._client = ApiClient(
            base_url, self.spec, self.ledger, self.settings.request_timeout, self.exchanges.observe
        )
        self.report.facts.update(target=base_url, bundled_mock=self.settings.bundled)
        try:
            self._check_callers()
            self._time = detect(self._client, self.settings.segment_wait)
        except requests.RequestException as exc:
            raise TargetProblem(f"cannot reach {base_url}: {_network_reason(exc)}") from None
        self.report.facts["clock"] = self._time.kind

    def _check_callers(self) -> None:
        """Each key must be accepted; owner and peer must belong to the organization."""
        client = self.client
        checks: list[tuple[Caller, str, bool]] = [
            (self.owner, "--api-key", True),
            (self.peer, "--peer-api-key", True),
        ]
        if self.outsider is not None:
            checks.append((self.outsider, "--outsider-api-key", False))
        for caller, flag, must_be_member in checks:
            answer = client.get(caller, never_existing_session_id(), org=self.owner.org_id)
            if answer.status == 401:
                raise TargetProblem(f"{client.base_url} refused the key given as {flag} (401): check it")
            if must_be_member and answer.status == 403:
                raise TargetProblem(
                    f"the user of {flag} is not a member of organization {self.owner.org_id} (403): "
                    "check --org-id"
                )

    def finish(self) -> SweepResult:
        """End every session the run started and has not seen ended. Safe to call again."""
        if self.sweep_result is None:
            if self._client is None:
                self.sweep_result = SweepResult(0, ())
            else:
                self.sweep_result = self.ledger.sweep(self.end_started)
            self.report.facts["sessions"] = {
                "budget": self.ledger.budget,
                "started": self.ledger.started,
                "ended_at_finish": self.sweep_result.ended,
                "left_active": list(self.sweep_result.left_active),
                "start_requests_refused_by_budget": self.ledger.refused,
                "start_requests_not_sent": dict(self.ledger.refused_by),
                "generated_start_requests_sent": dict(self.ledger.sent_by),
                "tests_skipped_for_budget": self.report.skipped_for(BUDGET_SKIP),
            }
        return self.sweep_result

    def end_started(self, session: StartedSession) -> str | None:
        """End a session the run started, with the key that started it; return why it failed, or None."""
        assert session.session_id is not None
        caller = Caller("starter", session.api_key or self.owner.api_key, session.org_id)
        try:
            answer = self.client.end(caller, session.session_id)
        except requests.RequestException as exc:
            return _network_reason(exc)
        if answer.status == 200 and isinstance(answer.json, dict) and answer.json.get("status") != "active":
            self.ledger.mark_ended(session.session_id)
            return None
        return f"End answered {answer.status}"

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self.finish()
        if self._client is not None:
            self._client.close()
        if self.mock is not None:
            self.mock.close()


# -- hooks ----------------------------------------------------------------------

MARKERS = (
    "clause(*ids): the API-notes clauses a contract test checks (D1-D12, I1-I14, OAS)",
    f"{DOCUMENTED}: checks only documented clauses (MUST); set from the clause IDs",
    f"{INFERRED}: checks at least one inferred clause (SHOULD); set from the clause IDs",
)


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


def pytest_configure(config: pytest.Config) -> None:
    global _active
    for line in MARKERS:
        config.addinivalue_line("markers", line)
    if config.option.help or config.option.version:
        return
    run = ContractRun(resolve(config))
    run.seed = _seed(config)
    if run.seed is not None:
        run.report.facts["seed"] = run.seed
    config.stash[RUN_KEY] = run
    _active = run
    atexit.register(run.close)
    # Ctrl-C and SIGTERM (a cancelled CI job) become interrupts, so session finish still ends sessions.
    config.add_cleanup(INTERRUPTS.install())


def _seed(config: pytest.Config) -> int | str | None:
    """``--hypothesis-seed``: it seeds the generated requests of Hypothesis and Schemathesis alike."""
    seed = getattr(config.option, "hypothesis_seed", None)
    if seed is None:
        return None
    text = str(seed)
    return int(text) if text.isdigit() else text


def _run(config: pytest.Config) -> ContractRun | None:
    return config.stash.get(RUN_KEY, None)


def pytest_report_header(config: pytest.Config) -> list[str]:
    run = _run(config)
    if run is None:
        return []
    target = run.settings.base_url or "the bundled focus-mock (virtual clock)"
    return [
        f"focus contracts: target {target}; owner and peer in {run.owner.org_id}; "
        f"outsider {'given' if run.outsider else 'not given'}; "
        f"at most {run.settings.max_sessions} sessions"
    ]


def pytest_sessionstart(session: pytest.Session) -> None:
    run = _run(session.config)
    if run is None or session.config.option.collectonly:
        return
    try:
        run.connect()
    except TargetProblem as exc:
        run.report.facts["aborted"] = redact(str(exc), run.api_keys())
        raise pytest.UsageError(redact(str(exc), run.api_keys())) from None


def report_key(item: pytest.Item) -> str:
    """The item's node id, or its parent's plus its name when the id omits it.

    Schemathesis names its per-operation items ``test[POST /path]``, but under pytest 9
    they all get the bare function's node id; the name keeps them apart in the report.
    """
    if item.nodeid.endswith(item.name) or item.parent is None:
        return item.nodeid
    return f"{item.parent.nodeid}::{item.name}"


def clause_ids(item: pytest.Item) -> tuple[str, ...]:
    ids: list[str] = []
    for mark in item.iter_markers("clause"):
        ids.extend(mark.args)
    return tuple(dict.fromkeys(ids))


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Level markers from clause IDs (before ``-m`` selects on them); Schemathesis tests last."""
    for item in items:
        ids = clause_ids(item)
        if not ids:
            continue
        for clause_id in ids:
            clause(clause_id)  # an unknown ID stops collection with a clear error
        item.add_marker(level_of(ids))
    items.sort(key=lambda item: SCHEMA_TESTS_CLAUSE in clause_ids(item))


def pytest_collection_finish(session: pytest.Session) -> None:
    run = _run(session.config)
    if run is None:
        return
    for item in session.items:
        ids = clause_ids(item)
        if ids:
            run.report.expect(report_key(item), ids)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    run = _run(item.config)
    if run is not None:
        run.exchanges.begin_test()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[Any]:
    report = yield
    run = _run(item.config)
    if run is None:
        return report
    keys = run.api_keys()
    if report.longrepr is not None and contains_secret(str(report.longrepr), keys):
        report.longrepr = redact(str(report.longrepr), keys)
    report.sections = [(title, redact(text, keys)) for title, text in report.sections]
    if report.passed:
        outcome, reason = PASSED, ""
    elif report.skipped:
        longrepr = report.longrepr
        reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
        outcome = SKIPPED
    else:
        outcome = FAILED if report.when == "call" else ERROR
        message = str(call.excinfo.value) if call.excinfo else ""
        reason = redact(message, keys)[:500]
        blamed = BLAMED_CLAUSE.match(reason)
        proof = proving_exchange(run.exchanges.since_test_began(), message)
        run.report.record(
            report_key(item),
            report.when,
            outcome,
            reason,
            blamed.group(1) if blamed else None,
            evidence(*proof, run.key_names()) if proof else None,
        )
        return report
    run.report.record(report_key(item), report.when, outcome, reason)
    return report


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    run = _run(session.config)
    if run is not None:
        run.report.facts["exit_status"] = int(exitstatus)
        run.finish()


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    run = _run(config)
    if run is None or config.option.collectonly:
        return
    table = run.report.table()
    if not table:
        return
    terminalreporter.section("Focus Sessions conformance")
    for line in table:
        terminalreporter.write_line(line)
    sessions = run.report.facts.get("sessions", {})
    if sessions:
        for line in budget_summary(sessions):
            terminalreporter.write_line(line)
        for problem in sessions["left_active"]:
            terminalreporter.write_line(f"NOT ENDED: {problem}", red=True)


def budget_summary(sessions: dict[str, Any]) -> list[str]:
    """What the session budget did to the run, in words: which requests it held back, and what that cost.

    Only Schemathesis holds generated start requests back without a trace in the
    verdicts; a clause test that finds no room is skipped, and shows as such.
    """
    left = len(sessions["left_active"])
    lines = [
        f"sessions: {sessions['started']} started of at most {sessions['budget']} (--max-sessions), "
        + (f"{left} NOT ended" if left else "every one ended")
    ]
    not_sent, sent = sessions["start_requests_not_sent"], sessions["generated_start_requests_sent"]
    stateless, stateful = not_sent.get(STATELESS, 0), not_sent.get(STATEFUL, 0)
    if stateless or stateful:
        parts = []
        if stateless:
            parts.append(
                f"{_counted(stateless, 'stateless startFocusSession example')} beyond their share "
                f"({sent.get(STATELESS, 0)} with valid data were sent)"
            )
        if stateful:
            parts.append(
                f"{_counted(stateful, 'second start')} within a stateful scenario "
                f"(a scenario starts one session; {sent.get(STATEFUL, 0)} did)"
            )
        lines.append(
            f"not sent, to stay within the budget: "
            f"{_counted(stateless + stateful, 'Schemathesis-generated start request')}: {'; '.join(parts)}"
        )
    if not_sent.get(BUDGET_SPENT):
        lines.append(
            f"{_counted(not_sent[BUDGET_SPENT], 'start request')} refused, the budget being spent: "
            "each stopped the test that sent it (see the verdicts)"
        )
    lines += _coverage_lines(sessions, stateless and not sent.get(STATELESS, 0))
    return lines


def _counted(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _coverage_lines(sessions: dict[str, Any], no_valid_start: bool) -> list[str]:
    """What the requests held back cost: nothing a clause test checks, unless a test was skipped."""
    lines = []
    skipped = sessions["tests_skipped_for_budget"]
    if skipped:
        lines.append(
            f"{_counted(skipped, 'test')} skipped for want of sessions "
            "(see the verdicts; raise --max-sessions)"
        )
    if no_valid_start:
        lines.append(
            "Schemathesis sent no start with valid data: it did not check a successful "
            "startFocusSession answer (raise --max-sessions)"
        )
    if sessions["start_requests_not_sent"] and not lines:
        lines.append(
            "no clause lost coverage by it: every clause test ran, and Schemathesis checked every "
            "request it sent, only fewer generated starts"
        )
    return lines


def pytest_unconfigure(config: pytest.Config) -> None:
    global _active
    run = _run(config)
    if run is None:
        return
    run.close()
    if run.settings.conformance_json:
        run.report.write_json(run.settings.conformance_json)
    _active = None


# -- fixtures -------------------------------------------------------------------


@pytest.fixture(scope="session")
def contract_run(request: pytest.FixtureRequest) -> ContractRun:
    run = _run(request.config)
    if run is None:
        raise RuntimeError("the contracts plugin is not configured")
    return run


@pytest.fixture(scope="session")
def base_url(contract_run: ContractRun) -> str:
    """The target's base URL: ``--base-url``, or the bundled mock's."""
    return contract_run.client.base_url


@pytest.fixture(scope="session")
def api(contract_run: ContractRun) -> ApiClient:
    return contract_run.client


@pytest.fixture(scope="session")
def contract(contract_run: ContractRun) -> Contract:
    return contract_run.contract


@pytest.fixture(scope="session")
def target_time(contract_run: ContractRun) -> TimeControl:
    return contract_run.time


@pytest.fixture(scope="session")
def owner(contract_run: ContractRun) -> Caller:
    return contract_run.owner


@pytest.fixture(scope="session")
def peer(contract_run: ContractRun) -> Caller:
    return contract_run.peer


@pytest.fixture(scope="session")
def outsider(contract_run: ContractRun) -> Caller:
    if contract_run.outsider is None:
        pytest.skip("needs --outsider-api-key (a user of another organization)")
    return contract_run.outsider


@pytest.fixture(scope="session")
def outsider_at_home(outsider: Caller) -> Caller:
    if outsider.org_id is None:
        pytest.skip("needs --outsider-org-id (the outsider's own organization)")
    return outsider


@pytest.fixture
def sessions(contract_run: ContractRun) -> Iterator[SessionFactory]:
    """Sessions for one test; ended when the test is over."""
    factory = SessionFactory(contract_run.client, contract_run.time, contract_run.owner)
    yield factory
    factory.end_all()


@pytest.fixture(scope="session")
def shared_sessions(contract_run: ContractRun) -> Iterator[SessionFactory]:
    """Sessions that tests only read, shared to save budget; ended when the run is over."""
    factory = SessionFactory(contract_run.client, contract_run.time, contract_run.owner)
    yield factory
    factory.end_all()


@pytest.fixture(scope="session")
def standing_session(shared_sessions: SessionFactory) -> dict[str, Any]:
    """One session of the owner, started with the spec's example body, for read-only checks."""
    return shared_sessions.start()


@pytest.fixture(scope="session")
def ripe_session(shared_sessions: SessionFactory) -> dict[str, Any]:
    """One session of the owner, with a ready segment if one comes in time, for read-only checks."""
    return shared_sessions.ripe(required=False)
