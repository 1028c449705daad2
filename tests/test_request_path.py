"""The shortcuts of the request path answer exactly as the Starlette parts they stand in for.

An API request skips Starlette's router (``OperationMatcher`` + ``ApiDispatch``),
its ``JSONResponse`` (``send_json``) and, without an ``Origin``, the work of
``CORSMiddleware`` (``Cors``); its body is checked by ``jsonschema-rs`` first
(``RequestValidator``). Each is compared here with what it replaces, on
random input.
"""

from __future__ import annotations

import asyncio
from typing import Any

import jsonschema_rs
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import JSONResponse
from starlette.routing import Match, Route
from starlette.types import Message, Receive, Scope, Send

from mockserver import errors
from mockserver.cors import LOCALHOST_ORIGINS, Cors
from mockserver.forcing import PATH_KEPT_LENGTH, OperationMatcher
from mockserver.gateway import _loggable, loggable
from mockserver.handlers import send_json
from mockserver.redaction import MEMO_SIZE, MEMO_TEXT_LENGTH, Redactor
from mockserver.spec import Spec
from mockserver.validation import RequestValidator, check

SPEC = Spec.load()
METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "get"]

segments = st.one_of(
    st.sampled_from(["v1", "music", "org_abc123", "focus", "sessions", "end", "segments", "promote"]),
    st.sampled_from(["mfocus_0123456789ab", "mseg_0123456789ab", "", "%2F", "a?b", "é", " ", "..", "x%0A"]),
    st.text(max_size=6),
)


@st.composite
def paths(draw: st.DrawFn) -> str:
    """Mostly the spec's own templates with random values, sometimes bent out of shape."""
    template = draw(st.sampled_from([op.path for op in SPEC.operations.values()]))
    parts = [draw(segments) if p.startswith("{") else p for p in template.split("/")]
    if draw(st.booleans()):
        parts = draw(st.lists(segments, max_size=9))
    path = "/".join(parts)
    return draw(st.sampled_from([path, path + "/", "/" + path, path.lstrip("/")]))


@given(st.sampled_from(METHODS), paths(), st.sampled_from(["", "/v1", "/mock"]))
@example("HEAD", "/v1/music/org_abc123/focus/sessions/mfocus_0123456789ab", "")
@example("GET", "/v1/music/org_abc123/focus/sessions/mfocus_0123456789ab/end", "")
@example("POST", "/mock/v1/music/org_abc123/focus/sessions", "/mock")
@settings(max_examples=500)
def test_the_operation_matcher_agrees_with_the_routes_it_stands_in_for(
    method: str, path: str, root_path: str
) -> None:
    scope = {"type": "http", "method": method, "path": path, "root_path": root_path}
    expected = None
    for op in SPEC.operations.values():
        match, child = Route(op.path, lambda request: None, methods=[op.method]).matches(scope)
        if match is Match.FULL:
            expected = op.operation_id, child["path_params"]
            break
    found = OperationMatcher(SPEC.operations.values()).match(scope)
    assert (None if found is None else (found[0].operation_id, found[1])) == expected


def test_a_path_matched_again_gives_the_same_answer_in_a_fresh_dict() -> None:
    matcher = OperationMatcher(SPEC.operations.values())
    scope = {"type": "http", "method": "POST", "path": "/v1/music/o/focus/sessions/s/end", "root_path": ""}
    first = matcher.match(scope)
    assert first is not None
    first[1]["session_id"] = "changed by a caller"
    again = matcher.match(scope)
    assert again is not None
    assert (again[0].operation_id, again[1]) == (
        "endFocusSession",
        {"organization_id": "o", "session_id": "s"},
    )
    assert matcher.match({**scope, "method": "PUT"}) is None
    assert matcher.match({**scope, "method": "PUT"}) is None


def test_long_paths_are_matched_but_not_remembered() -> None:
    """A client sending ever new long paths must not fill the mock's memory with them."""
    matcher = OperationMatcher(SPEC.operations.values())
    long_id = "s" * (PATH_KEPT_LENGTH + 1)
    for n in range(3):
        scope = {"type": "http", "method": "GET", "path": f"/v1/music/o/focus/sessions/{long_id}{n}"}
        found = matcher.match(scope)
        assert found is not None and found[1]["session_id"] == f"{long_id}{n}"
    assert matcher._seen == {}


# -- what the log and the journal show: remembered, and the same as worked out afresh ----

KNOWN_KEYS = ("alice-dev-key", "bob-dev-key", "short")
log_texts = st.lists(
    st.sampled_from(
        ["/v1/", "alice-dev-key", "bob-dev-key", "my-own-secret-key", "%0A", " ", "é", "/end", "short"]
    ),
    max_size=6,
).map("".join)


@given(log_texts, st.sampled_from([(), ("my-own-secret-key",), ("alice-dev-key",), ("tiny",)]))
@settings(max_examples=300)
def test_a_remembered_redaction_is_what_redacting_afresh_gives(text: str, offered: tuple[str, ...]) -> None:
    redactor = Redactor(KNOWN_KEYS)
    first = redactor.text(text, offered)
    assert first == Redactor(KNOWN_KEYS)._text(text, offered)
    assert redactor.text(text, offered) == first
    assert "alice-dev-key" not in first and "bob-dev-key" not in first
    if offered == ("my-own-secret-key",):
        assert "my-own-secret-key" not in first


def test_the_redaction_memory_keeps_short_texts_only_and_stays_bounded() -> None:
    redactor = Redactor(KNOWN_KEYS)
    assert (
        redactor.text("/x/alice-dev-key" + "y" * MEMO_TEXT_LENGTH) == "/x/REDACTED" + "y" * MEMO_TEXT_LENGTH
    )
    assert redactor._memo == {}
    for n in range(MEMO_SIZE + 10):
        redactor.text(f"/v1/{n}")
    assert 0 < len(redactor._memo) <= MEMO_SIZE


@given(st.text(max_size=40) | st.text(min_size=250, max_size=300))
def test_a_remembered_loggable_path_is_what_quoting_afresh_gives(path: str) -> None:
    assert loggable(path) == loggable(path) == _loggable(path)
    assert not any(c in loggable(path) for c in " \r\n")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text() | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
# What the API answers: the spec types its sessions and segments without floats.
answer_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


async def messages(app: Any) -> list[Message]:
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "GET", "path": "/", "headers": []}
    await app(scope, receive, send)
    return sent


@given(answer_values, st.sampled_from([200, 201, 422]), st.sampled_from([{}, {"Location": "/v1/x"}]))
@example({"big": 2**64, "text": "\u2028 é \U0001f3b5"}, 200, {})
def test_send_json_sends_what_json_response_sends(content: Any, status: int, headers: dict[str, str]) -> None:
    raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]

    async def ours(scope: Scope, receive: Receive, send: Send) -> None:
        await send_json(send, content, status, raw)

    expected = asyncio.run(messages(JSONResponse(content, status_code=status, headers=headers)))
    assert asyncio.run(messages(ours)) == expected


@pytest.mark.parametrize(
    "answer_headers",
    [
        [],
        [(b"vary", b"Accept")],
        [(b"vary", b"Accept"), (b"content-type", b"text/plain"), (b"vary", b"Cookie")],
    ],
)
@pytest.mark.parametrize(
    "request_headers", [[], [(b"x-api-key", b"k")], [(b"origin", b"http://localhost:5173")]]
)
def test_cors_answers_as_starlettes_cors_middleware(
    answer_headers: list[tuple[bytes, bytes]], request_headers: list[tuple[bytes, bytes]]
) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": list(answer_headers)})
        await send({"type": "http.response.body", "body": b"{}"})

    options: dict[str, Any] = {"allow_origin_regex": LOCALHOST_ORIGINS, "allow_methods": ["GET"]}

    async def run(middleware: Any) -> list[Message]:
        sent: list[Message] = []

        async def receive() -> Message:
            return {"type": "http.request", "body": b""}

        async def send(message: Message) -> None:
            sent.append(message)

        scope = {"type": "http", "method": "GET", "path": "/", "headers": list(request_headers)}
        await middleware(scope, receive, send)
        return sent

    assert asyncio.run(run(Cors(app, **options))) == asyncio.run(run(CORSMiddleware(app, **options)))


# -- the start body: compiled check first, Python errors when it fails -------------------

START_POINTER = SPEC.request_body_pointer("startFocusSession")
identifiers = st.from_regex(r"\A[a-z][a-z0-9_]{0,31}\Z") | st.text(max_size=34)
numbers = st.integers(-5, 500) | st.sampled_from([480.0, 1.5, 10**30, True, "60"])
bodies = st.one_of(
    st.fixed_dictionaries(
        {"goal": identifiers, "target_minutes": numbers},
        optional={"engine": identifiers, "extra": json_values},
    ),
    st.dictionaries(st.sampled_from(["goal", "engine", "target_minutes", "x"]), identifiers | numbers),
    json_values,
)


def python_problems(body: Any) -> list[dict[str, str]] | None:
    try:
        check(SPEC.validator(START_POINTER), body)
    except errors.ApiError as error:
        return error.details["errors"]
    return None


@given(bodies)
@settings(max_examples=400)
def test_the_start_body_gets_the_verdict_and_the_details_of_the_python_validator(body: Any) -> None:
    validator = RequestValidator(SPEC, START_POINTER)
    assert validator._compiled is not None, "the start schema should be checked at compiled speed"
    try:
        validator.check(body)
        found = None
    except errors.ApiError as error:
        found = error.details["errors"]
    assert found == python_problems(body)


@given(bodies)
@example({"goal": "focus\n", "target_minutes": 60})  # Python's own $ would let this through
@example({"goal": "focus", "engine": "a\u0663", "target_minutes": 60})  # an Arabic-Indic digit
@example({"goal": "FOCUS", "target_minutes": 60.0})
@settings(max_examples=400)
def test_the_compiled_check_alone_agrees_with_the_python_validator(body: Any) -> None:
    """The fast verdict is trusted when it says valid: it must never pass what Python refuses."""
    compiled = RequestValidator(SPEC, START_POINTER)._compiled
    assert compiled is not None
    try:
        verdict = compiled(body)
    except (ValueError, OverflowError):
        return  # unreadable for the compiled check: the Python validator decides
    assert verdict == (python_problems(body) is None)


def test_a_pattern_that_is_not_plain_is_read_by_the_mocks_own_translation() -> None:
    """A pattern with escapes is checked as the mock reads it: \\d is 0-9 and $ the very end."""
    document = {
        "openapi": "3.1.0",
        "paths": {},
        "components": {"schemas": {"Code": {"type": "string", "pattern": "^\\d+$"}}},
    }
    compiled = RequestValidator(Spec(document), "/components/schemas/Code")._compiled
    assert compiled is not None
    assert compiled("0123")
    assert not compiled("\u0663")
    assert not compiled("12\n")


def test_a_schema_with_a_keyword_the_validators_may_read_differently_stays_in_python() -> None:
    document = {
        "openapi": "3.1.0",
        "paths": {},
        "components": {"schemas": {"When": {"type": "string", "format": "date-time"}}},
    }
    assert RequestValidator(Spec(document), "/components/schemas/When")._compiled is None
    assert jsonschema_rs.__name__  # the compiled validator is there; only the keyword keeps it out
