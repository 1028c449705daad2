"""Ownership and scope: D7, I9, D3, I10, and the foreign cases of I2 and I3.

The peer is another user of the same organization: for them the owner's session
must not exist. Everything they try gets the same 404 as an id that never
existed (I9), and nothing they try changes the owner's session.
"""

from __future__ import annotations

from typing import Any

import pytest

from contracts.assertions import Contract, without_moving_parts
from contracts.client import END, GET, PROMOTE, Answer, ApiClient
from contracts.plugin import never_existing_session_id
from contracts.sessions import SessionFactory
from contracts.settings import Caller

FOREIGN_OPERATIONS = (GET, END, PROMOTE)
# Fields of an active session that move by themselves as segments become ready.
MOVING_WHILE_ACTIVE = ("ready_count", "segments", "more_pending", "next_ready_at")


def foreign_call(
    api: ApiClient, caller: Caller, operation: str, session: dict[str, Any], **kw: Any
) -> Answer:
    """``operation`` on ``session`` by ``caller``; Promote names the session's first ready segment."""
    if operation == GET:
        return api.get(caller, session["session_id"], **kw)
    if operation == END:
        return api.end(caller, session["session_id"], **kw)
    segments = session.get("segments") or []
    segment_id = segments[0]["segment_id"] if segments else "mseg_" + session["session_id"][-12:]
    return api.promote(caller, session["session_id"], segment_id, **kw)


def assert_unchanged(
    api: ApiClient, contract: Contract, owner: Caller, before: dict[str, Any], clause: str, virtual: bool
) -> None:
    """The owner still sees the session as before: same status and settings, nothing promoted."""
    after = contract.expect_session(api.get(owner, before["session_id"]), session_id=before["session_id"])
    assert after.get("status") == before.get("status"), (
        f"{clause}: the owner's session changed status from {before.get('status')!r} to "
        f"{after.get('status')!r} after another user's request"
    )
    stable = [name for name in contract.session_fields if virtual or name not in MOVING_WHILE_ACTIVE]
    changed = {
        name: (before.get(name), after.get(name)) for name in stable if before.get(name) != after.get(name)
    }
    assert not changed, f"{clause}: another user's request changed the owner's session: {changed}"
    promoted = [s.get("segment_id") for s in after.get("segments", []) if s.get("promoted")]
    assert not promoted, f"{clause}: another user's request promoted {promoted}"


@pytest.mark.clause("D7", "D10")
@pytest.mark.parametrize("operation", FOREIGN_OPERATIONS)
def test_D7_another_users_request_is_404_and_changes_nothing(
    operation: str,
    api: ApiClient,
    contract: Contract,
    owner: Caller,
    peer: Caller,
    sessions: SessionFactory,
) -> None:
    # Promote names a ready segment when one comes in time, so a segment-level 404 cannot pass for D7.
    before = sessions.ripe(required=False) if operation == PROMOTE else sessions.start()
    answer = foreign_call(api, peer, operation, before)
    contract.expect_error(
        answer, 404, operation=operation, clause="D7", details={"session_id": before["session_id"]}
    )
    assert_unchanged(api, contract, owner, before, "D7", virtual=not sessions.real_time)
    # The owner can still end it: a foreign End must not have ended it.
    ended = contract.expect_session(api.end(owner, before["session_id"]), session_id=before["session_id"])
    assert ended.get("status") == "ended", f"D7: the owner's End answered status {ended.get('status')!r}"


@pytest.mark.clause("I9")
@pytest.mark.parametrize("operation", FOREIGN_OPERATIONS)
def test_I9_foreign_session_answers_like_a_never_existing_id(
    operation: str, api: ApiClient, peer: Caller, ripe_session: dict[str, Any]
) -> None:
    foreign = foreign_call(api, peer, operation, ripe_session)
    ghost_session = {**ripe_session, "session_id": never_existing_session_id()}
    ghost = foreign_call(api, peer, operation, ghost_session)
    assert foreign.status == ghost.status, (
        f"I9: another user's session answers {foreign.status}, a never-existing id {ghost.status}: "
        "the status tells that the session exists"
    )
    assert foreign.content_type == ghost.content_type, "I9: the two answers differ in Content-Type"
    foreign_body = without_moving_parts(foreign.json, ripe_session["session_id"])
    ghost_body = without_moving_parts(ghost.json, ghost_session["session_id"])
    assert foreign_body == ghost_body, (
        "I9: another user's session and a never-existing id get different bodies (apart from "
        f"trace_id, timestamp and the id itself):\nforeign: {foreign_body}\nnever existed: {ghost_body}"
    )


@pytest.mark.clause("I9", "D10")
@pytest.mark.parametrize("malformed", ["7c2a9f4e1b8d", "mfocus_XYZ", "session-1", "mfocus_7c2a9f4e1b8d0"])
def test_I9_malformed_session_id_is_a_plain_404(
    malformed: str, api: ApiClient, contract: Contract, owner: Caller
) -> None:
    contract.expect_error(api.get(owner, malformed), 404, clause="I9")


@pytest.mark.clause("I2", "D10")
def test_I2_get_of_a_never_existing_id_is_the_D7_404(
    api: ApiClient, contract: Contract, owner: Caller
) -> None:
    ghost = never_existing_session_id()
    contract.expect_error(
        api.get(owner, ghost), 404, operation=GET, clause="I2", details={"session_id": ghost}
    )


@pytest.mark.clause("D3")
def test_D3_session_is_not_reachable_under_another_organization(
    api: ApiClient, contract: Contract, owner: Caller, standing_session: dict[str, Any]
) -> None:
    """The owner asking under an organization they do not belong to gets an error, not the session."""
    elsewhere = f"{owner.org_id}-elsewhere"
    for operation in (GET, END):
        answer = foreign_call(api, owner, operation, standing_session, org=elsewhere)
        assert 400 <= answer.status < 500, f"D3: {answer.describe()}"
        problems = contract.envelope_problems(answer)
        assert not problems, f"D3/D10: {problems}\n{answer.describe()}"
    still = contract.expect_session(api.get(owner, standing_session["session_id"]))
    assert still["status"] == standing_session["status"], (
        "D3: a request under another organization changed it"
    )


@pytest.mark.clause("D3")
def test_D3_a_non_member_cannot_reach_the_organizations_sessions(
    api: ApiClient, contract: Contract, owner: Caller, outsider: Caller, standing_session: dict[str, Any]
) -> None:
    for operation in FOREIGN_OPERATIONS:
        answer = foreign_call(api, outsider, operation, standing_session, org=owner.org_id)
        assert 400 <= answer.status < 500, f"D3: a non-member got {answer.describe()}"
    still = contract.expect_session(api.get(owner, standing_session["session_id"]))
    assert still["status"] == standing_session["status"], "D3: a non-member's request changed the session"


@pytest.mark.clause("I10", "D10")
@pytest.mark.parametrize("operation", FOREIGN_OPERATIONS)
def test_I10_a_non_member_gets_403_whatever_the_session(
    operation: str,
    api: ApiClient,
    contract: Contract,
    owner: Caller,
    outsider: Caller,
    standing_session: dict[str, Any],
) -> None:
    ghost = {**standing_session, "session_id": never_existing_session_id()}
    for session in (standing_session, ghost):
        answer = foreign_call(api, outsider, operation, session, org=owner.org_id)
        contract.expect_error(answer, 403, operation=operation, clause="I10")


@pytest.mark.clause("I10", "D7")
def test_I10_a_session_of_another_organization_is_the_D7_404(
    api: ApiClient,
    contract: Contract,
    owner: Caller,
    outsider_at_home: Caller,
    sessions: SessionFactory,
) -> None:
    theirs = sessions.start(outsider_at_home)
    for operation in (GET, END):
        answer = foreign_call(api, owner, operation, theirs, org=owner.org_id)
        contract.expect_error(
            answer, 404, operation=operation, clause="I10", details={"session_id": theirs["session_id"]}
        )
    still = contract.expect_session(api.get(outsider_at_home, theirs["session_id"]))
    assert still["status"] == theirs["status"], "I10: a request from another organization changed the session"
