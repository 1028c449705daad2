"""The session object: D4, D8, D11, D12, and the inferred I1, I4, I5, I6, I7, I14.

Shapes and types come from the spec's ``FocusSession`` and ``FocusSegment``; the
tests add what a schema cannot say: the id is the one asked for, End and Get
agree, and the progress fields tell one consistent story over time.
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from contracts.assertions import Contract, fail
from contracts.client import PROMOTE, ApiClient
from contracts.sessions import SessionFactory
from contracts.settings import Caller
from contracts.timing import TimeControl, parse_instant


@pytest.mark.clause("D8")
def test_D8_start_get_and_end_return_every_field_of_the_session_asked_for(
    api: ApiClient, contract: Contract, owner: Caller, sessions: SessionFactory
) -> None:
    """Two sessions, so an answer about the other one (or the latest one) cannot pass."""
    started = [contract.expect_session(sessions.start_answer(), status=201, complete=True) for _ in range(2)]
    ids = [s["session_id"] for s in started]
    assert ids[0] != ids[1], f"D8: two starts returned the same session_id {ids[0]!r}"
    documented = set(contract.session_fields)
    for session_id in ids:
        got = contract.expect_session(api.get(owner, session_id), session_id=session_id, complete=True)
        ended = contract.expect_session(api.end(owner, session_id), session_id=session_id, complete=True)
        assert set(got) & documented == set(ended) & documented == documented, (
            "D8: End and Get differ in shape"
        )


@pytest.mark.clause("D11")
def test_D11_success_bodies_are_the_bare_resource(
    api: ApiClient, contract: Contract, owner: Caller, standing_session: dict[str, Any]
) -> None:
    """Start's answer (the standing session) and Get's; End's is checked with D5."""
    fail("D11", None, contract.bare_problems(standing_session))
    answer = api.get(owner, standing_session["session_id"])
    fail("D11", answer, contract.bare_problems(contract.expect_session(answer, clause="D11")))


@pytest.mark.clause("D4")
def test_D4_session_ids_are_prefixed(standing_session: dict[str, Any]) -> None:
    session_id = standing_session["session_id"]
    assert isinstance(session_id, str), f"D4: session_id is {session_id!r}"
    assert session_id.startswith("mfocus_"), f"D4: session id {session_id!r} is not prefixed mfocus_"


@pytest.mark.clause("D12", "D10")
def test_D12_start_get_and_promote_exist(
    api: ApiClient, contract: Contract, owner: Caller, standing_session: dict[str, Any]
) -> None:
    """Start answered 201 (the standing session), Get 200; Promote of an unknown segment is its own 404."""
    session_id = standing_session["session_id"]
    contract.expect_session(api.get(owner, session_id), session_id=session_id, clause="D12")
    segment_id = "mseg_" + "0" * 12
    answer = api.promote(owner, session_id, segment_id)
    error = contract.expect_error(answer, 404, operation=PROMOTE, clause="D12")
    assert "path" not in error["details"], (
        f"D12: Promote's route is unknown to the server: {answer.describe()}"
    )


@pytest.fixture(scope="module")
def without_engine(shared_sessions: SessionFactory, api: ApiClient) -> dict[str, Any]:
    """A session started with ``engine`` omitted and an odd ``target_minutes`` (5)."""
    body = {key: value for key, value in api.start_example().items() if key != "engine"}
    return shared_sessions.start(body={**body, "target_minutes": 5})


@pytest.mark.clause("I1")
def test_I1_start_answers_201_with_an_active_session_and_the_default_engine(
    api: ApiClient, without_engine: dict[str, Any]
) -> None:
    session = without_engine
    assert session.get("status") == "active", f"I1: a new session has status {session.get('status')!r}"
    assert session.get("engine") == "studio", f"I1: engine omitted on start became {session.get('engine')!r}"
    assert session.get("goal") == api.start_example()["goal"], "I1: the goal asked for was not kept"
    assert session.get("target_minutes") == 5, "I1: the target_minutes asked for was not kept"


@pytest.mark.clause("I5")
def test_I5_total_segments_is_target_minutes_over_two_rounded_up(
    standing_session: dict[str, Any], without_engine: dict[str, Any]
) -> None:
    for session in (standing_session, without_engine):
        minutes, total = session["target_minutes"], session["total_segments"]
        expected = math.ceil(minutes / 2)
        assert total == expected, f"I5: {minutes} minutes gave {total} segments, expected {expected}"


@pytest.mark.clause("I4", "I14")
def test_I4_I14_status_goal_and_engine_take_documented_forms(
    api: ApiClient, contract: Contract, owner: Caller, standing_session: dict[str, Any]
) -> None:
    session = contract.expect_session(api.get(owner, standing_session["session_id"]), clause="I4")
    status_schema = contract.spec.document["components"]["schemas"]["FocusSession"]["properties"]["status"]
    assert session.get("status") in status_schema["enum"], f"I4: status {session.get('status')!r}"
    problems = contract.problems_against("Goal", session.get("goal"))
    if "engine" in session:
        problems += contract.problems_against("Engine", session["engine"])
    fail("I14", None, problems)


@pytest.mark.clause("I6")
def test_I6_ready_segments_are_listed_in_order_with_their_fields(
    contract: Contract, ripe_session: dict[str, Any]
) -> None:
    segments = ripe_session["segments"]
    assert len(segments) <= ripe_session["ready_count"], "I6: more segments listed than ready_count"
    if not segments:
        pytest.skip("no segment is listed (none ready in time, or the server lists none), nothing to check")
    indexes = [s["index"] for s in segments]
    assert indexes == sorted(indexes) and len(set(indexes)) == len(indexes), (
        f"I6: indexes out of order {indexes}"
    )
    for segment in segments:
        fail("I6", None, contract.segment_problems(segment))
        assert contract.segment_id_pattern.match(segment["segment_id"]), (
            f"I6: segment id {segment['segment_id']!r}"
        )
        assert segment["status"] == "ready", f"I6: a listed segment has status {segment['status']!r}"
        assert segment["duration_seconds"] == 120, f"I6: duration_seconds {segment['duration_seconds']}"
    if len(segments) == ripe_session["ready_count"]:
        assert indexes == list(range(len(segments))), (
            f"I6: all ready segments listed, but indexes are {indexes}"
        )


@pytest.mark.clause("I7")
def test_I7_progress_fields_agree_and_ready_count_never_decreases(
    api: ApiClient, contract: Contract, owner: Caller, sessions: SessionFactory, target_time: TimeControl
) -> None:
    """Observed at start, once a segment is ready, and at end: each consistent, the count never falling."""
    answer = sessions.start_answer()
    started = contract.expect_session(answer, status=201, clause="I7")
    session_id = started["session_id"]
    observations = [(started, target_time.server_now(answer))]
    sessions.ripen(owner, session_id)
    for operation in (api.get, api.end):
        answer = operation(owner, session_id)
        observations.append(
            (contract.expect_session(answer, session_id=session_id), target_time.server_now(answer))
        )
    counts = []
    for session, now in observations:
        fail("I7", None, contract.invariant_problems(session, now))
        counts.append(session["ready_count"])
        due = session["next_ready_at"]
        if due is not None and session["segments"]:
            last_ready = parse_instant(session["segments"][-1]["ready_at"])
            assert parse_instant(due) > last_ready, (
                f"I7: next_ready_at {due} is not after the last ready segment"
            )
    assert counts == sorted(counts), f"I7: ready_count decreased over time: {counts}"
