"""Progress over time (I7) and the organization's segment quota (I8, D5), on the virtual clock."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import pytest
from spec_client import WorldClient
from world import ALICE, BOB, CAROL, ORG, OTHER_ORG, START, due, end, get, start

from mockserver import service
from mockserver.config import DEFAULT_CONFIG_DATA, Config, parse_config

MakeClient = Callable[..., WorldClient]


def world(quota: int = 10_000, first: float = 3, interval: float = 10) -> Config:
    """The default world with ORG's quota and the timings changed."""
    data = json.loads(json.dumps(DEFAULT_CONFIG_DATA))
    data["organizations"][0]["segment_quota"] = quota
    data["timings"] = {"first_segment_seconds": first, "segment_interval_seconds": interval}
    return parse_config(data)


def epoch(timestamp: str) -> float:
    return datetime.fromisoformat(timestamp).timestamp()


def walk(
    client: WorldClient, session_id: str, step: float, until: float, api_key: str = ALICE
) -> Iterator[Any]:
    """Each state of the session from now until ``until`` seconds after START, ``step`` apart."""
    while client.clock.now() <= START + until:
        yield client.clock.now(), get(client, session_id, api_key).json()
        client.clock.advance(step)


def _assert_i7_invariants(
    state: dict[str, Any], now: float, previous: int, started: float, first: float = 3, interval: float = 10
) -> None:
    ready = state["ready_count"]
    assert 0 <= ready <= state["total_segments"]
    assert ready >= previous, "ready_count went down"
    assert len(state["segments"]) <= ready
    if state["more_pending"]:
        assert state["status"] == "active"
        assert epoch(state["next_ready_at"]) >= now
        assert state["next_ready_at"] == due(started, ready, first, interval)
    else:
        assert state["next_ready_at"] is None


def test_i7_stepping_through_a_whole_session(client: WorldClient) -> None:
    session = start(client, target_minutes=10)  # 5 segments: due at +3, +13, +23, +33, +43
    previous = 0
    for now, state in walk(client, session["session_id"], step=0.5, until=60):
        _assert_i7_invariants(state, now, previous, START)
        due_by_now = sum(1 for k in range(5) if START + 3 + 10 * k <= now)
        assert state["ready_count"] == due_by_now
        assert state["more_pending"] is (due_by_now < 5)
        previous = state["ready_count"]
    assert previous == 5


def test_i7_a_segment_is_ready_exactly_at_its_due_time_not_before(client: WorldClient) -> None:
    session = start(client)
    client.clock.advance(12.999)
    before = get(client, session["session_id"]).json()
    client.clock.advance(0.001)
    at = get(client, session["session_id"]).json()
    assert (before["ready_count"], before["next_ready_at"]) == (1, due(START, 1))
    assert (at["ready_count"], at["next_ready_at"]) == (2, due(START, 2))
    assert at["segments"][1]["ready_at"] == before["next_ready_at"]


@pytest.mark.parametrize(
    ("first", "interval", "step", "first_due"),
    [(0.25, 0.5, 0.125, "2027-01-15T08:00:00.250Z"), (0.3, 0.1, 0.05, "2027-01-15T08:00:00.300Z")],
)
def test_i7_fractional_timings_give_exact_millisecond_due_times(
    make_client: MakeClient, first: float, interval: float, step: float, first_due: str
) -> None:
    """Also a regression: with 0.3 s to the first segment, it was not ready at its own due time."""
    client = make_client(world(first=first, interval=interval))
    session = start(client, target_minutes=8)  # 4 segments
    assert session["next_ready_at"] == first_due
    previous = 0
    for now, state in walk(client, session["session_id"], step=step, until=first + 4 * interval + 0.5):
        _assert_i7_invariants(state, now, previous, START, first=first, interval=interval)
        due_by_now = sum(1 for k in range(4) if round(START + first + k * interval, 3) <= now)
        assert state["ready_count"] == due_by_now
        for segment in state["segments"]:
            assert segment["ready_at"] == due(START, segment["index"], first, interval)
        previous = state["ready_count"]
    assert previous == 4


def test_i7_a_session_started_later_is_due_from_its_own_start(client: WorldClient) -> None:
    client.clock.advance(1234.5)
    session = start(client)
    assert session["next_ready_at"] == due(START + 1234.5, 0)


def test_i7_a_finished_session_has_nothing_pending(client: WorldClient) -> None:
    session = start(client, target_minutes=2)
    client.clock.advance(3)
    state = get(client, session["session_id"]).json()
    assert (state["ready_count"], state["more_pending"], state["next_ready_at"]) == (1, False, None)


# -- quota (I8) --------------------------------------------------------------------------------


def _two_sharing_a_quota_of_five(make_client: MakeClient) -> tuple[WorldClient, str, str]:
    """Alice at START and Bob at START+5: due A+3, B+8, A+13, B+18, A+23, so the fifth is at +23."""
    client = make_client(world(quota=5))
    alice = start(client, ALICE)["session_id"]
    client.clock.advance(5)
    bob = start(client, BOB)["session_id"]
    return client, alice, bob


def test_i8_the_quota_stops_every_session_at_the_moment_it_runs_out(make_client: MakeClient) -> None:
    client, alice, bob = _two_sharing_a_quota_of_five(make_client)
    client.clock.advance(17.999)  # START + 22.999
    assert [get(client, s, k).json()["status"] for s, k in ((alice, ALICE), (bob, BOB))] == ["active"] * 2
    assert get(client, bob, BOB).json()["next_ready_at"] == due(START + 5, 2)

    client.clock.advance(0.001)  # START + 23: the fifth segment, Alice's third
    mine, bobs = get(client, alice).json(), get(client, bob, BOB).json()
    assert (mine["status"], mine["ready_count"]) == ("stopped_cap", 3)
    assert (bobs["status"], bobs["ready_count"]) == ("stopped_cap", 2)
    for state in (mine, bobs):
        assert state["more_pending"] is False
        assert state["next_ready_at"] is None


def test_i8_the_quota_is_shared_in_the_order_segments_become_ready(make_client: MakeClient) -> None:
    client, alice, bob = _two_sharing_a_quota_of_five(make_client)
    client.clock.advance(10_000)
    mine, bobs = get(client, alice).json(), get(client, bob, BOB).json()
    assert mine["ready_count"] + bobs["ready_count"] == 5
    assert [s["ready_at"] for s in mine["segments"]] == [due(START, k) for k in range(3)]
    assert [s["ready_at"] for s in bobs["segments"]] == [due(START + 5, k) for k in range(2)]


def test_i8_d5_ending_a_stopped_session_keeps_stopped_cap(make_client: MakeClient) -> None:
    client, alice, _ = _two_sharing_a_quota_of_five(make_client)
    client.clock.advance(100)
    first = end(client, alice)
    client.clock.advance(100)
    second = end(client, alice)
    assert first.json()["status"] == "stopped_cap"
    assert first.json()["more_pending"] is False
    assert first.json()["ready_count"] == 3
    assert second.content == first.content


def test_i8_a_session_started_after_the_quota_ran_out_is_stopped_at_once(make_client: MakeClient) -> None:
    client, _, _ = _two_sharing_a_quota_of_five(make_client)
    client.clock.advance(100)
    late = start(client, BOB)
    assert (late["status"], late["ready_count"], late["more_pending"], late["next_ready_at"]) == (
        "stopped_cap",
        0,
        False,
        None,
    )


def test_i8_an_ended_sessions_segments_count_but_it_stays_ended(make_client: MakeClient) -> None:
    client, alice, bob = _two_sharing_a_quota_of_five(make_client)
    client.clock.advance(15)  # START + 20: A has 2, B has 2
    assert end(client, alice).json()["ready_count"] == 2
    client.clock.advance(7.999)  # START + 27.999
    assert get(client, bob, BOB).json()["status"] == "active"
    client.clock.advance(0.001)  # START + 28: Bob's third is the fifth
    bobs = get(client, bob, BOB).json()
    assert (bobs["status"], bobs["ready_count"]) == ("stopped_cap", 3)
    assert get(client, alice).json()["status"] == "ended"


def test_i8_a_session_that_finished_within_the_quota_is_not_stopped(make_client: MakeClient) -> None:
    client = make_client(world(quota=3))
    short = start(client, ALICE, target_minutes=2)["session_id"]  # one segment, at +3
    long = start(client, BOB)["session_id"]  # at +3, +13, ...
    client.clock.advance(1000)
    assert get(client, short).json()["status"] == "active"
    assert get(client, short).json()["ready_count"] == 1
    assert get(client, long, BOB).json()["status"] == "stopped_cap"
    assert get(client, long, BOB).json()["ready_count"] == 2


def test_i8_default_world_the_small_quota_organization_stops_at_its_twentieth_segment(
    client: WorldClient,
) -> None:
    session = start(client, CAROL, OTHER_ORG)["session_id"]  # 30 segments wanted, quota 20
    client.clock.advance(3 + 10 * 19 - 0.001)
    before = get(client, session, CAROL, OTHER_ORG).json()
    assert (before["status"], before["ready_count"]) == ("active", 19)
    client.clock.advance(0.001)
    at = get(client, session, CAROL, OTHER_ORG).json()
    assert (at["status"], at["ready_count"], at["more_pending"]) == ("stopped_cap", 20, False)
    assert get(client, start(client, ALICE)["session_id"]).json()["status"] == "active"  # ORG unaffected


def test_i7_i8_ready_counts_never_go_down_under_a_shared_quota(make_client: MakeClient) -> None:
    client = make_client(world(quota=7))
    alice = start(client, ALICE)["session_id"]
    client.clock.advance(2)
    bob = start(client, BOB)["session_id"]
    previous = {alice: 0, bob: 0}
    for _ in range(160):
        client.clock.advance(0.5)
        total = 0
        for session_id, api_key in ((alice, ALICE), (bob, BOB)):
            state = get(client, session_id, api_key).json()
            assert state["ready_count"] >= previous[session_id]
            previous[session_id] = state["ready_count"]
            total += state["ready_count"]
        assert total <= 7
    assert sum(previous.values()) == 7


def test_i7_i8_a_later_session_never_takes_a_segment_already_shown_as_ready(
    make_client: MakeClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Regression: with no first-segment delay, a session started at the same instant used to
    win a tie for the last quota unit by its id, taking away a segment already reported ready."""
    ids = iter(["mfocus_bbbbbbbbbbbb", "mfocus_aaaaaaaaaaaa"])
    monkeypatch.setattr(service, "new_session_id", lambda: next(ids))
    client = make_client(world(quota=1, first=0))
    first = start(client, ALICE)
    assert first["ready_count"] == 1
    second = start(client, BOB)
    assert second["session_id"] == "mfocus_aaaaaaaaaaaa"
    assert get(client, first["session_id"]).json()["ready_count"] == 1
    assert second["ready_count"] == 0
    assert second["status"] == "stopped_cap"


def test_i8_organizations_do_not_share_a_quota(make_client: MakeClient) -> None:
    client = make_client(world(quota=1))
    start(client, ALICE)
    client.clock.advance(100)
    carols = start(client, CAROL, OTHER_ORG)
    client.clock.advance(3)
    assert get(client, carols["session_id"], CAROL, OTHER_ORG).json()["ready_count"] == 1
    assert ORG != OTHER_ORG
