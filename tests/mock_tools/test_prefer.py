"""``Prefer: code=…`` and ``Prefer: delay=…`` on a single request, Prism style."""

from __future__ import annotations

import asyncio
import json
import threading

import httpx
import pytest
import uvicorn
from starlette.types import Message

from mockserver.app import create_app
from mockserver.clock import VirtualClock
from mockserver.server import MockServer, Stopping, bind

from .conftest import ALICE, SESSIONS, SPEC, Sleeps, start_session
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


def test_a_preference_given_twice_counts_the_first_time_as_rfc_7240_asks(
    client: httpx.Client, sleeps: Sleeps
) -> None:
    assert call(client, "getFocusSession", {**ALICE, "Prefer": "code=404, code=500"}).status_code == 404
    twice = httpx.Headers([("X-API-Key", "alice-dev-key"), ("Prefer", "delay=100"), ("Prefer", "delay=oops")])
    session = start_session(client)
    answer = client.get(f"{SESSIONS}/{session['session_id']}", headers=twice)
    assert answer.status_code == 200 and sleeps == [0.1]  # the ignored repeat is not even checked


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


def _arm_get_500(client: httpx.Client, **more: object) -> None:
    fault = {"operation": "getFocusSession", "status": 500, "times": 1, **more}
    assert client.post("/__mock/faults", json=fault).status_code == 201


def test_prefer_code_wins_over_an_armed_fault_and_leaves_it_armed(client: httpx.Client) -> None:
    _arm_get_500(client)
    assert call(client, "getFocusSession", {**ALICE, "Prefer": "code=404"}).status_code == 404
    assert call(client, "getFocusSession", ALICE).status_code == 500


def test_prefer_the_success_code_wins_over_an_armed_fault_too(client: httpx.Client) -> None:
    """Regression: ``code=200`` was dropped as "nothing to do", so the fault fired."""
    session = start_session(client)
    _arm_get_500(client)
    url = f"{SESSIONS}/{session['session_id']}"
    assert client.get(url, headers={**ALICE, "Prefer": "code=200"}).status_code == 200
    assert client.get(url, headers=ALICE).status_code == 500


def test_prefer_delay_alone_neither_bypasses_nor_disarms_a_fault(
    client: httpx.Client, sleeps: Sleeps
) -> None:
    """Regression: ``delay=10`` answered normally and left the fault armed; now both apply."""
    _arm_get_500(client, delay_ms=2500)
    answer = call(client, "getFocusSession", {**ALICE, "Prefer": "delay=10"})
    assert answer.status_code == 500 and answer.json()["error"]["details"]["forced_by"] == "fault_1"
    assert sleeps == [2.51]
    assert client.get("/__mock/faults").json() == {"faults": []}
    assert client.get("/__mock/journal").json()["entries"][0]["forced"] == "fault_1"


def test_unknown_preferences_leave_faults_to_fire(client: httpx.Client) -> None:
    _arm_get_500(client)
    assert call(client, "getFocusSession", {**ALICE, "Prefer": "return=minimal"}).status_code == 500


def test_prefer_is_journaled_as_forced(client: httpx.Client) -> None:
    answer = call(client, "endFocusSession", {**ALICE, "Prefer": "code=403"})
    entry = client.get("/__mock/journal").json()["entries"][0]
    assert (entry["trace_id"], entry["forced"], entry["status"]) == (
        answer.headers["X-Request-ID"],
        "Prefer",
        403,
    )


def test_stopping_the_server_ends_a_delay_and_still_answers(clock: VirtualClock) -> None:
    """Regression: Ctrl-C during ``Prefer: delay=120000`` kept the mock "waiting for connections
    to close", and a second Ctrl-C answered a plain-text 500 with a traceback."""
    stopping = Stopping()
    delaying = threading.Event()

    async def sleep(seconds: float) -> None:
        delaying.set()
        await stopping.sleep(seconds)

    sock = bind("127.0.0.1", 0)
    app = create_app(clock=clock, spec=SPEC, sleep=sleep)
    server = MockServer(uvicorn.Config(app, log_level="warning", lifespan="off"), stopping)
    running = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    running.start()
    answers: list[httpx.Response] = []
    url = f"http://127.0.0.1:{sock.getsockname()[1]}{SESSIONS}"
    body = {"goal": "focus", "target_minutes": 10}
    headers = {**ALICE, "Prefer": "delay=120000"}
    asking = threading.Thread(
        target=lambda: answers.append(
            httpx.post(url, json=body, headers=headers, timeout=30, trust_env=False)
        )
    )
    asking.start()
    try:
        assert delaying.wait(timeout=15), "the request never reached its delay"
        server.should_exit = True  # what Ctrl-C does
        asking.join(timeout=30)
        running.join(timeout=30)
    finally:
        server.should_exit = server.force_exit = True
        sock.close()
    assert not running.is_alive(), "the server did not stop"
    (answer,) = answers
    assert answer.status_code == 201, answer.text
    assert answer.json()["status"] == "active" and answer.headers["X-Request-ID"].startswith("req_")


def test_a_request_the_stopping_server_cancels_is_answered_in_the_envelope(clock: VirtualClock) -> None:
    """The last resort after the grace period (or a second Ctrl-C): no traceback, no plain text."""
    entered: list[asyncio.Event] = []

    async def forever(seconds: float) -> None:
        entered[0].set()
        await asyncio.Event().wait()

    app = create_app(clock=clock, spec=SPEC, sleep=forever)
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "GET",
        "path": f"{SESSIONS}/mfocus_0123456789ab",
        "query_string": b"",
        "headers": [(b"x-api-key", b"alice-dev-key"), (b"prefer", b"delay=120000")],
    }

    async def cancel_during_the_delay() -> None:
        entered.append(asyncio.Event())
        request = asyncio.create_task(app(scope, receive, send))
        await asyncio.wait_for(entered[0].wait(), timeout=10)
        request.cancel()
        await asyncio.wait_for(request, timeout=10)  # ends without raising CancelledError

    asyncio.run(cancel_during_the_delay())
    start, body = sent
    assert start["status"] == 500
    headers = dict(start["headers"])
    assert headers[b"content-type"] == b"application/json"
    error = json.loads(body["body"])["error"]
    assert error["code"] == "INTERNAL_ERROR" and error["trace_id"] == headers[b"x-request-id"].decode()
    assert "stopped before it could answer" in error["system_message"]
