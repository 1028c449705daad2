"""The control plane's own tools cannot make a ready count fall (I7), whatever they are asked.

Two requests used to: lowering a quota below what its organization has already
made (every session then showed fewer ready segments), and jumping a session
so far back that its segments came before segments other sessions already
showed, taking their place in the quota ledger. Both now answer ``422`` and
change nothing; what stays within the rules still works.
"""

from __future__ import annotations

from collections.abc import Callable

from spec_client import WorldClient
from world import CAROL, OTHER_ORG, key, session_path, sessions_path

from mockserver.config import load_config
from mockserver.control import load_document

GLOBEX_QUOTA = 20
MakeClient = Callable[..., WorldClient]


def _start(client: WorldClient) -> str:
    answer = client.post(
        sessions_path(OTHER_ORG), json={"goal": "focus", "target_minutes": 60}, headers=key(CAROL)
    )
    assert answer.status_code == 201, answer.text
    return answer.json()["session_id"]


def _ready(client: WorldClient, session_id: str) -> int:
    return client.get(session_path(session_id, OTHER_ORG), headers=key(CAROL)).json()["ready_count"]


def _problem(answer: object) -> dict:
    body = answer.json()  # type: ignore[attr-defined]
    assert answer.status_code == 422, body  # type: ignore[attr-defined]
    return body["error"]["details"]["errors"][0]


def test_a_quota_below_what_is_made_is_refused_and_changes_nothing(make_client: MakeClient) -> None:
    client = make_client()
    first, second = _start(client), _start(client)
    client.clock.advance(3 + 10 * 4)  # five segments each: ten of Globex's twenty made
    before = [client.get(session_path(s, OTHER_ORG), headers=key(CAROL)).json() for s in (first, second)]

    problem = _problem(client.put(f"/__mock/quotas/{OTHER_ORG}", json={"segment_quota": 9}))

    assert problem["field"] == "segment_quota" and "at least 10" in problem["message"]
    after = [client.get(session_path(s, OTHER_ORG), headers=key(CAROL)).json() for s in (first, second)]
    assert after == before
    lowered = client.put(f"/__mock/quotas/{OTHER_ORG}", json={"segment_quota": 10})
    assert (lowered.status_code, lowered.json()["used"], lowered.json()["exhausted"]) == (200, 10, True)
    capped = [client.get(session_path(s, OTHER_ORG), headers=key(CAROL)).json() for s in (first, second)]
    assert [(s["status"], s["ready_count"]) for s in capped] == [("stopped_cap", 5), ("stopped_cap", 5)]


def test_a_jump_that_would_take_quota_from_another_session_is_refused(make_client: MakeClient) -> None:
    client = make_client()
    early = _start(client)
    client.clock.advance(3 + 10 * 14)  # fifteen of Globex's twenty made, by the early session
    late = _start(client)
    assert _ready(client, early) == 15

    problem = _problem(client.post(f"/__mock/sessions/{late}/jump", json={"ready_count": 12}))

    assert problem["field"] == "ready_count" and early in problem["message"]
    assert (_ready(client, early), _ready(client, late)) == (15, 0)
    within = client.post(f"/__mock/sessions/{late}/jump", json={"ready_count": 5})
    assert within.status_code == 200, within.text
    assert (_ready(client, early), _ready(client, late)) == (15, 5)


def test_the_control_document_says_so() -> None:
    """The refusals are documented where a UI developer reads about the tools."""
    document = load_document()
    for operation_id in ("setQuota", "jumpSession"):
        operation = document.resolve(document.operations[operation_id].pointer)
        assert "422" in operation["responses"]
        assert "422" in operation["description"]
    assert load_config(None).organization(OTHER_ORG).segment_quota == GLOBEX_QUOTA  # type: ignore[union-attr]
