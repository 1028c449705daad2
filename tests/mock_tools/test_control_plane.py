"""The /__mock control plane: state, clock, jump, quotas, its own OpenAPI document, who may use it."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
from openapi_spec_validator import validate
from starlette.types import Message

from mockserver.clock import VirtualClock
from mockserver.control import is_loopback, load_document
from mockserver.handlers import AUDIO_PATH

from .conftest import ALICE, BOB, CAROL, SESSIONS, START, MakeClient, start_session

GLOBEX = "/v1/music/org_xyz789/focus/sessions"


def _errors(answer: httpx.Response) -> dict[str, str]:
    assert answer.status_code == 422, answer.text
    body = answer.json()
    assert body["success"] is False and body["error"]["code"] == "VALIDATION_ERROR"
    return {e["field"]: e["message"] for e in body["error"]["details"]["errors"]}


# -- the document -------------------------------------------------------------


def test_control_document_is_valid_openapi_and_served(client: httpx.Client) -> None:
    document = client.get("/__mock/openapi.json").json()
    validate(document)
    assert document == load_document().document


def test_every_control_route_is_documented_and_under_the_prefix(client: httpx.Client) -> None:
    documented = {(op.method, op.path) for op in load_document().operations.values()}
    routed = {
        (method, route.path)
        for route in client.app.routes  # type: ignore[attr-defined]
        if route.path.startswith("/__mock")
        for method in route.methods - {"HEAD"}
    }
    assert routed == documented
    assert all(path.startswith("/__mock/") for _, path in documented)


def test_control_paths_never_share_a_path_with_the_public_api(client: httpx.Client) -> None:
    api = client.app.state.spec  # type: ignore[attr-defined]
    assert not any(path.startswith("/__mock") for path in api.document["paths"])


# -- existing endpoints keep their shapes ---------------------------------------


def test_clock_read_and_advance_keep_their_shapes(client: httpx.Client) -> None:
    assert client.get("/__mock/clock").json() == {
        "kind": "virtual",
        "now": "2026-06-28T09:30:00Z",
        "epoch_seconds": START,
    }
    moved = client.post("/__mock/clock/advance", json={"seconds": 90.5}).json()
    assert moved == {"kind": "virtual", "now": "2026-06-28T09:31:30.500Z", "epoch_seconds": START + 90.5}


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"seconds": -1},
        {"seconds": "10"},
        {"seconds": True},
        {"seconds": 1e10},
        {"seconds": 1, "x": 2},
        [],
    ],
)
def test_bad_advance_is_a_422_naming_the_field(client: httpx.Client, body: object) -> None:
    errors = _errors(client.post("/__mock/clock/advance", json=body))
    assert set(errors) <= {"seconds", "x", "body"} and errors


def test_advance_without_a_json_body_is_a_422(client: httpx.Client) -> None:
    assert "Content-Type" in _errors(client.post("/__mock/clock/advance", content=b"seconds=1"))
    assert "body" in _errors(
        client.post("/__mock/clock/advance", content=b"{", headers={"Content-Type": "application/json"})
    )


def test_advancing_a_real_clock_says_how_to_get_a_virtual_one(make_client: MakeClient) -> None:
    from mockserver.clock import RealClock

    client = make_client(clock=RealClock())
    assert "--clock virtual" in _errors(client.post("/__mock/clock/advance", json={"seconds": 1}))["clock"]


def test_reset_forgets_sessions_faults_and_quota_overrides(client: httpx.Client) -> None:
    session = start_session(client)
    client.post("/__mock/faults", json={"operation": "getFocusSession", "status": 500})
    client.put("/__mock/quotas/org_xyz789", json={"segment_quota": 3})
    assert client.post("/__mock/reset").json() == {"reset": True}
    assert client.get("/__mock/sessions").json() == {"sessions": []}
    assert client.get("/__mock/faults").json() == {"faults": []}
    assert client.get(f"{SESSIONS}/{session['session_id']}", headers=ALICE).status_code == 404
    globex = next(
        o
        for o in client.get("/__mock/quotas").json()["organizations"]
        if o["organization_id"] == "org_xyz789"
    )
    assert globex["segment_quota"] == 20


# -- sessions -----------------------------------------------------------------


def test_sessions_lists_every_owner_with_derived_state(client: httpx.Client, clock: VirtualClock) -> None:
    alice = start_session(client, ALICE)
    bob = start_session(client, BOB, minutes=4)
    carol = client.post(GLOBEX, json={"goal": "focus", "target_minutes": 10}, headers=CAROL).json()
    clock.advance(13)
    client.post(f"{SESSIONS}/{bob['session_id']}/end", headers=BOB)
    listed = {s["session_id"]: s for s in client.get("/__mock/sessions").json()["sessions"]}
    assert list(listed) == [alice["session_id"], bob["session_id"], carol["session_id"]]
    assert listed[alice["session_id"]] | {"started_at": None} == {
        "session_id": alice["session_id"],
        "organization_id": "org_abc123",
        "owner_id": "usr_alice",
        "goal": "focus",
        "engine": "studio",
        "target_minutes": 60,
        "total_segments": 30,
        "status": "active",
        "ready_count": 2,
        "percent_ready": 6,
        "more_pending": True,
        "next_ready_at": "2026-06-28T09:30:23Z",
        "started_at": None,
        "ended_at": None,
        "promoted": [],
    }
    assert listed[bob["session_id"]]["status"] == "ended"
    assert listed[bob["session_id"]]["ended_at"] == "2026-06-28T09:30:13Z"
    assert listed[carol["session_id"]]["owner_id"] == "usr_carol"


def test_sessions_filter_by_owner_and_organization(client: httpx.Client) -> None:
    start_session(client, ALICE)
    bob = start_session(client, BOB)
    only_bob = client.get("/__mock/sessions", params={"owner": "usr_bob"}).json()["sessions"]
    assert [s["session_id"] for s in only_bob] == [bob["session_id"]]
    assert client.get("/__mock/sessions", params={"organization": "org_xyz789"}).json() == {"sessions": []}
    assert "colour" in _errors(client.get("/__mock/sessions", params={"colour": "red"}))


# -- jump -----------------------------------------------------------------------


def test_jump_brings_a_session_to_a_ready_count_by_moving_its_start(client: httpx.Client) -> None:
    session = start_session(client)
    url = f"/__mock/sessions/{session['session_id']}/jump"
    jumped = client.post(url, json={"ready_count": 24}).json()
    assert (jumped["ready_count"], jumped["percent_ready"], jumped["status"]) == (24, 80, "active")
    assert (jumped["requested_ready_count"], jumped["capped_by_quota"]) == (24, None)
    assert jumped["started_at"] == "2026-06-28T09:26:07Z"  # 3 s + 23 x 10 s before now
    seen = client.get(f"{SESSIONS}/{session['session_id']}", headers=ALICE).json()
    assert seen["ready_count"] == 24 and len(seen["segments"]) == 24
    assert seen["next_ready_at"] == "2026-06-28T09:30:10Z"


def test_jump_to_the_end_completes_the_session(client: httpx.Client) -> None:
    session = start_session(client, minutes=10)
    done = client.post(f"/__mock/sessions/{session['session_id']}/jump", json={"ready_count": 5}).json()
    assert (done["ready_count"], done["more_pending"], done["next_ready_at"]) == (5, False, None)


def test_jump_refusals_say_why(client: httpx.Client, clock: VirtualClock) -> None:
    session = start_session(client, minutes=10)
    url = f"/__mock/sessions/{session['session_id']}/jump"
    assert "at most total_segments (5)" in _errors(client.post(url, json={"ready_count": 6}))["ready_count"]
    clock.advance(13)
    assert "never decreases" in _errors(client.post(url, json={"ready_count": 1}))["ready_count"]
    assert client.post(url, json={"ready_count": 2}).json()["ready_count"] == 2  # same count: no change
    client.post(f"{SESSIONS}/{session['session_id']}/end", headers=ALICE)
    assert "ended" in _errors(client.post(url, json={"ready_count": 4}))["ready_count"]
    assert "ready_count" in _errors(client.post(url, json={"ready_count": "4"}))


def test_an_end_arriving_while_a_jump_body_is_on_its_way_wins(
    client: httpx.Client, clock: VirtualClock
) -> None:
    """D9: the jump is checked against the session as it is when its body has arrived. It used
    to check the session read before the body, and moved the start of a session ended meanwhile."""
    session = start_session(client, minutes=10)
    clock.advance(13)
    app = client.app  # type: ignore[attr-defined]
    session_path = f"{SESSIONS}/{session['session_id']}"

    def scope(method: str, path: str, headers: list[tuple[bytes, bytes]]) -> dict[str, Any]:
        return {
            "type": "http", "http_version": "1.1", "method": method, "scheme": "http", "path": path,
            "raw_path": path.encode(), "query_string": b"", "root_path": "", "headers": headers,
            "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 4010),
        }  # fmt: skip

    async def call(method: str, path: str, headers: list[tuple[bytes, bytes]], body: bytes = b"",
                   arrived: asyncio.Event | None = None) -> tuple[int, Any]:  # fmt: skip
        sent: list[Message] = []

        async def receive() -> Message:
            if arrived is not None:
                await arrived.wait()
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: Message) -> None:
            sent.append(message)

        await app(scope(method, path, headers), receive, send)
        return sent[0]["status"], json.loads(sent[1]["body"])

    async def race() -> tuple[tuple[int, Any], tuple[int, Any]]:
        arrived = asyncio.Event()
        json_headers = [(b"content-type", b"application/json")]
        jump = asyncio.create_task(
            call(
                "POST",
                f"/__mock/sessions/{session['session_id']}/jump",
                json_headers,
                b'{"ready_count": 4}',
                arrived,
            )
        )
        for _ in range(10):
            await asyncio.sleep(0)  # the jump is now waiting for its body
        ended = await call("POST", f"{session_path}/end", [(b"x-api-key", b"alice-dev-key")])
        arrived.set()
        return ended, await jump

    (end_status, ended), (jump_status, refusal) = asyncio.run(race())
    assert (end_status, ended["status"], ended["ready_count"]) == (200, "ended", 2)
    assert jump_status == 422
    assert "the session is ended" in refusal["error"]["details"]["errors"][0]["message"]
    assert client.get(session_path, headers=ALICE).json() == ended


def test_jump_on_an_unknown_session_is_the_documented_404(client: httpx.Client) -> None:
    answer = client.post("/__mock/sessions/mfocus_000000000000/jump", json={"ready_count": 1})
    assert answer.status_code == 404
    assert answer.json()["error"]["details"] == {"session_id": "mfocus_000000000000"}


def test_jump_counts_against_the_quota_and_says_when_the_quota_cut_it_short(client: httpx.Client) -> None:
    carol = client.post(GLOBEX, json={"goal": "focus", "target_minutes": 60}, headers=CAROL).json()
    jumped = client.post(f"/__mock/sessions/{carol['session_id']}/jump", json={"ready_count": 25}).json()
    assert (jumped["status"], jumped["ready_count"]) == ("stopped_cap", 20)  # I8: Globex's quota is 20
    assert jumped["requested_ready_count"] == 25
    note = jumped["capped_by_quota"]
    # segment 20 (index 19) of a start moved 3 s + 24 x 10 s back was ready 50 s before now
    assert (note["ready_count"], note["stopped_at"]) == (20, "2026-06-28T09:29:10Z")
    assert note["message"].startswith("only 20 of the 25 segments asked for: org_xyz789's segment quota")


def test_a_jump_that_uses_the_quota_up_exactly_says_the_session_stopped(client: httpx.Client) -> None:
    carol = client.post(GLOBEX, json={"goal": "focus", "target_minutes": 60}, headers=CAROL).json()
    jumped = client.post(f"/__mock/sessions/{carol['session_id']}/jump", json={"ready_count": 20}).json()
    assert (jumped["status"], jumped["ready_count"], jumped["requested_ready_count"]) == (
        "stopped_cap",
        20,
        20,
    )
    note = jumped["capped_by_quota"]
    assert (note["ready_count"], note["stopped_at"]) == (20, "2026-06-28T09:30:00Z")
    assert "with the 20 segments asked for and makes no more" in note["message"]


# -- quotas ---------------------------------------------------------------------


def test_quotas_show_use_and_can_be_lowered_to_cap_running_sessions(client: httpx.Client) -> None:
    session = start_session(client)
    client.post(f"/__mock/sessions/{session['session_id']}/jump", json={"ready_count": 4})
    acme = client.get("/__mock/quotas").json()["organizations"][0]
    assert acme | {"name": None} == {
        "organization_id": "org_abc123",
        "name": None,
        "segment_quota": 10000,
        "configured_quota": 10000,
        "used": 4,
        "remaining": 9996,
        "exhausted": False,
        "exhausted_at": None,
    }
    lowered = client.put("/__mock/quotas/org_abc123", json={"segment_quota": 4}).json()
    assert (lowered["remaining"], lowered["exhausted"], lowered["exhausted_at"]) == (
        0,
        True,
        "2026-06-28T09:30:00Z",
    )
    seen = client.get(f"{SESSIONS}/{session['session_id']}", headers=ALICE).json()
    assert (seen["status"], seen["ready_count"]) == ("stopped_cap", 4)


def test_quota_errors(client: httpx.Client) -> None:
    answer = client.put("/__mock/quotas/org_nope", json={"segment_quota": 1})
    assert answer.status_code == 404 and "org_abc123" in answer.json()["error"]["system_message"]
    assert "segment_quota" in _errors(client.put("/__mock/quotas/org_abc123", json={"segment_quota": -1}))


# -- who may use it -------------------------------------------------------------


@pytest.mark.parametrize(
    ("client_address", "loopback"),
    [
        (("127.0.0.1", 1), True),
        (("127.8.9.10", 1), True),
        (("::1", 1), True),
        (("::ffff:127.0.0.1", 1), True),
        (("10.0.0.5", 1), False),
        (("192.168.1.20", 1), False),
        (("2001:db8::1", 1), False),
        (None, True),
    ],
)
def test_loopback_detection(client_address: tuple[str, int] | None, loopback: bool) -> None:
    assert is_loopback(client_address) is loopback


def test_control_plane_refuses_other_machines(make_client: MakeClient) -> None:
    remote = make_client(client_address=("10.0.0.5", 40000))
    answer = remote.post("/__mock/reset")
    assert answer.status_code == 403
    error = answer.json()["error"]
    assert error["code"] == "CONTROL_PLANE_LOOPBACK_ONLY"
    assert "--control-from-anywhere" in error["system_message"]
    assert error["trace_id"] == answer.headers["X-Request-ID"]


def test_control_from_anywhere_opens_it(make_client: MakeClient) -> None:
    remote = make_client(client_address=("10.0.0.5", 40000), control_from_anywhere=True)
    assert remote.get("/__mock/clock").status_code == 200


def test_no_control_removes_the_control_plane_but_not_the_audio(make_client: MakeClient) -> None:
    client = make_client(control=False)
    session = start_session(client)
    for path in ("/__mock/clock", "/__mock/openapi.json", "/__mock/journal"):
        for headers in ({}, ALICE, {"X-API-Key": "not-a-key"}):
            # Regression: without a key this was a 401, as if a key could open the control plane.
            answer = client.get(path, headers=headers)
            assert answer.status_code == 404
            error = answer.json()["error"]
            assert "--no-control" in error["system_message"]
            assert error["trace_id"] == answer.headers["X-Request-ID"]
    assert client.post("/__mock/reset").status_code == 404
    client.app.state.service.clock.advance(3)  # type: ignore[attr-defined]
    segment = client.get(f"{SESSIONS}/{session['session_id']}", headers=ALICE).json()["segments"][0]
    assert segment["audio_url"].startswith(f"http://127.0.0.1:4010{AUDIO_PATH}/")
    audio = client.get(segment["audio_url"])
    assert audio.status_code == 200 and audio.headers["content-type"] == "audio/wav"


def test_every_control_answer_matches_its_documented_schema(client: httpx.Client) -> None:
    """The control document is the contract of the control plane: hold each answer to it."""
    document = load_document()
    session = start_session(client)
    sid = session["session_id"]
    client.get(f"{SESSIONS}/{sid}", headers=ALICE)
    calls = [
        ("getControlDocument", "GET", "/__mock/openapi.json", None),
        ("readClock", "GET", "/__mock/clock", None),
        ("advanceClock", "POST", "/__mock/clock/advance", {"seconds": 20}),
        ("advanceClock", "POST", "/__mock/clock/advance", {"seconds": -1}),
        ("listSessions", "GET", "/__mock/sessions", None),
        ("jumpSession", "POST", f"/__mock/sessions/{sid}/jump", {"ready_count": 5}),
        ("jumpSession", "POST", "/__mock/sessions/mfocus_000000000000/jump", {"ready_count": 5}),
        ("listQuotas", "GET", "/__mock/quotas", None),
        ("setQuota", "PUT", "/__mock/quotas/org_abc123", {"segment_quota": 100}),
        ("setQuota", "PUT", "/__mock/quotas/org_none", {"segment_quota": 100}),
        (
            "addFault",
            "POST",
            "/__mock/faults",
            {"operation": "getFocusSession", "api_key": "bob-dev-key", "status": 500},
        ),
        ("addFault", "POST", "/__mock/faults", {"operation": "getFocusSession"}),
        ("listFaults", "GET", "/__mock/faults", None),
        ("removeFault", "DELETE", "/__mock/faults/fault_1", None),
        ("removeFault", "DELETE", "/__mock/faults/fault_1", None),
        ("clearFaults", "DELETE", "/__mock/faults", None),
        ("readJournal", "GET", "/__mock/journal", None),
        ("readJournal", "GET", "/__mock/journal?limit=0", None),
        ("clearJournal", "DELETE", "/__mock/journal", None),
        ("reset", "POST", "/__mock/reset", None),
    ]
    seen = set()
    for operation_id, method, path, body in calls:
        answer = client.request(method, path, json=body)
        pointer = document.response_pointer(operation_id, answer.status_code)
        assert pointer is not None, f"{operation_id} answered an undocumented {answer.status_code}"
        problems = [e.message for e in document.validator(pointer).iter_errors(answer.json())]
        assert problems == [], (operation_id, answer.status_code, problems)
        seen.add(operation_id)
    assert seen == set(document.operations)
