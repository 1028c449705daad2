"""End a focus session: the one documented operation (D1, D5, D6, D8, D9)."""

from __future__ import annotations

from spec_client import WorldClient
from world import end, get, start

SESSION_FIELDS = [
    "session_id",
    "status",
    "goal",
    "engine",
    "target_minutes",
    "total_segments",
    "ready_count",
    "segments",
    "more_pending",
    "next_ready_at",
]


def test_d1_d5_end_returns_200_and_the_session_with_status_ended(client: WorldClient) -> None:
    session = start(client)
    client.clock.advance(25)  # segments due at +3, +13, +23

    response = end(client, session["session_id"])

    assert response.status_code == 200
    body = response.json()
    assert body["session_id"] == session["session_id"]
    assert body["status"] == "ended"
    assert body["ready_count"] == 3
    assert (body["goal"], body["engine"], body["target_minutes"], body["total_segments"]) == (
        "focus",
        "studio",
        60,
        30,
    )


def test_d8_end_and_get_return_exactly_the_documented_fields(client: WorldClient) -> None:
    session = start(client)
    assert list(session) == SESSION_FIELDS
    client.clock.advance(4)
    assert list(get(client, session["session_id"]).json()) == SESSION_FIELDS
    assert list(end(client, session["session_id"]).json()) == SESSION_FIELDS
    assert list(get(client, session["session_id"]).json()) == SESSION_FIELDS


def test_d6_ending_twice_and_three_times_gives_byte_identical_bodies(client: WorldClient) -> None:
    session = start(client)
    client.clock.advance(14)
    first = end(client, session["session_id"])
    client.clock.advance(100)
    second = end(client, session["session_id"])
    third = end(client, session["session_id"])

    assert first.status_code == second.status_code == third.status_code == 200
    assert first.content == second.content == third.content
    assert first.headers["x-request-id"] != second.headers["x-request-id"]


def test_d6_d8_get_after_end_is_the_same_object_as_end(client: WorldClient) -> None:
    session = start(client)
    client.clock.advance(33)
    ended = end(client, session["session_id"])
    client.clock.advance(600)
    assert get(client, session["session_id"]).content == ended.content


def test_d9_after_end_nothing_new_is_generated_while_the_clock_runs(client: WorldClient) -> None:
    session = start(client)
    client.clock.advance(15)  # two segments ready
    ended = end(client, session["session_id"]).json()
    assert ended["ready_count"] == 2
    assert ended["more_pending"] is False
    assert ended["next_ready_at"] is None

    for _ in range(40):  # well past the session's whole target
        client.clock.advance(30)
        now = get(client, session["session_id"]).json()
        assert now["status"] == "ended"
        assert now["ready_count"] == 2
        assert now["more_pending"] is False
        assert now["next_ready_at"] is None
        assert now["segments"] == ended["segments"]


def test_d9_segments_ready_before_end_keep_a_playable_audio_url(client: WorldClient) -> None:
    session = start(client)
    client.clock.advance(15)
    before = get(client, session["session_id"]).json()["segments"]
    end(client, session["session_id"])
    client.clock.advance(3600)
    after = get(client, session["session_id"]).json()["segments"]

    assert [s["audio_url"] for s in after] == [s["audio_url"] for s in before]
    for segment in after:
        audio = client.get(segment["audio_url"])
        assert audio.status_code == 200
        assert audio.headers["content-type"] == "audio/wav"
        assert audio.content[:4] == b"RIFF" and audio.content[8:12] == b"WAVE"


def test_d9_ending_before_the_first_segment_leaves_none_forever(client: WorldClient) -> None:
    session = start(client)
    client.clock.advance(2.999)
    ended = end(client, session["session_id"]).json()
    client.clock.advance(10_000)
    now = get(client, session["session_id"]).json()
    assert ended["ready_count"] == now["ready_count"] == 0
    assert now["segments"] == []


def test_d9_ending_exactly_when_a_segment_is_due_keeps_that_segment(client: WorldClient) -> None:
    session = start(client)
    client.clock.advance(13)  # the second segment is due at exactly this instant
    ended = end(client, session["session_id"]).json()
    client.clock.advance(60)
    assert ended["ready_count"] == 2
    assert get(client, session["session_id"]).json()["ready_count"] == 2


def test_d5_ending_a_finished_session_says_ended(client: WorldClient) -> None:
    session = start(client, target_minutes=4)  # two segments: due at +3 and +13
    client.clock.advance(100)
    finished = get(client, session["session_id"]).json()
    assert finished["ready_count"] == 2
    assert finished["more_pending"] is False
    ended = end(client, session["session_id"]).json()
    assert ended["status"] == "ended"
    assert ended["ready_count"] == 2
