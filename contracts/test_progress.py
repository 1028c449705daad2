"""Progress over time: D9 (an ended session is frozen), I3 (promote), I8 (stopped at the quota).

On a target with a virtual clock, time is moved; on any other target, the tests
wait for the moment a segment is due, never longer than ``--segment-wait``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest

from contracts.assertions import Contract
from contracts.client import PROMOTE, ApiClient
from contracts.plugin import ContractRun
from contracts.sessions import SessionFactory
from contracts.settings import Caller
from contracts.timing import VirtualTime

# Long enough for any session to finish or hit its organization's quota.
TEN_DAYS = 10 * 24 * 3600


def by_id(session: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {segment["segment_id"]: segment for segment in session["segments"]}


@pytest.mark.clause("D9")
def test_D9_an_ended_session_makes_no_new_segments_and_keeps_the_ready_ones(
    api: ApiClient, contract: Contract, owner: Caller, sessions: SessionFactory
) -> None:
    session_id = sessions.ripe()["session_id"]
    before_answer = api.get(owner, session_id)
    before = contract.expect_session(before_answer, session_id=session_id)
    ended = contract.expect_session(api.end(owner, session_id), session_id=session_id, clause="D9")
    assert ended["more_pending"] is False, "D9: End answered more_pending true"
    assert ended["next_ready_at"] is None, f"D9: End answered next_ready_at {ended['next_ready_at']!r}"

    # Past the moment the next segment was due, and (virtual clock) several intervals more.
    sessions.pass_due(before, before_answer)
    sessions.advance_if_virtual(600)

    after = contract.expect_session(api.get(owner, session_id), session_id=session_id, clause="D9")
    assert after["ready_count"] == ended["ready_count"], (
        f"D9: ready_count grew from {ended['ready_count']} to {after['ready_count']} after the session ended"
    )
    assert after["more_pending"] is False, "D9: an ended session reports more_pending true"
    assert after["next_ready_at"] is None, (
        f"D9: an ended session reports next_ready_at {after['next_ready_at']!r}"
    )
    assert len(after["segments"]) <= ended["ready_count"], (
        "D9: more segments listed than were ready at the end"
    )
    still = by_id(after)
    for earlier in (before, ended):
        for segment_id, segment in by_id(earlier).items():
            assert segment_id in still, (
                f"D9: segment {segment_id} was listed before, and is gone after the end"
            )
            assert still[segment_id]["audio_url"] == segment["audio_url"], (
                f"D9: the audio_url of {segment_id} changed after the end"
            )
    for segment in after["segments"]:
        if urlsplit(segment["audio_url"]).netloc == urlsplit(api.base_url).netloc:
            played = api.session.get(segment["audio_url"])
            assert played.status_code == 200, (
                f"D9: {segment['audio_url']} no longer plays ({played.status_code})"
            )


@pytest.mark.clause("I3", "D9")
def test_I3_promote_marks_a_ready_segment_is_idempotent_and_works_after_end(
    api: ApiClient, contract: Contract, owner: Caller, sessions: SessionFactory
) -> None:
    ripe = sessions.ripe()
    if not ripe["segments"]:
        pytest.skip("the server lists no segments (allowed by I6), so none can be promoted by id")
    session_id, segment_id = ripe["session_id"], ripe["segments"][0]["segment_id"]
    first = contract.expect_segment(api.promote(owner, session_id, segment_id), segment_id=segment_id)
    assert first["promoted"] is True, "I3: Promote answered promoted false"
    again = contract.expect_segment(api.promote(owner, session_id, segment_id), segment_id=segment_id)
    assert again == first, f"I3: promoting twice answered differently:\n{first}\n{again}"
    listed = by_id(contract.expect_session(api.get(owner, session_id), session_id=session_id))
    assert listed[segment_id]["promoted"] is True, "I3: Get does not show the segment promoted"

    contract.expect_session(api.end(owner, session_id), session_id=session_id)
    after_end = contract.expect_segment(api.promote(owner, session_id, segment_id), segment_id=segment_id)
    assert after_end["promoted"] is True, "I3/D9: a ready segment cannot be promoted after the end"

    unknown = "mseg_" + "0" * 12
    contract.expect_error(
        api.promote(owner, session_id, unknown),
        404,
        operation=PROMOTE,
        clause="I3",
        details={"segment_id": unknown},
    )


@pytest.mark.clause("I8", "D5")
def test_I8_a_session_stopped_by_the_quota_reports_stopped_cap_and_keeps_it_on_end(
    api: ApiClient, contract: Contract, contract_run: ContractRun, sessions: SessionFactory
) -> None:
    if not isinstance(contract_run.time, VirtualTime):
        pytest.skip("running an organization's quota out needs a target with a virtual clock")
    # The outsider's organization, when known, is where a small quota is likeliest (the mock's default world).
    caller = (
        contract_run.outsider
        if contract_run.outsider and contract_run.outsider.org_id
        else contract_run.owner
    )
    longest = {**api.start_example(), "target_minutes": 480}
    session_id = sessions.start(caller, body=longest)["session_id"]
    contract_run.time.advance(TEN_DAYS)
    stopped = contract.expect_session(api.get(caller, session_id), session_id=session_id, clause="I8")
    if stopped["status"] == "active":
        pytest.skip(f"the quota of {caller.org_id} did not run out within one 480-minute session")
    assert stopped["status"] == "stopped_cap", f"I8: status {stopped['status']!r}"
    assert stopped["ready_count"] < stopped["total_segments"], "I8: stopped_cap, yet every segment is ready"
    assert stopped["more_pending"] is False and stopped["next_ready_at"] is None, f"I8: {stopped}"
    ended = contract.expect_session(api.end(caller, session_id), session_id=session_id, clause="D5")
    assert ended["status"] == "stopped_cap", (
        f"I8/D5: ending a stopped_cap session made it {ended['status']!r}"
    )
    assert ended["ready_count"] == stopped["ready_count"], (
        "I8: ending a stopped_cap session changed ready_count"
    )
