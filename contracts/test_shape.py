"""The session object: D4, D8, D11, D12, and the inferred I1, I4, I5, I6, I7, I14.

Shapes and types come from the spec's ``FocusSession`` and ``FocusSegment``; the
tests add what a schema cannot say: the id is the one asked for, End and Get
agree, and the progress fields tell one consistent story over time.
"""

from __future__ import annotations

import math
import re
from typing import Any

import pytest

from contracts.assertions import Contract, fail
from contracts.client import PROMOTE, ApiClient
from contracts.sessions import SessionFactory
from contracts.settings import Caller
from contracts.timing import TimeControl, parse_instant

IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


@pytest.mark.clause("D8", "D11")
def test_D8_start_get_and_end_return_every_field_of_the_session_asked_for(
    api: ApiClient, contract: Contract, owner: Caller, sessions: SessionFactory
) -> None:
    """Two sessions, so an answer about the other one (or the latest one) cannot pass."""
    started = [contract.expect_session(sessions.start_answer(), status=201) for _ in range(2)]
    ids = [s["session_id"] for s in started]
    assert ids[0] != ids[1], f"D8: two starts returned the same session_id {ids[0]!r}"
    documented = set(contract.session_fields)
    for session_id in ids:
        got = contract.expect_session(api.get(owner, session_id), session_id=session_id)
        ended = contract.expect_session(api.end(owner, session_id), session_id=session_id)
        assert set(got) & documented == set(ended) & documented == documented, (
            "D8: End and Get differ in shape"
        )


@pytest.mark.clause("D4")
def test_D4_session_ids_are_prefixed(standing_session: dict[str, Any], contract: Contract) -> None:
    session_id = standing_session["session_id"]
    assert session_id.startswith("mfocus_"), f"D4: session id {session_id!r} is not prefixed mfocus_"
    assert contract.session_id_pattern.match(session_id), (
        f"D4: session id {session_id!r} does not match the spec's {contract.session_id_pattern.pattern}"
    )


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


@pytest.mark.clause("I1", "I4", "I5", "I14")
def test_I1_start_answers_201_with_an_active_session_and_default_engine(
    api: ApiClient, contract: Contract, sessions: SessionFactory
) -> None:
    """Started with ``engine`` omitted and an odd ``target_minutes``."""
    body = {k: v for k, v in api.start_example().items() if k != "engine"}
    body["target_minutes"] = 5
    session = contract.expect_session(sessions.start_answer(body=body), status=201, clause="I1")
    assert session["status"] == "active", f"I1: a new session has status {session['status']!r}"
    assert session["engine"] == "studio", (
        f"I1: engine omitted on start became {session['engine']!r}, not 'studio'"
    )
    assert session["goal"] == body["goal"], "I1: the goal asked for was not kept"
    assert session["target_minutes"] == 5, "I1: target_minutes asked for was not kept"
    assert session["total_segments"] == 3, (
        f"I5: 5 minutes gave {session['total_segments']} segments, expected 3"
    )
    for name in ("goal", "engine"):
        assert IDENTIFIER.match(session[name]), f"I14: {name} {session[name]!r} is not a lowercase identifier"


@pytest.mark.clause("I5")
def test_I5_total_segments_is_target_minutes_over_two_rounded_up(standing_session: dict[str, Any]) -> None:
    minutes, total = standing_session["target_minutes"], standing_session["total_segments"]
    expected = math.ceil(minutes / 2)
    assert total == expected, f"I5: {minutes} minutes gave {total} segments, expected {expected}"


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
        assert contract.segment_id_pattern.match(segment["segment_id"]), (
            f"I6: segment id {segment['segment_id']!r}"
        )
        assert segment["status"] == "ready", f"I6: a listed segment has status {segment['status']!r}"
        assert segment["duration_seconds"] == 120, f"I6: duration_seconds {segment['duration_seconds']}"
    if len(segments) == ripe_session["ready_count"]:
        assert indexes == list(range(len(segments))), (
            f"I6: all ready segments listed, but indexes are {indexes}"
        )


@pytest.mark.clause("I7", "I4")
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
