"""The virtual clock cannot be driven past the last instant an answer can still be written.

Instants are written as ISO 8601 dates, which end with the year 9999. Moving the
clock there a billion seconds at a time once made every later answer (errors
included, they carry a timestamp) a crash, and with ``--state`` the broken clock
survived a restart. Now the clock stops short with a ``422`` that says why, and
the API keeps answering.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from spec_client import WorldClient
from world import ALICE, key, session_path, sessions_path

from mockserver.clock import LATEST, VirtualClock

MakeClient = Callable[..., WorldClient]
STEP = 1_000_000_000  # the most one advance may ask for


def test_advancing_towards_year_9999_stops_short_and_the_api_keeps_answering(make_client: MakeClient) -> None:
    client = make_client()
    started = client.post(sessions_path(), json={"goal": "focus", "target_minutes": 480}, headers=key(ALICE))
    for _ in range(int(LATEST // STEP) + 2):
        answer = client.post("/__mock/clock/advance", json={"seconds": STEP})
        if answer.status_code != 200:
            break
    assert answer.status_code == 422, answer.text
    problem = answer.json()["error"]["details"]["errors"][0]
    assert problem["field"] == "seconds" and "9000-01-01T00:00:00Z" in problem["message"]
    assert client.clock.now() <= LATEST

    session = client.get(session_path(started.json()["session_id"]), headers=key(ALICE))
    assert session.status_code == 200 and session.json()["ready_count"] == 240
    assert client.get(session_path("mfocus_000000000000"), headers=key(ALICE)).status_code == 404
    fresh = client.post(sessions_path(), json={"goal": "focus", "target_minutes": 480}, headers=key(ALICE))
    assert fresh.status_code == 201 and fresh.json()["next_ready_at"].startswith("8")


def test_a_virtual_clock_refuses_to_pass_the_last_instant() -> None:
    clock = VirtualClock(LATEST - 10)
    assert clock.advance(10) == LATEST
    with pytest.raises(ValueError, match="cannot pass"):
        clock.advance(0.001)
    with pytest.raises(ValueError, match="cannot pass"):
        VirtualClock(0).set(LATEST + 1)
