"""Valid requests with bytes flipped, cut, repeated or inserted: the answer is still enveloped, in time.

The corpus names the hostile inputs someone thought of; this property mangles
the bytes of well-formed requests (Start with a body, Get, End, Promote) at
random places and sends them to a real focus-mock. Whatever arrives must be
an HTTP answer in ``application/json`` with ``X-Request-ID``, every error in the
D10 envelope, within the deadline; a connection may also be closed without an
answer (a cut request can leave nothing to answer). The mock must log no
traceback and answer no 5xx throughout.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from live_mock import LiveMock

from mockserver.spec import Spec

from .checks import envelope
from .corpus import HOST, JSON_LINE, KEY_LINE, SESSIONS, VALID, World
from .wire import NoAnswerInTime, exchange

TEMPLATES = [
    b"POST "
    + SESSIONS.encode()
    + b" HTTP/1.1\r\n"
    + HOST
    + KEY_LINE
    + JSON_LINE
    + b"Content-Length: %d\r\n\r\n" % len(VALID)
    + VALID,
    b"GET " + SESSIONS.encode() + b"/{session} HTTP/1.1\r\n" + HOST + KEY_LINE + b"\r\n",
    b"POST "
    + SESSIONS.encode()
    + b"/{session}/end HTTP/1.1\r\n"
    + HOST
    + KEY_LINE
    + b"Content-Length: 0\r\n\r\n",
    b"POST "
    + SESSIONS.encode()
    + b"/{session}/segments/{segment}/promote HTTP/1.1\r\n"
    + HOST
    + KEY_LINE
    + b"\r\n",
]


@st.composite
def mangled(draw: st.DrawFn) -> tuple[int, bytes]:
    """A template and a few edits to its bytes: flip, delete, duplicate or insert at random places."""
    template = draw(st.integers(0, len(TEMPLATES) - 1), label="template")
    data = bytearray(TEMPLATES[template])
    for _ in range(draw(st.integers(1, 4), label="edits")):
        at = draw(st.integers(0, len(data) - 1))
        edit = draw(st.sampled_from(["flip", "delete", "duplicate", "insert"]))
        if edit == "flip":
            data[at] = draw(st.integers(0, 255))
        elif edit == "delete":
            del data[at : at + draw(st.integers(1, 8))]
        elif edit == "duplicate":
            data[at:at] = data[at : at + draw(st.integers(1, 16))]
        else:
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        if not data:
            data = bytearray(b"\r\n")
    return template, bytes(data)


@settings(max_examples=150, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(case=mangled())
def test_mangled_requests_get_an_enveloped_answer_or_a_close(
    case: tuple[int, bytes], live: tuple[LiveMock, World], spec: Spec
) -> None:
    mock, world = live
    _, request = case
    try:
        head = request.startswith(b"HEAD ")
        answers = exchange(mock.port, world.fill_bytes(request), head=head, half_close=True, timeout=10)
    except NoAnswerInTime:
        pytest.fail(f"no answer and no close within the deadline for {request!r}")
    for answer in answers:
        assert answer.status < 500, (request, answer)
        assert answer.media_type == "application/json", (request, answer)
        request_id = answer.headers.get("x-request-id")
        assert request_id and request_id.startswith("req_"), (request, answer)
        if answer.status >= 400 and answer.body:
            envelope(answer.json(), answer.status, request_id, spec)
    assert "Traceback" not in mock.log(), (request, mock.log()[-3000:])
