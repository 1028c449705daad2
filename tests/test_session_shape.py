"""The session and segment objects and the sibling operations (D4, D11, D12, I1, I4, I5, I6, I14)."""

from __future__ import annotations

import math
import re

import pytest
from spec_client import WorldClient
from world import ALICE, START, due, end, get, key, promote, session_path, sessions_path, start

from mockserver.spec import Spec

SESSION_ID = re.compile(r"^mfocus_[0-9a-f]{12}$")
SEGMENT_ID = re.compile(r"^mseg_[0-9a-f]{12}$")


def test_d4_session_ids_are_mfocus_and_12_lowercase_hex_and_unique(client: WorldClient) -> None:
    ids = [start(client)["session_id"] for _ in range(50)]
    assert all(SESSION_ID.fullmatch(i) for i in ids)
    assert len(set(ids)) == len(ids)


def test_i1_start_answers_201_active_with_engine_studio_by_default(client: WorldClient) -> None:
    response = client.post(sessions_path(), json={"goal": "focus", "target_minutes": 60}, headers=key(ALICE))
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "active"
    assert body["engine"] == "studio"
    assert body["goal"] == "focus"
    assert body["ready_count"] == 0
    assert body["segments"] == []
    assert body["more_pending"] is True
    assert body["next_ready_at"] == due(START, 0)
    assert response.headers["location"] == session_path(body["session_id"])


def test_i1_the_location_of_a_started_session_reads_it(client: WorldClient) -> None:
    response = client.post(sessions_path(), json={"goal": "focus", "target_minutes": 60}, headers=key(ALICE))
    assert client.get(response.headers["location"], headers=key(ALICE)).json() == response.json()


def test_i1_i14_an_explicit_engine_and_other_lowercase_identifiers_are_kept(client: WorldClient) -> None:
    body = start(client, goal="deep_work", engine="lofi2", target_minutes=10)
    assert (body["goal"], body["engine"]) == ("deep_work", "lofi2")
    assert get(client, body["session_id"]).json()["engine"] == "lofi2"


@pytest.mark.parametrize("value", ["a", "x" * 32, "a_1", "z9_"])
def test_i14_goal_and_engine_accept_any_lowercase_identifier(client: WorldClient, value: str) -> None:
    body = start(client, goal=value, engine=value)
    assert body["goal"] == body["engine"] == value


@pytest.mark.parametrize("value", ["", "Focus", "1focus", "_focus", "x" * 33, "deep-work", "focus ", "fócus"])
@pytest.mark.parametrize("field", ["goal", "engine"])
def test_i14_goal_and_engine_refuse_anything_else(client: WorldClient, field: str, value: str) -> None:
    body = {"goal": "focus", "target_minutes": 60, field: value}
    response = client.post(sessions_path(), json=body, headers=key(ALICE))
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["error"]["details"]["errors"]] == [field]


@pytest.mark.parametrize("target", [1, 2, 3, 4, 59, 60, 61, 239, 479, 480])
def test_i5_total_segments_is_target_minutes_over_two_rounded_up(client: WorldClient, target: int) -> None:
    body = start(client, target_minutes=target)
    assert body["target_minutes"] == target
    assert body["total_segments"] == math.ceil(target / 2)


def test_i5_an_odd_target_gets_its_last_segment(client: WorldClient) -> None:
    body = start(client, target_minutes=3)  # 2 segments: due at +3 and +13
    client.clock.advance(13)
    now = get(client, body["session_id"]).json()
    assert now["ready_count"] == now["total_segments"] == 2
    assert now["more_pending"] is False


def test_i5_i11_a_whole_float_target_is_accepted_and_returned_as_an_integer(client: WorldClient) -> None:
    response = client.post(
        sessions_path(),
        content=b'{"goal": "focus", "target_minutes": 60.0}',
        headers={**key(ALICE), "content-type": "application/json"},
    )
    assert response.status_code == 201
    assert '"target_minutes":60,' in response.text
    assert type(response.json()["target_minutes"]) is int
    assert response.json()["total_segments"] == 30


def test_i6_segments_are_listed_in_index_order_with_their_documented_fields(client: WorldClient) -> None:
    session = start(client)
    client.clock.advance(3 + 10 * 6)  # seven segments ready
    body = get(client, session["session_id"]).json()

    segments = body["segments"]
    assert body["ready_count"] == len(segments) == 7
    assert [s["index"] for s in segments] == list(range(7))
    assert all(SEGMENT_ID.fullmatch(s["segment_id"]) for s in segments)
    assert len({s["segment_id"] for s in segments}) == 7
    assert [s["ready_at"] for s in segments] == [due(START, k) for k in range(7)]
    assert {(s["status"], s["duration_seconds"], s["promoted"]) for s in segments} == {("ready", 120, False)}
    assert all(s["audio_url"].startswith("http://testserver/") for s in segments)


def test_i6_segment_ids_are_stable_across_reads_and_distinct_between_sessions(client: WorldClient) -> None:
    first = start(client)
    second = start(client)
    client.clock.advance(25)
    ids = [s["segment_id"] for s in get(client, first["session_id"]).json()["segments"]]
    client.clock.advance(10)
    again = [s["segment_id"] for s in get(client, first["session_id"]).json()["segments"]]
    assert again[: len(ids)] == ids
    assert [s["segment_id"] for s in end(client, first["session_id"]).json()["segments"]] == again
    other = {s["segment_id"] for s in get(client, second["session_id"]).json()["segments"]}
    assert not other & set(again)


def test_i4_status_moves_from_active_to_ended(client: WorldClient) -> None:
    session = start(client)
    assert session["status"] == "active"
    client.clock.advance(5)
    assert get(client, session["session_id"]).json()["status"] == "active"
    assert end(client, session["session_id"]).json()["status"] == "ended"


def test_d11_success_bodies_are_the_bare_resource(client: WorldClient) -> None:
    session = start(client)
    client.clock.advance(5)
    got = get(client, session["session_id"]).json()
    segment = got["segments"][0]["segment_id"]
    promoted = promote(client, session["session_id"], segment).json()
    ended = end(client, session["session_id"]).json()
    for body in (session, got, promoted, ended):
        assert "success" not in body
        assert "data" not in body
    assert promoted["segment_id"] == segment


def test_d12_the_spec_and_the_mock_have_the_four_operations(spec: Spec, client: WorldClient) -> None:
    assert {(op.operation_id, op.method, op.path) for op in spec.operations.values()} == {
        ("startFocusSession", "POST", "/v1/music/{organization_id}/focus/sessions"),
        ("getFocusSession", "GET", "/v1/music/{organization_id}/focus/sessions/{session_id}"),
        ("endFocusSession", "POST", "/v1/music/{organization_id}/focus/sessions/{session_id}/end"),
        (
            "promoteFocusSegment",
            "POST",
            "/v1/music/{organization_id}/focus/sessions/{session_id}/segments/{segment_id}/promote",
        ),
    }
    session = start(client)
    client.clock.advance(3)
    segment = get(client, session["session_id"]).json()["segments"][0]["segment_id"]
    assert promote(client, session["session_id"], segment).status_code == 200
    assert end(client, session["session_id"]).status_code == 200
