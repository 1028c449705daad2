"""The request journal: newest first, filters, limit, clear, and no API key ever recorded."""

from __future__ import annotations

import asyncio
import logging

import httpx
import pytest
from starlette.types import Message

from mockserver.journal import Journal, redact_key

from .conftest import ALICE, BOB, SESSIONS, MakeClient, start_session


def _journal(client: httpx.Client, **params: object) -> dict:
    answer = client.get("/__mock/journal", params=params)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_entries_are_newest_first_with_every_field(client: httpx.Client) -> None:
    session = start_session(client)
    answer = client.get(f"{SESSIONS}/{session['session_id']}?x=1", headers=BOB)
    newest, oldest = _journal(client)["entries"]
    assert newest | {"duration_ms": None} == {
        "trace_id": answer.headers["X-Request-ID"],
        "timestamp": "2026-06-28T09:30:00Z",
        "method": "GET",
        "path": f"{SESSIONS}/{session['session_id']}",
        "query": "x=1",
        "status": 404,
        "duration_ms": None,
        "operation": "getFocusSession",
        "api_key": redact_key("bob-dev-key"),
        "user_id": "usr_bob",
        "forced": None,
        "dropped": False,
    }
    assert newest["duration_ms"] >= 0
    assert (oldest["status"], oldest["operation"], oldest["user_id"]) == (
        201,
        "startFocusSession",
        "usr_alice",
    )


def test_unauthenticated_and_unknown_requests_are_journaled_too(client: httpx.Client) -> None:
    client.get(SESSIONS, headers={"X-API-Key": "wrong-key-123"})
    client.get("/v2/nothing", headers=ALICE)
    unknown, wrong_key = _journal(client)["entries"]
    assert (wrong_key["status"], wrong_key["user_id"], wrong_key["operation"]) == (401, None, None)
    assert wrong_key["api_key"] == redact_key("wrong-key-123")
    assert (unknown["status"], unknown["operation"]) == (404, None)


def test_the_control_plane_and_docs_are_not_journaled(client: httpx.Client) -> None:
    client.get("/__mock/clock")
    client.get("/docs")
    client.get("/openapi.json")
    assert _journal(client) == {"entries": [], "matched": 0}


def test_filters_and_limit(client: httpx.Client) -> None:
    session = start_session(client)
    url = f"{SESSIONS}/{session['session_id']}"
    for _ in range(3):
        client.get(url, headers=ALICE)
    client.get(url, headers=BOB)
    client.post(f"{url}/end", headers=ALICE)
    assert _journal(client, operation="getFocusSession")["matched"] == 4
    assert [e["status"] for e in _journal(client, status="404")["entries"]] == [404]
    assert _journal(client, status="2xx")["matched"] == 5
    assert _journal(client, status="5xx") == {"entries": [], "matched": 0}
    limited = _journal(client, limit=2, operation="getFocusSession")
    assert (len(limited["entries"]), limited["matched"]) == (2, 4)
    assert _journal(client)["matched"] == 6


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 1001}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"status": "4x"}, "status"),
        ({"status": "600"}, "status"),
        ({"operation": "nope"}, "operation"),
        ({"since": "yesterday"}, "since"),
    ],
)
def test_bad_journal_queries_are_a_422(client: httpx.Client, params: dict, field: str) -> None:
    answer = client.get("/__mock/journal", params=params)
    assert answer.status_code == 422
    assert [e["field"] for e in answer.json()["error"]["details"]["errors"]] == [field]


def test_a_bad_status_filter_is_explained_in_words_not_as_a_pattern(client: httpx.Client) -> None:
    answer = client.get("/__mock/journal", params={"status": "999"})
    assert answer.json()["error"]["details"]["errors"] == [
        {"field": "status", "message": "must be a status such as 404, a class such as 4xx, or dropped"}
    ]


@pytest.mark.parametrize("query", ["limit=1&limit=2", "status=404&status=4xx", "limit=0&limit=2"])
def test_a_query_parameter_given_twice_is_a_422_not_a_silent_choice(client: httpx.Client, query: str) -> None:
    answer = client.get(f"/__mock/journal?{query}")
    assert answer.status_code == 422
    name = query.split("=", 1)[0]
    assert {"field": name, "message": "is given more than once; give it once"} in answer.json()["error"][
        "details"
    ]["errors"]


def test_clear(client: httpx.Client) -> None:
    start_session(client)
    start_session(client)
    assert client.delete("/__mock/journal").json() == {"cleared": 2}
    assert _journal(client)["matched"] == 0


def test_journal_keeps_only_the_newest_entries() -> None:
    from mockserver.clock import VirtualClock

    journal = Journal(VirtualClock(0), size=3)
    for n in range(5):
        scope = {"path": f"/p{n}", "method": "GET", "headers": [], "state": {"trace_id": f"req_{n}"}}
        journal.observe(scope, 200, 1.0)
    entries, matched = journal.query(limit=10)
    assert [e.trace_id for e in entries] == ["req_4", "req_3", "req_2"] and matched == 3


def test_keys_never_reach_the_journal_or_the_logs(
    client: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    session = start_session(client)
    client.get(f"{SESSIONS}/{session['session_id']}", headers={"X-API-Key": "a-secret-typo-key"})
    client.post(
        "/__mock/faults", json={"operation": "getFocusSession", "api_key": "bob-dev-key", "status": 500}
    )
    seen = client.get("/__mock/journal").text + client.get("/__mock/faults").text + caplog.text
    for key in ("alice-dev-key", "bob-dev-key", "a-secret-typo-key"):
        assert key not in seen
    assert "usr_alice" in seen and redact_key("a-secret-typo-key") in seen


def test_redaction_tells_keys_apart_without_showing_them() -> None:
    assert redact_key(None) is None and redact_key("") is None
    assert redact_key("alice-dev-key") != redact_key("bob-dev-key")
    assert redact_key("alice-dev-key") == redact_key("alice-dev-key")
    assert len(redact_key("alice-dev-key") or "") == len("sha256:") + 10


def test_keys_in_a_query_string_or_path_are_replaced(client: httpx.Client) -> None:
    """Regression: ``?api_key=alice-dev-key`` was journaled as sent."""
    client.get(f"{SESSIONS}/x?api_key=alice-dev-key&limit=3", headers=ALICE)
    client.get(f"{SESSIONS}/x?access_token=some-token-value&note=bob-dev-key&page=2", headers=ALICE)
    client.get("/v1/music/bob-dev-key/focus/sessions?key=", headers={"X-API-Key": "a-secret-typo-key"})
    client.get(f"{SESSIONS}/x?q=a-secret-typo-key", headers={"X-API-Key": "a-secret-typo-key"})
    typo, in_path, other_names, by_name = (
        (e["path"], e["query"]) for e in client.get("/__mock/journal").json()["entries"]
    )
    assert by_name == (f"{SESSIONS}/x", "api_key=REDACTED&limit=3")
    assert other_names == (f"{SESSIONS}/x", "access_token=REDACTED&note=REDACTED&page=2")
    assert in_path == ("/v1/music/REDACTED/focus/sessions", "key=")
    assert typo == (f"{SESSIONS}/x", "q=REDACTED")  # the key this request offered, known or not


def test_a_client_that_leaves_during_a_delay_is_journaled_as_dropped(make_client: MakeClient) -> None:
    """Regression: such a request was journaled with ``status: null`` but ``dropped: false``,
    and its Start was carried out after the delay, for no one."""

    async def forever(seconds: float) -> None:
        await asyncio.Event().wait()

    client = make_client(sleep=forever)
    body = b'{"goal": "focus", "target_minutes": 10}'
    arrivals: list[Message] = [
        {"type": "http.request", "body": body, "more_body": False},
        {"type": "http.disconnect"},
    ]
    sent: list[Message] = []

    async def receive() -> Message:
        return arrivals.pop(0) if arrivals else await asyncio.Event().wait()  # type: ignore[func-returns-value]

    async def send(message: Message) -> None:
        sent.append(message)

    headers = [
        (b"x-api-key", b"alice-dev-key"),
        (b"prefer", b"delay=120000"),
        (b"content-type", b"application/json"),
    ]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": SESSIONS,
        "raw_path": SESSIONS.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 4010),
    }
    asyncio.run(asyncio.wait_for(client.app(scope, receive, send), timeout=10))  # type: ignore[attr-defined]
    assert sent == []
    (entry,) = _journal(client, status="dropped")["entries"]
    assert (entry["operation"], entry["status"], entry["dropped"], entry["forced"]) == (
        "startFocusSession",
        None,
        True,
        "Prefer",
    )
    assert client.get("/__mock/sessions").json() == {"sessions": []}


def test_an_entry_without_an_answer_is_always_dropped() -> None:
    """Whatever the cause, ``status: null`` and ``dropped: true`` go together, so the filter finds it."""
    from mockserver.clock import VirtualClock

    journal = Journal(VirtualClock(0))
    journal.observe({"path": "/p", "method": "POST", "headers": [], "state": {}}, 0, 1.0)
    (entry,), _ = journal.query(limit=10, status="dropped")
    assert (entry.status, entry.dropped) == (None, True)
