"""A quota changed at run time holds from then on and never rewrites what happened before (I7, I8, D5, D9).

Carol's Globex (``org_xyz789``) has a quota of 20, Alice's Acme 10,000. The clock
is virtual unless a test says otherwise; many things then share an instant, and
the order in which they were done still counts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from mockserver.clock import RealClock, VirtualClock
from mockserver.sqlite_store import SqliteStore

from .conftest import ALICE, BOB, CAROL, SESSIONS, MakeClient, start_session

GLOBEX = "/v1/music/org_xyz789/focus/sessions"


def _carol_starts(client: httpx.Client, minutes: int = 60) -> dict[str, Any]:
    answer = client.post(GLOBEX, json={"goal": "focus", "target_minutes": minutes}, headers=CAROL)
    assert answer.status_code == 201, answer.text
    return answer.json()


def _carol_reads(client: httpx.Client, session_id: str) -> tuple[str, int, bool]:
    seen = client.get(f"{GLOBEX}/{session_id}", headers=CAROL).json()
    return seen["status"], seen["ready_count"], seen["more_pending"]


def _jump(client: httpx.Client, session_id: str, ready_count: int) -> dict[str, Any]:
    answer = client.post(f"/__mock/sessions/{session_id}/jump", json={"ready_count": ready_count})
    assert answer.status_code == 200, answer.text
    return answer.json()


def _set_quota(client: httpx.Client, organization_id: str, quota: int) -> dict[str, Any]:
    answer = client.put(f"/__mock/quotas/{organization_id}", json={"segment_quota": quota})
    assert answer.status_code == 200, answer.text
    return answer.json()


def _capped_then_raised(client: httpx.Client) -> tuple[str, str]:
    """Carol's first session capped at 20 by a jump, a second one started capped, then quota 100."""
    first = _carol_starts(client)["session_id"]
    assert (_jump(client, first, 25)["status"], _carol_reads(client, first)) == (
        "stopped_cap",
        ("stopped_cap", 20, False),
    )
    second = _carol_starts(client)
    assert (second["status"], second["ready_count"]) == ("stopped_cap", 0)
    raised = _set_quota(client, "org_xyz789", 100)
    assert (raised["used"], raised["remaining"], raised["exhausted"]) == (20, 80, False)
    return first, second["session_id"]


def test_i8_a_capped_session_stays_capped_when_the_quota_is_raised(
    client: httpx.Client, clock: VirtualClock
) -> None:
    """Regression: a raised quota brought it back to life, active with 25 ready."""
    first, second = _capped_then_raised(client)
    clock.advance(1000)
    assert _carol_reads(client, first) == ("stopped_cap", 20, False)
    assert _carol_reads(client, second) == ("stopped_cap", 0, False)
    listed = {s["session_id"]: s for s in client.get("/__mock/sessions").json()["sessions"]}
    assert (listed[first]["status"], listed[first]["ready_count"]) == ("stopped_cap", 20)


def test_i8_a_raised_quota_serves_sessions_started_after_it(
    client: httpx.Client, clock: VirtualClock
) -> None:
    """Started at the very instant of the raise, but after it: it runs."""
    _capped_then_raised(client)
    third = _carol_starts(client, minutes=480)  # 240 segments
    assert (third["status"], third["ready_count"], third["more_pending"]) == ("active", 0, True)
    clock.advance(3 + 10 * 79)  # its 80th segment: Globex's 100th
    assert _carol_reads(client, third["session_id"]) == ("stopped_cap", 80, False)
    assert client.get("/__mock/quotas").json()["organizations"][1]["used"] == 100


def test_i8_a_raised_quota_lets_a_running_session_go_on(client: httpx.Client, clock: VirtualClock) -> None:
    session = _carol_starts(client)["session_id"]
    _jump(client, session, 15)
    _set_quota(client, "org_xyz789", 25)
    clock.advance(1000)
    assert _carol_reads(client, session) == ("stopped_cap", 25, False)


def test_i8_d9_a_lowered_quota_leaves_a_session_ended_before_it_ended(
    client: httpx.Client, clock: VirtualClock
) -> None:
    """Regression: the cap was dated back to the last segment made, so a session ended since then
    turned from ended into stopped_cap."""
    mine = start_session(client)["session_id"]
    clock.advance(3)  # Alice's first segment
    bobs = start_session(client, BOB)["session_id"]
    clock.advance(3)  # Bob's first segment: 2 used
    clock.advance(1)
    assert client.post(f"{SESSIONS}/{bobs}/end", headers=BOB).json()["status"] == "ended"
    clock.advance(1)
    lowered = _set_quota(client, "org_abc123", 2)
    assert (lowered["used"], lowered["exhausted_at"]) == (2, "2026-06-28T09:30:08Z")  # now, not 09:30:06
    bob_sees = client.get(f"{SESSIONS}/{bobs}", headers=BOB).json()
    assert (bob_sees["status"], bob_sees["ready_count"]) == ("ended", 1)
    alice_sees = client.get(f"{SESSIONS}/{mine}", headers=ALICE).json()
    assert (alice_sees["status"], alice_sees["ready_count"]) == ("stopped_cap", 1)


def test_i8_d5_ending_at_the_instant_a_lowered_quota_stopped_it_keeps_stopped_cap(
    client: httpx.Client, clock: VirtualClock
) -> None:
    """The quota stopped it first; the end at the same instant comes after and changes nothing."""
    session = start_session(client)["session_id"]
    clock.advance(13)
    _set_quota(client, "org_abc123", 2)
    ended = client.post(f"{SESSIONS}/{session}/end", headers=ALICE).json()
    assert (ended["status"], ended["ready_count"]) == ("stopped_cap", 2)
    clock.advance(100)
    assert client.get(f"{SESSIONS}/{session}", headers=ALICE).json() == ended


def test_i8_at_one_instant_what_came_before_a_change_and_what_came_after_it(client: httpx.Client) -> None:
    """Quota 0, a start, quota 5, a start, all at the same virtual instant: the first start is capped
    for good, the second runs."""
    _set_quota(client, "org_abc123", 0)
    before = start_session(client)
    _set_quota(client, "org_abc123", 5)
    after = start_session(client)
    assert (before["status"], after["status"]) == ("stopped_cap", "active")
    again = client.get(f"{SESSIONS}/{before['session_id']}", headers=ALICE).json()
    assert (again["status"], again["ready_count"]) == ("stopped_cap", 0)


def test_i8_on_the_real_clock_a_raised_quota_does_not_revive_a_capped_session(
    make_client: MakeClient,
) -> None:
    client = make_client(clock=RealClock())
    first, second = _capped_then_raised(client)
    assert _carol_reads(client, first) == ("stopped_cap", 20, False)
    assert _carol_reads(client, second) == ("stopped_cap", 0, False)
    assert _carol_starts(client)["status"] == "active"


def test_i8_the_state_file_keeps_quota_history_across_a_restart(
    make_client: MakeClient, clock: VirtualClock, tmp_path: Path
) -> None:
    path = tmp_path / "state.db"
    store = SqliteStore(path)
    first, second = _capped_then_raised(make_client(store=store))
    store.close()
    again = SqliteStore(path)
    try:
        restarted = make_client(store=again)
        clock.advance(100)
        assert _carol_reads(restarted, first) == ("stopped_cap", 20, False)
        assert _carol_reads(restarted, second) == ("stopped_cap", 0, False)
        quota = restarted.get("/__mock/quotas").json()["organizations"][1]
        assert (quota["segment_quota"], quota["used"]) == (100, 20)
    finally:
        again.close()


def test_i7_a_jump_back_into_a_stretch_without_quota_is_refused_not_a_loss_of_segments(
    client: httpx.Client,
) -> None:
    """Regression: after a raise, jumping a running session moved its start back to when the quota
    was used up; it answered 200 stopped_cap with 0 ready, its 4 segments gone."""
    _capped_then_raised(client)
    client.post("/__mock/clock/advance", json={"seconds": 60})
    later = _carol_starts(client, minutes=120)["session_id"]
    client.post("/__mock/clock/advance", json={"seconds": 33})
    assert _carol_reads(client, later) == ("active", 4, True)
    answer = client.post(f"/__mock/sessions/{later}/jump", json={"ready_count": 11})
    assert answer.status_code == 422, answer.text
    (problem,) = answer.json()["error"]["details"]["errors"]
    assert problem["field"] == "ready_count"
    assert "org_xyz789's segment quota was used up: it would stop there with 0 of the 4" in problem["message"]
    assert _carol_reads(client, later) == ("active", 4, True)  # nothing changed
    assert _jump(client, later, 5)["status"] == "active"  # a jump that stays after the raise still works
