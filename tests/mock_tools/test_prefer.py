"""``Prefer: code=…`` and ``Prefer: delay=…`` on a single request, Prism style."""

from __future__ import annotations

import httpx
import pytest

from .conftest import ALICE, SESSIONS, Sleeps, start_session
from .forced import CALLS, assert_documented_forced_error, call, error_statuses

CASES = [(op, status) for op in CALLS for status in error_statuses(op)]


@pytest.mark.parametrize(("operation_id", "status"), CASES, ids=[f"{op}-{s}" for op, s in CASES])
def test_prefer_code_answers_the_documented_error(
    client: httpx.Client, operation_id: str, status: int
) -> None:
    answer = call(client, operation_id, {**ALICE, "Prefer": f"code={status}"})
    assert_documented_forced_error(answer, operation_id, status, "Prefer")


def test_prefer_code_the_operation_cannot_give_is_a_422_listing_what_it_can(client: httpx.Client) -> None:
    answer = call(client, "getFocusSession", {**ALICE, "Prefer": "code=418"})
    assert answer.status_code == 422
    (error,) = answer.json()["error"]["details"]["errors"]
    assert error["field"] == "Prefer"
    assert "200, 401, 403, 404, 405, 413, 429, 500" in error["message"]
    assert "422" not in error["message"].split("can answer", 1)[1]  # Get documents no 422


@pytest.mark.parametrize(
    "value", ["code=abc", "code=", "delay=soon", "delay=-5", "delay=120001", "code=404.0"]
)
def test_malformed_preferences_are_a_422(client: httpx.Client, value: str) -> None:
    answer = call(client, "getFocusSession", {**ALICE, "Prefer": value})
    assert answer.status_code == 422
    assert answer.json()["error"]["details"]["errors"][0]["field"] == "Prefer"


def test_prefer_the_success_code_answers_normally(client: httpx.Client) -> None:
    answer = client.post(
        SESSIONS, json={"goal": "focus", "target_minutes": 10}, headers={**ALICE, "Prefer": "code=201"}
    )
    assert answer.status_code == 201 and answer.json()["status"] == "active"


def test_prefer_delay_delays_the_real_answer(client: httpx.Client, sleeps: Sleeps) -> None:
    session = start_session(client)
    answer = client.get(f"{SESSIONS}/{session['session_id']}", headers={**ALICE, "Prefer": "delay=1500"})
    assert answer.status_code == 200 and answer.json()["session_id"] == session["session_id"]
    assert sleeps == [1.5]


def test_code_and_delay_combine_in_one_header_or_several(client: httpx.Client, sleeps: Sleeps) -> None:
    assert call(client, "getFocusSession", {**ALICE, "Prefer": "code=500, delay=250"}).status_code == 500
    both = httpx.Headers([("X-API-Key", "alice-dev-key"), ("Prefer", "delay=100"), ("Prefer", "code=429")])
    assert call(client, "getFocusSession", both).status_code == 429
    assert sleeps == [0.25, 0.1]


def test_unknown_preferences_are_ignored_as_rfc_7240_asks(client: httpx.Client, sleeps: Sleeps) -> None:
    session = start_session(client)
    answer = client.get(
        f"{SESSIONS}/{session['session_id']}",
        headers={**ALICE, "Prefer": "return=minimal, respond-async; wait=5"},
    )
    assert answer.status_code == 200 and sleeps == []


def test_prefer_does_not_skip_authentication(client: httpx.Client) -> None:
    """I13: without a valid key the answer is the real 401, not the preferred one."""
    answer = call(client, "getFocusSession", {"Prefer": "code=404"})
    assert answer.status_code == 401 and "forced" not in answer.json()["error"]["details"]


def test_prefer_wins_over_an_armed_fault_and_leaves_it_armed(client: httpx.Client) -> None:
    client.post("/__mock/faults", json={"operation": "getFocusSession", "status": 500, "times": 1})
    assert call(client, "getFocusSession", {**ALICE, "Prefer": "code=404"}).status_code == 404
    assert call(client, "getFocusSession", ALICE).status_code == 500


def test_prefer_is_journaled_as_forced(client: httpx.Client) -> None:
    answer = call(client, "endFocusSession", {**ALICE, "Prefer": "code=403"})
    entry = client.get("/__mock/journal").json()["entries"][0]
    assert (entry["trace_id"], entry["forced"], entry["status"]) == (
        answer.headers["X-Request-ID"],
        "Prefer",
        403,
    )
