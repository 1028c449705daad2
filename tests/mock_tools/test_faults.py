"""Faults: arm, fire (status, delay, drop), count down, scope to a key, list, clear; always in the journal."""

from __future__ import annotations

import httpx
import pytest
from live_mock import served

from .conftest import ALICE, BOB, SESSIONS, MakeClient, Sleeps, start_session
from .forced import CALLS, SPEC, assert_documented_forced_error, call, error_statuses

CASES = [(op, status) for op in CALLS for status in error_statuses(op)]


def _arm(client: httpx.Client, **fault: object) -> dict:
    answer = client.post("/__mock/faults", json=fault)
    assert answer.status_code == 201, answer.text
    return answer.json()


def _field_errors(answer: httpx.Response) -> dict[str, str]:
    assert answer.status_code == 422, answer.text
    return {e["field"]: e["message"] for e in answer.json()["error"]["details"]["errors"]}


@pytest.mark.parametrize(("operation_id", "status"), CASES, ids=[f"{op}-{s}" for op, s in CASES])
def test_forced_status_is_rendered_like_the_real_error(
    client: httpx.Client, operation_id: str, status: int
) -> None:
    """D10/I12: every documented error status of every operation, envelope and headers included."""
    fault = _arm(client, operation=operation_id, status=status, times=1)
    answer = call(client, operation_id, ALICE)
    assert_documented_forced_error(answer, operation_id, status, fault["fault_id"])


def test_forced_404_names_the_session_like_d7(client: httpx.Client) -> None:
    session = start_session(client)
    _arm(client, operation="getFocusSession", status=404, times=1)
    answer = client.get(f"{SESSIONS}/{session['session_id']}", headers=ALICE)
    assert answer.json()["error"]["details"]["session_id"] == session["session_id"]
    assert client.get(f"{SESSIONS}/{session['session_id']}", headers=ALICE).status_code == 200


def test_a_fault_fires_times_then_disappears(client: httpx.Client) -> None:
    session = start_session(client)
    fault = _arm(client, operation="getFocusSession", status=500, times=2)
    assert fault["remaining"] == 2 and fault["hits"] == 0
    url = f"{SESSIONS}/{session['session_id']}"
    assert client.get(url, headers=ALICE).status_code == 500
    assert client.get("/__mock/faults").json()["faults"][0] | {"created_at": None} == fault | {
        "remaining": 1,
        "hits": 1,
        "created_at": None,
    }
    assert client.get(url, headers=ALICE).status_code == 500
    assert client.get(url, headers=ALICE).status_code == 200
    assert client.get("/__mock/faults").json() == {"faults": []}


def test_a_fault_without_times_fires_until_cleared(client: httpx.Client) -> None:
    session = start_session(client)
    url = f"{SESSIONS}/{session['session_id']}/end"
    _arm(client, operation="endFocusSession", status=503 - 3)
    assert [client.post(url, headers=ALICE).status_code for _ in range(3)] == [500, 500, 500]
    assert client.delete("/__mock/faults").json() == {"cleared": 1}
    assert client.post(url, headers=ALICE).status_code == 200


def test_a_fault_applies_only_to_its_operation(client: httpx.Client) -> None:
    _arm(client, operation="getFocusSession", status=500)
    start_session(client)


def test_a_fault_for_one_key_leaves_other_callers_alone(client: httpx.Client) -> None:
    fault = _arm(client, operation="startFocusSession", api_key="alice-dev-key", status=429)
    assert fault["user_id"] == "usr_alice"
    assert fault["api_key"].startswith("sha256:") and "alice-dev-key" not in str(fault)
    start_session(client, BOB)
    assert call(client, "startFocusSession", ALICE).status_code == 429


def test_authentication_comes_before_a_fault(client: httpx.Client) -> None:
    """I13: a missing key is a 401, and the fault is not used up."""
    _arm(client, operation="getFocusSession", status=500, times=1)
    assert call(client, "getFocusSession", {}).json()["error"]["code"] == "AUTHENTICATION_REQUIRED"
    assert call(client, "getFocusSession", ALICE).status_code == 500


def test_the_newest_matching_fault_fires_first(client: httpx.Client) -> None:
    _arm(client, operation="getFocusSession", status=500)
    _arm(client, operation="getFocusSession", status=429, times=1)
    assert [call(client, "getFocusSession", ALICE).status_code for _ in range(2)] == [429, 500]


def test_a_delay_fault_waits_then_answers_for_real(client: httpx.Client, sleeps: Sleeps) -> None:
    session = start_session(client)
    _arm(client, operation="getFocusSession", delay_ms=2500, times=1)
    answer = client.get(f"{SESSIONS}/{session['session_id']}", headers=ALICE)
    assert answer.status_code == 200 and answer.json()["session_id"] == session["session_id"]
    assert sleeps == [2.5]


def test_delay_and_status_together(client: httpx.Client, sleeps: Sleeps) -> None:
    _arm(client, operation="getFocusSession", delay_ms=700, status=500, times=1)
    assert call(client, "getFocusSession", ALICE).status_code == 500
    assert sleeps == [0.7]


def test_remove_one_fault(client: httpx.Client) -> None:
    first = _arm(client, operation="getFocusSession", status=500)
    second = _arm(client, operation="endFocusSession", status=500)
    assert client.delete(f"/__mock/faults/{first['fault_id']}").json() == {"cleared": 1}
    assert [f["fault_id"] for f in client.get("/__mock/faults").json()["faults"]] == [second["fault_id"]]
    missing = client.delete(f"/__mock/faults/{first['fault_id']}")
    assert missing.status_code == 404 and missing.json()["error"]["details"] == {
        "fault_id": first["fault_id"]
    }


@pytest.mark.parametrize(
    ("fault", "field", "hint"),
    [
        ({"operation": "deleteEverything", "status": 500}, "operation", "getFocusSession"),
        ({"operation": "getFocusSession", "status": 422}, "status", "401, 403, 404, 405, 413, 429, 500"),
        ({"operation": "getFocusSession", "status": 200}, "status", "must be at least 400"),
        ({"operation": "getFocusSession"}, "status", "give status, delay_ms or drop"),
        ({"operation": "getFocusSession", "status": 500, "drop": True}, "drop", "not both"),
        ({"operation": "getFocusSession", "status": 500, "api_key": "nobody-key"}, "api_key", "not the key"),
        ({"operation": "getFocusSession", "status": 500, "times": 0}, "times", "at least 1"),
        ({"operation": "getFocusSession", "delay_ms": 10**6}, "delay_ms", "at most 120000"),
        ({"operation": "getFocusSession", "status": 500, "colour": "red"}, "colour", "not a known field"),
        ({"status": 500}, "operation", "is required"),
    ],
)
def test_bad_faults_are_refused_with_a_helpful_422(
    client: httpx.Client, fault: dict, field: str, hint: str
) -> None:
    assert hint in _field_errors(client.post("/__mock/faults", json=fault))[field]
    assert client.get("/__mock/faults").json() == {"faults": []}


def test_forced_faults_appear_in_the_journal_with_their_trace_ids(client: httpx.Client) -> None:
    fault = _arm(client, operation="getFocusSession", status=500, times=1)
    answer = call(client, "getFocusSession", ALICE)
    entry = client.get("/__mock/journal", params={"limit": 1}).json()["entries"][0]
    assert entry["trace_id"] == answer.headers["X-Request-ID"] == answer.json()["error"]["trace_id"]
    assert (entry["status"], entry["operation"], entry["forced"]) == (
        500,
        "getFocusSession",
        fault["fault_id"],
    )


def test_a_dropped_connection_gets_no_answer_and_is_journaled(make_client: MakeClient) -> None:
    """Only a real server can drop a connection, so this one runs under uvicorn on loopback."""
    client = make_client()
    app = client.app  # type: ignore[attr-defined]
    with served(app) as base, httpx.Client(base_url=base, timeout=10) as http:
        session = start_session(http)
        fault = http.post(
            "/__mock/faults", json={"operation": "getFocusSession", "drop": True, "times": 1}
        ).json()
        with pytest.raises(httpx.RemoteProtocolError):
            http.get(f"{SESSIONS}/{session['session_id']}", headers=ALICE)
        assert http.get(f"{SESSIONS}/{session['session_id']}", headers=ALICE).status_code == 200
        entries = http.get("/__mock/journal", params={"operation": "getFocusSession"}).json()["entries"]
    dropped = entries[1]
    assert (dropped["status"], dropped["dropped"], dropped["forced"]) == (None, True, fault["fault_id"])
    assert dropped["trace_id"].startswith("req_")
    assert SPEC.operations["getFocusSession"].method == dropped["method"]


@pytest.mark.parametrize("operation_id", list(CALLS))
def test_a_forced_405_allows_what_the_real_405_allows(client: httpx.Client, operation_id: str) -> None:
    """Regression: a forced 405 on Start said "POST is not allowed on this path; use POST"."""
    _, path, _ = CALLS[operation_id]
    real = client.request("DELETE", path, headers=ALICE)
    assert real.status_code == 405
    _arm(client, operation=operation_id, status=405, times=1)
    forced = call(client, operation_id, ALICE)
    assert forced.headers["Allow"] == real.headers["Allow"]
    assert forced.json()["error"]["details"]["allowed"] == real.json()["error"]["details"]["allowed"]
    method = SPEC.operations[operation_id].method
    assert f"{method} is allowed on this path" in forced.json()["error"]["system_message"]
