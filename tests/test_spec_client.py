"""The response checker behind every client in this suite must be able to fail.

Each case hands it a response that breaks the spec in one way and expects it
to say so; a checker that accepted these would make the rest of the suite
prove nothing.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import jsonschema
import pytest
from spec_client import ResponseChecker
from world import ALICE, NEVER_EXISTED, end_path, key, session_path, start

from mockserver.spec import Spec

TRACE = "req_0123456789abcdef"

SESSION = {
    "session_id": "mfocus_7c2a9f4e1b8d",
    "status": "ended",
    "goal": "focus",
    "engine": "studio",
    "target_minutes": 60,
    "total_segments": 30,
    "ready_count": 5,
    "segments": [],
    "more_pending": False,
    "next_ready_at": None,
}


def error_body(status: int, code: str, type_: str, trace_id: str = TRACE, **details: Any) -> dict[str, Any]:
    return {
        "success": False,
        "error": {
            "code": code,
            "message": "m",
            "system_message": "s",
            "type": type_,
            "status": status,
            "details": details,
            "trace_id": trace_id,
            "timestamp": "2026-06-28T10:30:00Z",
        },
    }


def answer(
    method: str,
    path: str,
    status: int,
    body: Any,
    *,
    content_type: str = "application/json",
    request_id: str | None = TRACE,
    extra_headers: dict[str, str] | None = None,
) -> httpx.Response:
    headers = {"content-type": content_type, **(extra_headers or {})}
    if request_id is not None:
        headers["x-request-id"] = request_id
    return httpx.Response(
        status,
        headers=headers,
        content=json.dumps(body).encode(),
        request=httpx.Request(method, "http://testserver" + path),
    )


@pytest.fixture
def checker(spec: Spec, app: Any) -> ResponseChecker:
    return ResponseChecker(spec, app.routes)


END = end_path("mfocus_7c2a9f4e1b8d")


def test_a_conforming_end_answer_passes(checker: ResponseChecker) -> None:
    checker.check(answer("POST", END, 200, SESSION))


def test_routes_are_resolved_to_operations(checker: ResponseChecker) -> None:
    assert checker.operation_for("POST", END) == "endFocusSession"
    assert checker.operation_for("GET", END) == "endFocusSession"  # wrong method, same route
    assert checker.operation_for("GET", session_path("x")) == "getFocusSession"
    assert checker.operation_for("GET", "/nowhere") is None


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        (lambda b: b.pop("next_ready_at"), "next_ready_at"),
        (lambda b: b.update(status="paused"), "paused"),
        (lambda b: b.update(session_id="mfocus_XYZ"), "mfocus_XYZ"),
        (lambda b: b.update(ready_count=-1), "-1"),
        (lambda b: b.update(next_ready_at="yesterday"), "yesterday"),
        (lambda b: b.update(target_minutes=60.5), "60.5"),
    ],
)
def test_a_body_off_the_schema_fails(checker: ResponseChecker, change: Any, complaint: str) -> None:
    body = json.loads(json.dumps(SESSION))
    change(body)
    with pytest.raises(AssertionError, match=complaint):
        checker.check(answer("POST", END, 200, body))


def test_an_undocumented_status_fails(checker: ResponseChecker) -> None:
    with pytest.raises(AssertionError, match="status 201 is not documented for endFocusSession"):
        checker.check(answer("POST", END, 201, SESSION))


def test_a_missing_or_malformed_request_id_fails(checker: ResponseChecker) -> None:
    with pytest.raises(AssertionError, match="X-Request-ID"):
        checker.check(answer("POST", END, 200, SESSION, request_id=None))
    with pytest.raises(AssertionError, match="X-Request-ID"):
        checker.check(answer("POST", END, 200, SESSION, request_id="abc"))


def test_a_non_json_content_type_fails(checker: ResponseChecker) -> None:
    with pytest.raises(AssertionError, match="Content-Type"):
        checker.check(answer("POST", END, 200, SESSION, content_type="text/plain"))


def test_an_error_trace_id_must_equal_the_request_id_header(checker: ResponseChecker) -> None:
    body = error_body(404, "RESOURCE_NOT_FOUND", "client_error", "req_other", session_id="x")
    with pytest.raises(AssertionError, match="differs from X-Request-ID"):
        checker.check(answer("POST", END, 404, body))


def test_an_error_status_must_equal_the_http_status(checker: ResponseChecker) -> None:
    body = error_body(404, "RESOURCE_NOT_FOUND", "client_error", session_id="x")
    with pytest.raises(AssertionError, match="differs from the HTTP status 401"):
        checker.check(answer("POST", END, 401, body))


def test_an_error_with_the_wrong_code_for_its_status_fails(checker: ResponseChecker) -> None:
    body = error_body(404, "NOT_FOUND", "client_error", session_id="x")
    with pytest.raises(AssertionError, match="RESOURCE_NOT_FOUND"):
        checker.check(answer("POST", END, 404, body))


def test_a_documented_required_header_must_be_present(checker: ResponseChecker) -> None:
    body = error_body(405, "METHOD_NOT_ALLOWED", "client_error")
    with pytest.raises(AssertionError, match="Allow is missing"):
        checker.check(answer("GET", END, 405, body))
    checker.check(answer("GET", END, 405, body, extra_headers={"Allow": "POST"}))


def test_an_unknown_route_is_held_to_the_error_envelope(checker: ResponseChecker) -> None:
    checker.check(answer("GET", "/nowhere", 404, error_body(404, "RESOURCE_NOT_FOUND", "client_error")))
    with pytest.raises(AssertionError, match="success"):
        checker.check(answer("GET", "/nowhere", 404, {"detail": "Not Found"}))


def test_a_server_error_fails_unless_allowed(checker: ResponseChecker) -> None:
    body = error_body(500, "INTERNAL_ERROR", "server_error")
    with pytest.raises(AssertionError, match="server error"):
        checker.check(answer("POST", END, 500, body))
    checker.check(answer("POST", END, 500, body), allow_server_errors=True)


def test_formats_are_checked(spec: Spec) -> None:
    """date-time and uri are enforced, not merely annotations (rfc3339/rfc3986 validators)."""
    checker = jsonschema.Draft202012Validator.FORMAT_CHECKER
    assert not checker.conforms("2026-06-28 10:30", "date-time")
    assert checker.conforms("2026-06-28T10:30:00Z", "date-time")
    assert not checker.conforms("not a uri", "uri")
    segment = spec.validator("/components/schemas/FocusSegment")
    bad = {
        "segment_id": "mseg_3b9d2e7a4c1f",
        "index": 0,
        "status": "ready",
        "duration_seconds": 120,
        "audio_url": "no scheme",
        "ready_at": "2026-06-28T10:30:03Z",
        "promoted": False,
    }
    assert not segment.is_valid(bad)


def test_the_client_checks_every_answer(client: Any) -> None:
    """The fixture client runs the checker on each response it receives."""
    before = client.checked
    session = start(client)
    client.get(session_path(session["session_id"]), headers=key(ALICE))
    client.get(session_path(NEVER_EXISTED))
    assert client.checked == before + 3
