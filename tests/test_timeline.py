"""The time model on its own: boundaries of readiness, end and quota (I7, I8, D9)."""

from __future__ import annotations

import math

import pytest

from mockserver.config import Timings
from mockserver.store import QuotaChange, SessionRecord
from mockserver.timeline import (
    ACTIVE,
    ENDED,
    STOPPED_CAP,
    Progress,
    QuotaHistory,
    QuotaLedger,
    progress,
    ready_time,
)

T0 = 1_800_000_000.0
TIMINGS = Timings(first_segment_seconds=3, segment_interval_seconds=10)


def record(session_id: str = "mfocus_aaaaaaaaaaaa", started: float = T0, **kwargs: object) -> SessionRecord:
    values: dict[str, object] = {"target_minutes": 60, "ended_at": None, **kwargs}
    return SessionRecord(session_id, "org", "usr", "focus", "studio", started_at=started, **values)  # type: ignore[arg-type]


def at(
    session: SessionRecord, now: float, sessions: list[SessionRecord] | None = None, quota: int | None = None
) -> Progress:
    ledger = None if quota is None else QuotaLedger.compute(sessions or [session], quota, TIMINGS, now)
    return progress(session, TIMINGS, now, ledger)


def test_ready_time_is_start_plus_first_plus_k_intervals() -> None:
    assert [ready_time(record(), TIMINGS, k) for k in range(3)] == [T0 + 3, T0 + 13, T0 + 23]


@pytest.mark.parametrize(
    ("offset", "ready", "next_offset"),
    [(0, 0, 3), (2.999, 0, 3), (3, 1, 13), (12.999, 1, 13), (13, 2, 23), (13.001, 2, 23)],
)
def test_i7_a_segment_is_ready_exactly_at_its_instant(offset: float, ready: int, next_offset: float) -> None:
    assert at(record(), T0 + offset) == Progress(ACTIVE, ready, T0 + next_offset)


def test_i7_a_complete_session_has_nothing_pending() -> None:
    short = record(target_minutes=4)  # 2 segments
    assert at(short, T0 + 13) == Progress(ACTIVE, 2, None)
    assert at(short, T0 + 10**9) == Progress(ACTIVE, 2, None)
    assert at(short, T0 + 13).more_pending is False


def test_i7_exact_instants_hold_with_fractional_intervals() -> None:
    """Float steps like 0.1 must not lose a segment on its own instant."""
    timings = Timings(first_segment_seconds=0.3, segment_interval_seconds=0.1)
    session = record(target_minutes=480)
    for k in range(240):
        instant = ready_time(session, timings, k)
        assert progress(session, timings, instant).ready_count == k + 1
        assert progress(session, timings, round(instant - 0.001, 3)).ready_count == k


def test_d9_ended_exactly_at_a_ready_instant_keeps_that_segment_and_freezes() -> None:
    ended = record(ended_at=T0 + 13)
    assert at(ended, T0 + 13) == Progress(ENDED, 2, None)
    assert at(ended, T0 + 10_000) == Progress(ENDED, 2, None)


def test_d9_ended_just_before_a_ready_instant_does_not_get_it() -> None:
    assert at(record(ended_at=T0 + 12.999), T0 + 10_000) == Progress(ENDED, 1, None)


def test_d9_ended_at_the_start_has_nothing() -> None:
    assert at(record(ended_at=T0), T0 + 10_000) == Progress(ENDED, 0, None)


def test_i8_quota_zero_stops_a_session_at_its_start() -> None:
    session = record()
    assert QuotaLedger.compute([session], 0, TIMINGS, T0).exhausted_at == -math.inf
    assert at(session, T0, quota=0) == Progress(STOPPED_CAP, 0, None)
    assert at(session, T0 + 1000, quota=0) == Progress(STOPPED_CAP, 0, None)


def test_i8_quota_zero_then_ended_keeps_stopped_cap() -> None:
    assert at(record(ended_at=T0 + 50), T0 + 100, quota=0) == Progress(STOPPED_CAP, 0, None)


def test_i8_quota_zero_ended_at_its_very_start_is_ended() -> None:
    """End and cap at the same instant: the session was not *already* stopped when it ended."""
    assert at(record(ended_at=T0), T0 + 100, quota=0) == Progress(ENDED, 0, None)


def test_i8_the_ledger_is_open_until_the_quota_is_reached() -> None:
    session = record()
    below = QuotaLedger.compute([session], 3, TIMINGS, T0 + 22.999)
    assert below.exhausted_at is None
    assert below.granted[session.session_id] == 2
    reached = QuotaLedger.compute([session], 3, TIMINGS, T0 + 23)
    assert reached.exhausted_at == T0 + 23
    assert at(session, T0 + 23, quota=3) == Progress(STOPPED_CAP, 3, None)
    assert at(session, T0 + 22.999, quota=3) == Progress(ACTIVE, 2, T0 + 23)


def test_i8_a_session_that_ends_on_the_instant_the_quota_runs_out_is_ended_others_stop() -> None:
    first = record("mfocus_aaaaaaaaaaaa", ended_at=T0 + 13)
    second = record("mfocus_bbbbbbbbbbbb", started=T0 + 1)  # due at +4, +14, ...
    sessions = [first, second]
    # order of readiness: first@3, second@4, first@13 (the third, with quota 3)
    assert at(first, T0 + 100, sessions, quota=3) == Progress(ENDED, 2, None)
    assert at(second, T0 + 100, sessions, quota=3) == Progress(STOPPED_CAP, 1, None)
    assert at(second, T0 + 12.999, sessions, quota=3) == Progress(ACTIVE, 1, T0 + 14)


def test_i8_ties_go_to_the_session_stored_first_whatever_its_id() -> None:
    late_id = record("mfocus_ffffffffffff")
    early_id = record("mfocus_000000000000")
    for stored in ([late_id, early_id], [early_id, late_id]):
        ledger = QuotaLedger.compute(stored, 3, TIMINGS, T0 + 100)
        assert ledger.exhausted_at == T0 + 13
        assert ledger.granted == {stored[0].session_id: 2, stored[1].session_id: 1}


def test_i7_i8_a_session_stored_later_at_the_same_instant_does_not_take_a_shown_segment() -> None:
    """Regression: with no first delay the tie went to the smaller id, so ready_count fell from 1 to 0."""
    timings = Timings(first_segment_seconds=0, segment_interval_seconds=10)
    shown = record("mfocus_bbbbbbbbbbbb")
    alone = QuotaLedger.compute([shown], 1, timings, T0)
    assert progress(shown, timings, T0, alone).ready_count == 1
    newcomer = record("mfocus_aaaaaaaaaaaa")
    both = QuotaLedger.compute([shown, newcomer], 1, timings, T0)
    assert progress(shown, timings, T0, both).ready_count == 1
    assert progress(newcomer, timings, T0, both) == Progress(STOPPED_CAP, 0, None)


def test_i8_the_grant_never_exceeds_the_quota_and_follows_readiness_order() -> None:
    sessions = [record(f"mfocus_{i:012x}", started=T0 + i * 2.5) for i in range(4)]
    now = T0 + 1000
    ledger = QuotaLedger.compute(sessions, 10, TIMINGS, now)
    assert sum(ledger.granted.values()) == 10
    instants = sorted(ready_time(s, TIMINGS, k) for s in sessions for k in range(30))
    assert ledger.exhausted_at == instants[9]
    assert all(at(s, now, sessions, quota=10).status == STOPPED_CAP for s in sessions)


# -- quota changes at run time: history, never rewritten ------------------------------


def history(initial: int, *changes: tuple[float, int, int]) -> QuotaHistory:
    return QuotaHistory(initial, tuple(QuotaChange(*change) for change in changes))


def states(sessions: list[SessionRecord], quotas: QuotaHistory, now: float) -> list[Progress]:
    ledger = QuotaLedger.compute(sessions, quotas, TIMINGS, now)
    return [progress(s, TIMINGS, now, ledger) for s in sessions]


def test_i8_a_stop_is_history_that_a_raised_quota_does_not_undo() -> None:
    first = record("mfocus_aaaaaaaaaaaa")  # ready at +3, +13: the quota of 2 runs out at +13
    during = record("mfocus_bbbbbbbbbbbb", started=T0 + 20)  # started while it was used up
    before_raise = record("mfocus_cccccccccccc", started=T0 + 30)  # the raise's instant, stored before it
    after_raise = record("mfocus_dddddddddddd", started=T0 + 30)  # stored after it: ready at +33, +43, ...
    sessions = [first, during, before_raise, after_raise]
    quotas = history(2, (T0 + 30, 10, 3))
    assert states(sessions, quotas, T0 + 100) == [
        Progress(STOPPED_CAP, 2, None),
        Progress(STOPPED_CAP, 0, None),
        Progress(STOPPED_CAP, 0, None),
        Progress(ACTIVE, 7, T0 + 103),
    ]
    ledger = QuotaLedger.compute(sessions, quotas, TIMINGS, T0 + 100)
    assert (ledger.limits[first.session_id], ledger.limits[during.session_id]) == ((T0 + 13, 2), (T0 + 20, 0))
    assert ledger.exhausted_at is None
    # 2 + 8 = 10: the raised quota runs out in turn, at the 8th segment of the session after it
    assert states(sessions, quotas, T0 + 103)[3] == Progress(STOPPED_CAP, 8, None)
    assert QuotaLedger.compute(sessions, quotas, TIMINGS, T0 + 103).exhausted_at == T0 + 103


def test_i8_d9_a_lowered_quota_stops_what_runs_then_and_rewrites_nothing_before() -> None:
    running = record("mfocus_aaaaaaaaaaaa")  # +3, +13, +23
    ended = record("mfocus_bbbbbbbbbbbb", started=T0 + 1, ended_at=T0 + 25)  # +4, +14, +24
    sessions = [running, ended]
    to_what_is_used = history(10_000, (T0 + 30, 6, 2))
    expected = [Progress(STOPPED_CAP, 3, None), Progress(ENDED, 3, None)]
    assert states(sessions, to_what_is_used, T0 + 200) == expected
    assert QuotaLedger.compute(sessions, to_what_is_used, TIMINGS, T0 + 200).limits == {
        running.session_id: (T0 + 30, 3)  # when it was lowered, not when the 6th segment was made
    }
    assert states(sessions, history(10_000, (T0 + 30, 1, 2)), T0 + 200) == expected  # nothing taken back
    assert states(sessions, to_what_is_used, T0 + 29) == [
        Progress(ACTIVE, 3, T0 + 33),
        Progress(ENDED, 3, None),
    ]


def test_i8_at_the_instant_of_a_change_what_sessions_stored_before_it_made_comes_first() -> None:
    timings = Timings(first_segment_seconds=0, segment_interval_seconds=10)
    older = record("mfocus_aaaaaaaaaaaa")  # ready at +0, +10, ...
    newer = record("mfocus_bbbbbbbbbbbb", started=T0 + 10)  # started after the change, ready at +10
    sessions = [older, newer]
    quotas = history(10_000, (T0 + 10, 2, 1))  # set at +10 to what was used then: older's 2
    ledger = QuotaLedger.compute(sessions, quotas, timings, T0 + 50)
    assert [progress(s, timings, T0 + 50, ledger) for s in sessions] == [
        Progress(STOPPED_CAP, 2, None),
        Progress(STOPPED_CAP, 0, None),
    ]


def test_i8_a_configured_quota_of_zero_then_raised() -> None:
    early = record("mfocus_aaaaaaaaaaaa")
    late = record("mfocus_bbbbbbbbbbbb", started=T0 + 50)
    assert states([early, late], history(0, (T0 + 50, 5, 1)), T0 + 60) == [
        Progress(STOPPED_CAP, 0, None),
        Progress(ACTIVE, 1, T0 + 63),
    ]
