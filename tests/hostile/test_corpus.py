"""Every corpus row, in process and on the wire: the right status and code, enveloped, JSON, in time.

In process, the spec-checking client also holds each answer to the operation's
documented responses. On the wire, each answer must be the D10 envelope (or a
JSON success) with ``X-Request-ID``, and the mock must have logged no traceback
and journaled no 5xx by the time the row is done.
"""

from __future__ import annotations

from typing import Any

import pytest
from live_mock import LiveMock

from mockserver.spec import Spec

from .checks import bounded, envelope, judge
from .conftest import CorpusClient
from .corpus import ROWS, SESSIONS, VALID, Row, Where, World, rows
from .wire import Answer, exchange


def test_every_row_has_a_unique_id_and_an_expected_answer() -> None:
    ids = [row.id for row in ROWS]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    assert all(row.expect or row.half_close for row in ROWS)


def _header_bytes(headers: tuple[tuple[str, str | bytes], ...]) -> list[tuple[bytes, bytes]]:
    return [(name.encode(), value if isinstance(value, bytes) else value.encode()) for name, value in headers]


@pytest.mark.parametrize("row", rows(Where.IN_PROCESS), ids=lambda row: row.id)
def test_in_process(row: Row, in_process: tuple[CorpusClient, World], spec: Spec) -> None:
    client, world = in_process
    response = client.request(
        row.method, world.fill(row.target), headers=_header_bytes(row.headers), content=row.body
    )
    media_type = response.headers.get("content-type", "").split(";")[0]
    body = None if row.method == "HEAD" else response.json()
    judge(row, response.status_code, media_type, response.headers.get("x-request-id"), body, spec)
    bounded(row, len(response.content), len(row.target) + len(row.body or b""))


def render(row: Row, world: World) -> bytes:
    """The bytes a client would send for ``row``: Host and ``Connection: close`` added, framing computed."""
    if row.raw is not None:
        return world.fill_bytes(row.raw)
    lines = [
        f"{row.method} {world.fill(row.target)} HTTP/1.1".encode(),
        b"Host: 127.0.0.1",
        b"Connection: close",
    ]
    headers = _header_bytes(row.headers)
    lines += [name + b": " + value for name, value in headers]
    framed = {name.lower() for name, _ in headers} & {b"content-length", b"transfer-encoding"}
    if row.body is not None and not framed:
        lines.append(b"Content-Length: " + str(len(row.body)).encode())
    return b"\r\n".join(lines) + b"\r\n\r\n" + (row.body or b"")


def _json(answer: Answer) -> Any:
    return answer.json() if answer.body else None


@pytest.mark.parametrize("row", rows(Where.WIRE), ids=lambda row: row.id)
def test_on_the_wire(row: Row, live: tuple[LiveMock, World], spec: Spec) -> None:
    mock, world = live
    request = render(row, world)
    answers = exchange(mock.port, request, head=row.method == "HEAD", half_close=row.half_close)
    bounded(row, sum(len(a.body) for a in answers), len(request))
    if not row.expect:
        assert answers == [], f"{row.id}: the client had left, yet it was answered"
        _wait_for_journal_entry(mock, row.id)
    else:
        assert answers, f"{row.id}: the connection closed without an answer"
        for answer in answers:
            assert answer.media_type == "application/json", answer
            if answer.status >= 400 and answer.body:
                envelope(answer.json(), answer.status, answer.headers.get("x-request-id"), spec)
        first = answers[0]
        judge(row, first.status, first.media_type, first.headers.get("x-request-id"), _json(first), spec)
    _assert_no_server_fault(mock, row)


def _assert_no_server_fault(mock: LiveMock, row: Row) -> None:
    with mock.client() as client:
        faults = client.get("/__mock/journal", params={"status": "5xx"}).json()
    assert faults["matched"] == 0, f"{row.id}: the mock answered 5xx: {faults['entries']}"
    log = mock.log()
    assert "Traceback" not in log, f"{row.id}: the mock logged a traceback:\n{log[-3000:]}"


def _wait_for_journal_entry(mock: LiveMock, row_id: str) -> dict[str, Any]:
    """The journal entry of a request the mock could not answer, once the mock is done with it."""
    with mock.client() as client:
        for _ in range(500):  # each turn is one request to the mock: readiness, not time
            entries = client.get("/__mock/journal").json()["entries"]
            found = [entry for entry in entries if entry["query"] == f"row={row_id}"]
            if found:
                assert found[0]["status"] is None, found[0]
                return found[0]
    raise AssertionError(f"{row_id}: the mock never finished the request")


def test_a_request_that_cannot_be_parsed_gets_an_enveloped_400_with_a_fresh_trace_id(
    live: tuple[LiveMock, World], spec: Spec
) -> None:
    """Two unparseable requests: two different trace ids, each echoed in its body."""
    mock, _ = live
    first, second = (exchange(mock.port, b"\x00 nonsense\r\n\r\n")[0] for _ in range(2))
    assert first.status == second.status == 400
    for answer in (first, second):
        envelope(answer.json(), 400, answer.headers["x-request-id"], spec)
    assert first.headers["x-request-id"] != second.headers["x-request-id"]


def test_the_access_log_keeps_one_line_per_request_whatever_the_path(live: tuple[LiveMock, World]) -> None:
    """A decoded CR/LF or space in the path must not end the log line and forge another."""
    mock, _ = live
    forged = "2026-01-01 focus_mock.access GET /forged 200 0.1ms req_forged"
    path = "/v1/music/org_abc123/focus/sessions/x%0D%0A" + forged.replace(" ", "%20")
    with mock.client() as client:
        trace_id = client.get(path, headers={"X-API-Key": "alice-dev-key"}).headers["x-request-id"]
        for _ in range(500):  # the line may be written just after the answer: wait for it, not for time
            lines = [line for line in mock.log().splitlines() if trace_id in line or "req_forged" in line]
            if lines:
                break
            client.get("/__mock/clock")
    assert len(lines) == 1, lines
    assert "/x%0D%0A2026-01-01%20focus_mock.access%20GET%20/forged" in lines[0]


def test_an_encoded_slash_in_an_id_reaches_no_other_operation(in_process: tuple[CorpusClient, World]) -> None:
    """POST {id}%2Fend names a session called "{id}/end": it must not end session {id}."""
    client, _ = in_process
    alice = {"X-API-Key": "alice-dev-key"}
    started = client.post(SESSIONS, content=VALID, headers={**alice, "Content-Type": "application/json"})
    session_id = started.json()["session_id"]
    assert client.post(f"{SESSIONS}/{session_id}%2Fend", headers=alice).status_code == 405
    assert client.get(f"{SESSIONS}/{session_id}", headers=alice).json()["status"] == "active"
