"""End a focus session: D1, D5, D6 (the published page's own operation)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from contracts.assertions import Contract, fail
from contracts.client import ApiClient
from contracts.sessions import SessionFactory
from contracts.settings import Caller

CONCURRENT_ENDS = 8
ENDED_STATES = ("ended", "stopped_cap")


def documented_fields(contract: Contract, session: dict[str, Any]) -> dict[str, Any]:
    """The D8 fields of a session: what "the same state" compares.

    Fields that may legitimately move between two answers about an ended session:
    only fields outside D8, which a deployment may add (D8 allows extras), such as
    a server timestamp. D9 freezes everything D8 lists, ``audio_url`` included.
    """
    return {name: session.get(name) for name in contract.session_fields}


@pytest.mark.clause("D1", "D5", "D11")
def test_D1_D5_end_answers_200_with_the_ended_session(
    api: ApiClient, contract: Contract, owner: Caller, sessions: SessionFactory
) -> None:
    started = sessions.start()
    session = contract.expect_session(
        api.end(owner, started["session_id"]), session_id=started["session_id"], clause="D5"
    )
    assert session.get("status") == "ended", (
        f"D5: End answered status {session.get('status')!r}, expected 'ended'"
    )
    fail("D11", None, contract.bare_problems(session))


@pytest.mark.clause("D6")
def test_D6_ending_twice_and_three_times_answers_the_same_state(
    api: ApiClient, contract: Contract, owner: Caller, sessions: SessionFactory
) -> None:
    session_id = sessions.start()["session_id"]
    first = contract.expect_session(api.end(owner, session_id), session_id=session_id, clause="D6")
    # A virtual clock moves on between the ends; a session that is not frozen would show it.
    sessions.advance_if_virtual(120)
    for attempt in ("second", "third"):
        again = contract.expect_session(api.end(owner, session_id), session_id=session_id, clause="D6")
        assert again["status"] in ENDED_STATES, f"D6: the {attempt} End answered status {again['status']!r}"
        assert documented_fields(contract, again) == documented_fields(contract, first), (
            f"D6: the {attempt} End answered another state than the first\nfirst: {first}\n{attempt}: {again}"
        )


@pytest.mark.clause("D6")
def test_D6_concurrent_ends_all_answer_200_with_the_same_state(
    api: ApiClient, contract: Contract, owner: Caller, sessions: SessionFactory
) -> None:
    session_id = sessions.start()["session_id"]
    barrier = threading.Barrier(CONCURRENT_ENDS)
    clients = [api.fork() for _ in range(CONCURRENT_ENDS)]

    def end(client: ApiClient) -> Any:
        barrier.wait(timeout=30)
        return client.end(owner, session_id)

    try:
        with ThreadPoolExecutor(CONCURRENT_ENDS) as pool:
            answers = list(pool.map(end, clients))
    finally:
        for client in clients:
            client.close()
    bodies = [contract.expect_session(a, session_id=session_id, clause="D6") for a in answers]
    states = [documented_fields(contract, body) for body in bodies]
    assert all(body["status"] in ENDED_STATES for body in bodies), (
        f"D6: statuses {[b['status'] for b in bodies]}"
    )
    assert all(state == states[0] for state in states), (
        f"D6: {CONCURRENT_ENDS} concurrent Ends answered different states:\n" + "\n".join(map(str, states))
    )
    after = contract.expect_session(api.get(owner, session_id), session_id=session_id, clause="D6")
    assert documented_fields(contract, after) == states[0], (
        "D6: Get after the concurrent Ends shows another state"
    )
