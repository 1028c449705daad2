"""What every forced answer must look like: a real documented error of its operation, marked forced."""

from __future__ import annotations

import httpx

from mockserver.spec import Spec

SPEC = Spec.load()

# One request per operation, with ids that exist in no world: a forced answer must not need them.
CALLS = {
    "startFocusSession": (
        "POST",
        "/v1/music/org_abc123/focus/sessions",
        {"goal": "focus", "target_minutes": 6},
    ),
    "getFocusSession": ("GET", "/v1/music/org_abc123/focus/sessions/mfocus_0123456789ab", None),
    "endFocusSession": ("POST", "/v1/music/org_abc123/focus/sessions/mfocus_0123456789ab/end", None),
    "promoteFocusSegment": (
        "POST",
        "/v1/music/org_abc123/focus/sessions/mfocus_0123456789ab/segments/mseg_0123456789ab/promote",
        None,
    ),
}


def error_statuses(operation_id: str) -> list[int]:
    return sorted(s for s in SPEC.operations[operation_id].statuses if s >= 400)


def call(client: httpx.Client, operation_id: str, headers: dict[str, str]) -> httpx.Response:
    method, path, body = CALLS[operation_id]
    return client.request(method, path, json=body, headers=headers)


def assert_documented_forced_error(answer: httpx.Response, operation_id: str, status: int, by: str) -> None:
    """Status, D10 body valid against the operation's documented schema, headers, forced marker."""
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/json"
    body = answer.json()
    pointer = SPEC.response_pointer(operation_id, status)
    assert pointer is not None
    problems = [e.message for e in SPEC.validator(pointer).iter_errors(body)]
    assert problems == []
    error = body["error"]
    assert error["trace_id"] == answer.headers["X-Request-ID"]
    assert error["details"]["forced"] is True
    assert error["details"]["forced_by"] == by
    if status == 429:
        assert answer.headers["Retry-After"].isdigit()
    if status == 405:
        # The path's methods, as the router's own 405 lists them (GET brings HEAD), and no
        # "use POST" to a POST: the message says the error was asked for.
        path = SPEC.operations[operation_id].path
        methods = {op.method for op in SPEC.operations.values() if op.path == path}
        assert answer.headers["Allow"] == ", ".join(
            sorted(methods | ({"HEAD"} if "GET" in methods else set()))
        )
        assert error["system_message"].startswith(f"405 asked for ({by}): ")
