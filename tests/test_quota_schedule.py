"""The cached quota ledger gives exactly what the definition gives (I7, I8, D9).

``QuotaLedger.compute`` over the organization's stored sessions at ``now`` is the
definition; ``FocusService.progress`` answers from a schedule that is built
once and updated in place. Random schedules of starts, ends, jumps, quota
changes, resets and clock moves, looked at now and then (a look refreshes the
cache, so changes between looks pile up), must never tell the two apart.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mockserver.clock import VirtualClock
from mockserver.config import DEFAULT_CONFIG_DATA, Config, Timings, parse_config
from mockserver.quota_schedule import QuotaSchedule
from mockserver.quotas import apply_overrides
from mockserver.service import FocusService
from mockserver.sqlite_store import SqliteStore
from mockserver.store import MemoryStore, QuotaChange, SessionRecord, SessionStore
from mockserver.timeline import ENDED, STOPPED_CAP, Progress, QuotaHistory, QuotaLedger, progress

T0 = 1_800_000_000.0
ORGS = ("org_abc123", "org_xyz789")

timings_strategy = st.builds(
    Timings,
    first_segment_seconds=st.sampled_from([0, 0.3, 3]),
    segment_interval_seconds=st.sampled_from([0.1, 1, 10]),
)
# Whole and fractional milliseconds on a coarse grid, so ties between sessions happen often.
offsets = st.integers(0, 60).map(lambda n: n / 2) | st.integers(0, 30_000).map(lambda n: n / 1000)


def reference(
    record: SessionRecord,
    sessions: list[SessionRecord],
    quotas: int | QuotaHistory,
    timings: Timings,
    now: float,
) -> Progress:
    return progress(record, timings, now, QuotaLedger.compute(sessions, quotas, timings, now))


@st.composite
def organizations(draw: st.DrawFn) -> tuple[list[SessionRecord], int, Timings]:
    timings = draw(timings_strategy)
    count = draw(st.integers(0, 8))
    sessions = []
    for n in range(count):
        started = T0 + draw(offsets)
        ended = draw(st.none() | offsets.map(lambda d, s=started: round(s + d, 3)))
        sessions.append(
            SessionRecord(
                f"mfocus_{n:012x}", "org", "usr", "focus", "studio",
                target_minutes=draw(st.integers(1, 12)), started_at=started, ended_at=ended,
            )
        )  # fmt: skip
    return sessions, draw(st.integers(0, 40)), timings


@given(organizations(), st.lists(offsets, min_size=1, max_size=6))
def test_a_built_schedule_matches_the_definition_at_every_instant(
    organization: tuple[list[SessionRecord], int, Timings], moments: list[float]
) -> None:
    sessions, quota, timings = organization
    schedule = QuotaSchedule.build(sessions, quota, timings)
    # the instants where something happens, and the random ones
    instants = {T0 + m for m in moments} | {s.started_at + timings.first_segment_seconds for s in sessions}
    for now in sorted(instants):
        ledger = schedule.ledger_at(now)
        for record in sessions:
            assert progress(record, timings, now, ledger) == reference(record, sessions, quota, timings, now)


@st.composite
def histories(draw: st.DrawFn, sessions: int) -> QuotaHistory:
    """Quota changes at instants and places among the stored sessions that keep their order."""
    places = draw(st.lists(st.tuples(offsets, st.integers(0, sessions)), max_size=4))
    changes = [QuotaChange(T0 + at, draw(st.integers(0, 30)), before) for at, before in sorted(places)]
    return QuotaHistory(draw(st.integers(0, 40)), tuple(changes))


@given(organizations(), st.data(), st.lists(offsets, min_size=1, max_size=6))
def test_a_schedule_built_after_quota_changes_matches_the_definition_from_the_last_one_on(
    organization: tuple[list[SessionRecord], int, Timings], data: st.DataObject, moments: list[float]
) -> None:
    """I8: the schedule walks the history once and answers for every instant after the last change."""
    sessions, _, timings = organization
    history = data.draw(histories(len(sessions)))
    schedule = QuotaSchedule.build(sessions, history, timings)
    since = history.changes[-1].at if history.changes else T0
    instants = {since + m for m in moments} | {since}
    instants |= {s.started_at + timings.first_segment_seconds for s in sessions}
    for now in sorted(i for i in instants if i >= since):
        ledger = schedule.ledger_at(now)
        for record in sessions:
            assert progress(record, timings, now, ledger) == reference(
                record, sessions, history, timings, now
            )


@given(organizations(), st.lists(offsets, min_size=1, max_size=4))
def test_adding_sessions_one_by_one_matches_building_them_all(
    organization: tuple[list[SessionRecord], int, Timings], moments: list[float]
) -> None:
    sessions, quota, timings = organization
    schedule = QuotaSchedule.build([], quota, timings)
    for n, record in enumerate(sessions):
        if not schedule.add(record):
            schedule = QuotaSchedule.build(sessions[: n + 1], quota, timings)
        stored = sessions[: n + 1]
        for now in (T0 + m for m in moments):
            ledger = schedule.ledger_at(now)
            for other in stored:
                assert progress(other, timings, now, ledger) == reference(other, stored, quota, timings, now)


# -- through the service, as requests use it ----------------------------------------


@dataclass(frozen=True)
class Step:
    kind: str  # start, end, jump, quota, reset, advance, look
    org: int = 0
    pick: int = 0
    minutes: int = 1
    amount: float = 0.0


steps = st.one_of(
    st.builds(Step, st.just("start"), org=st.integers(0, 1), minutes=st.integers(1, 12)),
    st.builds(Step, st.just("end"), pick=st.integers(0, 50)),
    st.builds(Step, st.just("jump"), pick=st.integers(0, 50), amount=offsets),
    st.builds(Step, st.just("quota"), org=st.integers(0, 1), minutes=st.integers(0, 20)),
    st.builds(Step, st.just("reset")),
    st.builds(Step, st.just("advance"), amount=offsets),
    st.builds(Step, st.just("advance"), amount=offsets),
    st.builds(Step, st.just("look")),
    st.builds(Step, st.just("look")),
)


def small_world(timings: Timings, quotas: tuple[int, int]) -> Config:
    data = json.loads(json.dumps(DEFAULT_CONFIG_DATA))
    for organization, quota in zip(data["organizations"], quotas, strict=True):
        organization["segment_quota"] = quota
    data["timings"] = {
        "first_segment_seconds": timings.first_segment_seconds,
        "segment_interval_seconds": timings.segment_interval_seconds,
    }
    return parse_config(data)


Look = Callable[[FocusService, SessionStore, Timings], None]


def run_schedule(
    store: SessionStore, timings: Timings, quotas: tuple[int, int], plan: list[Step], look: Look | None = None
) -> None:
    look = look or compare
    base = small_world(timings, quotas)
    clock = VirtualClock(T0)
    service = FocusService(base, clock, store, ("session_id",), ("segment_id",))
    users = {org: next(u for u in base.users if org in u.organizations) for org in ORGS}
    for step in plan:
        records = store.all()
        if step.kind == "start":
            org = ORGS[step.org]
            service.start(users[org], org, {"goal": "focus", "target_minutes": step.minutes}, "")
        elif step.kind == "end" and records:
            record = records[step.pick % len(records)]
            service.end(users[record.organization_id], record.organization_id, record.session_id, "")
        elif step.kind == "jump" and records:  # the control plane moves a start back, straight in the store
            record = records[step.pick % len(records)]
            store.reschedule(record.session_id, round(record.started_at - step.amount, 3))
        elif step.kind == "quota":
            store.set_quota(ORGS[step.org], step.minutes, clock.now())
            apply_overrides(service, base)
        elif step.kind == "reset":
            store.clear()
            apply_overrides(service, base)
        elif step.kind == "advance":
            clock.advance(step.amount)
        elif step.kind == "look":
            look(service, store, timings)
    look(service, store, timings)


def compare(service: FocusService, store: SessionStore, timings: Timings) -> None:
    """Every session's progress now, from the service and from the definition."""
    now = service.clock.now()
    for org in ORGS:
        members = store.in_organization(org)
        history = QuotaHistory(service.configured_quota(org), tuple(store.quota_changes(org)))
        for record in members:
            expected = reference(record, members, history, timings, now)
            assert service.progress(record) == expected, record


def test_ending_a_session_before_the_quota_runs_out_moves_the_moment_it_does() -> None:
    """The case the in-place update must refuse: segments already counted towards the quota vanish."""
    timings = Timings(first_segment_seconds=3, segment_interval_seconds=10)
    plan = [
        Step("quota", org=0, minutes=3),
        Step("start", org=0, minutes=60),  # ready at +3, +13, +23, ...: the quota would run out at +13
        Step("advance", amount=1),
        Step("start", org=0, minutes=60),  # ready at +4, +14, ...
        Step("advance", amount=4),
        Step("end", pick=0),  # keeps only +3: now the quota runs out at +14
        Step("look"),
        Step("advance", amount=8.5),  # +13.5: nothing is stopped yet
        Step("look"),
        Step("advance", amount=0.5),
    ]
    run_schedule(MemoryStore(), timings, (10_000, 20), plan)


def test_a_change_made_straight_in_the_store_is_not_missed_by_the_next_start() -> None:
    """A jump (control plane) goes around the service; the start after it must not build on a stale ledger."""
    timings = Timings(first_segment_seconds=3, segment_interval_seconds=10)
    plan = [
        Step("quota", org=0, minutes=3),
        Step("start", org=0, minutes=60),  # ready at +3, +13, +23
        Step("look"),
        Step("jump", pick=0, amount=20),  # now ready at -17, -7, +3: the quota runs out at +3
        Step("start", org=0, minutes=60),
        Step("advance", amount=3),
    ]
    run_schedule(MemoryStore(), timings, (10_000, 20), plan)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(timings_strategy, st.tuples(st.integers(0, 20), st.integers(0, 20)), st.lists(steps, max_size=40))
def test_the_service_answers_like_the_definition_on_random_schedules(
    timings: Timings, quotas: tuple[int, int], plan: list[Step]
) -> None:
    run_schedule(MemoryStore(), timings, quotas, plan)


class History:
    """Checks at every look that nothing seen before was rewritten."""

    def __init__(self) -> None:
        self.seen: dict[str, Progress] = {}

    def __call__(self, service: FocusService, store: SessionStore, timings: Timings) -> None:
        for record in store.all():
            now = service.progress(record)
            before = self.seen.get(record.session_id)
            if before is not None:
                assert now.ready_count >= before.ready_count, (record, before, now)  # I7
                if before.status in (STOPPED_CAP, ENDED):
                    assert now == before, (record, before, now)  # I8, D9: it no longer changes
            self.seen[record.session_id] = now


# Everything but jumps (which move a start back on purpose) and resets (which forget everything).
steps_without_rewrites = st.one_of(
    st.builds(Step, st.just("start"), org=st.integers(0, 1), minutes=st.integers(1, 12)),
    st.builds(Step, st.just("end"), pick=st.integers(0, 50)),
    st.builds(Step, st.just("quota"), org=st.integers(0, 1), minutes=st.integers(0, 20)),
    st.builds(Step, st.just("advance"), amount=offsets),
    st.builds(Step, st.just("advance"), amount=offsets),
    st.builds(Step, st.just("look")),
)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(
    timings_strategy,
    st.tuples(st.integers(0, 20), st.integers(0, 20)),
    st.lists(steps_without_rewrites, max_size=40),
)
def test_quota_changes_never_rewrite_what_was_seen(
    timings: Timings, quotas: tuple[int, int], plan: list[Step]
) -> None:
    """I7, I8, D9: raised or lowered (even below what is used), a quota holds from when it is set.
    A session seen stopped or ended stays as it was seen; no ready count goes down."""
    run_schedule(MemoryStore(), timings, quotas, [*plan, Step("look")], History())


@pytest.fixture(scope="module")
def sqlite_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("schedules")


@settings(max_examples=25, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(timings_strategy, st.tuples(st.integers(0, 20), st.integers(0, 20)), st.lists(steps, max_size=25))
def test_the_service_answers_like_the_definition_on_the_sqlite_store(
    sqlite_dir: Path, timings: Timings, quotas: tuple[int, int], plan: list[Step]
) -> None:
    path = sqlite_dir / "state.db"
    path.unlink(missing_ok=True)
    store = SqliteStore(path)
    try:
        run_schedule(store, timings, quotas, plan)
    finally:
        store.close()
