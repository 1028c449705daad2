"""Promote a focus segment (I3), including after end (D9)."""

from __future__ import annotations

import httpx
from spec_client import WorldClient
from world import ALICE, BOB, SEGMENT_NEVER_EXISTED, START, due, end, get, promote, start

from mockserver.service import segment_id


def _assert_segment_not_found(response: httpx.Response, asked: str) -> None:
    assert response.status_code == 404
    error = response.json()["error"]
    assert (error["code"], error["type"]) == ("RESOURCE_NOT_FOUND", "client_error")
    assert error["details"] == {"segment_id": asked}


def _ready(client: WorldClient, session_id: str) -> list[dict]:
    return get(client, session_id).json()["segments"]


def test_i3_promoting_a_ready_segment_answers_200_with_promoted_true(client: WorldClient) -> None:
    session = start(client)["session_id"]
    client.clock.advance(15)
    second = _ready(client, session)[1]

    response = promote(client, session, second["segment_id"])

    assert response.status_code == 200
    assert response.json() == {**second, "promoted": True}
    assert [s["promoted"] for s in _ready(client, session)] == [False, True]


def test_i3_promote_is_idempotent(client: WorldClient) -> None:
    session = start(client)["session_id"]
    client.clock.advance(5)
    segment = _ready(client, session)[0]["segment_id"]
    first = promote(client, session, segment)
    client.clock.advance(30)
    second = promote(client, session, segment)
    assert first.status_code == second.status_code == 200
    assert first.content == second.content
    assert [s["promoted"] for s in _ready(client, session)] == [True, False, False, False]


def test_i3_d9_promote_is_allowed_after_end(client: WorldClient) -> None:
    session = start(client)["session_id"]
    client.clock.advance(15)
    ended = end(client, session).json()
    client.clock.advance(1000)
    for segment in ended["segments"]:
        response = promote(client, session, segment["segment_id"])
        assert response.status_code == 200
        assert response.json()["promoted"] is True
    after = end(client, session).json()
    assert after["status"] == "ended"
    assert [s["promoted"] for s in after["segments"]] == [True, True]


def test_i3_a_segment_not_ready_yet_is_404_with_its_id(client: WorldClient) -> None:
    session = start(client)["session_id"]
    client.clock.advance(5)  # index 0 ready, index 1 due at +13
    upcoming = segment_id(session, 1)
    _assert_segment_not_found(promote(client, session, upcoming), upcoming)
    client.clock.advance(8)
    assert promote(client, session, upcoming).status_code == 200


def test_i3_d9_a_segment_that_would_have_come_after_end_stays_404(client: WorldClient) -> None:
    session = start(client)["session_id"]
    client.clock.advance(5)
    end(client, session)
    never = segment_id(session, 1)
    client.clock.advance(100)  # long past the +13 it would have been due at
    _assert_segment_not_found(promote(client, session, never), never)


def test_i3_an_unknown_or_malformed_segment_id_is_404_with_that_id(client: WorldClient) -> None:
    session = start(client)["session_id"]
    client.clock.advance(5)
    for asked in (SEGMENT_NEVER_EXISTED, "mseg_XYZ", "nonsense", session):
        _assert_segment_not_found(promote(client, session, asked), asked)


def test_i3_a_segment_of_another_session_is_404_under_this_one(client: WorldClient) -> None:
    mine = start(client)["session_id"]
    other = start(client)["session_id"]
    peers = start(client, BOB)["session_id"]
    client.clock.advance(5)
    for owner_key, session in ((ALICE, other), (BOB, peers)):
        foreign = get(client, session, owner_key).json()["segments"][0]["segment_id"]
        _assert_segment_not_found(promote(client, mine, foreign), foreign)
    assert get(client, other).json()["segments"][0]["promoted"] is False


def test_i3_d7_promoting_in_a_peers_session_is_the_session_404(client: WorldClient) -> None:
    session = start(client)["session_id"]
    client.clock.advance(5)
    segment = _ready(client, session)[0]["segment_id"]
    response = promote(client, session, segment, BOB)
    assert response.status_code == 404
    assert response.json()["error"]["details"] == {"session_id": session}
    assert _ready(client, session)[0]["promoted"] is False


def test_i3_the_promoted_segment_keeps_its_ready_time(client: WorldClient) -> None:
    session = start(client)["session_id"]
    client.clock.advance(40)
    third = _ready(client, session)[2]["segment_id"]
    assert promote(client, session, third).json()["ready_at"] == due(START, 2)
