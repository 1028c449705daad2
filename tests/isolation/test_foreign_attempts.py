"""No key ever reads, ends or promotes another user's session: a property over callers and places.

A world of five users in three organizations, some users in two, each with a
session in every organization they belong to, segments ready, the virtual
clock standing still. Hypothesis picks a caller, a session, the organization
in the path and an operation, for every combination that is not the owner in
the session's own organization. The answer must be the documented refusal:
``403`` when the caller is not a member of the organization in the path
(I10), otherwise the ``404`` of D7 naming the session, whoever owns it and
wherever it lives. The owner's own read of the session is byte for byte the
same before and after each attempt.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from spec_client import WorldClient
from world import START

from mockserver.app import create_app
from mockserver.clock import VirtualClock
from mockserver.config import parse_config
from mockserver.spec import Spec

ORGANIZATIONS = ("org_a", "org_b", "org_c")
MEMBERS = {
    "usr_ann": ("org_a",),
    "usr_ben": ("org_a",),
    "usr_dan": ("org_a", "org_b"),
    "usr_cat": ("org_b",),
    "usr_eve": ("org_b", "org_c"),
}
CONFIG = {
    "timings": {"first_segment_seconds": 1, "segment_interval_seconds": 5},
    "organizations": [{"id": org} for org in ORGANIZATIONS],
    "users": [
        {"id": user, "api_key": f"{user}-secret-key", "organizations": list(orgs)}
        for user, orgs in MEMBERS.items()
    ],
}
OPERATIONS = ("get", "end", "promote-ready", "promote-unknown")


def key(user: str) -> dict[str, str]:
    return {"X-API-Key": f"{user}-secret-key"}


@dataclass(frozen=True)
class Session:
    owner: str
    organization: str
    session_id: str
    segment_id: str

    def path(self, organization: str | None = None) -> str:
        return f"/v1/music/{organization or self.organization}/focus/sessions/{self.session_id}"


@pytest.fixture(scope="module")
def world(spec: Spec, control_document: Spec) -> Iterator[tuple[WorldClient, list[Session]]]:
    clock = VirtualClock(START)
    app = create_app(parse_config(CONFIG), clock, spec=spec)
    with WorldClient(app, spec, clock, control_document) as client:
        started = []
        for user, orgs in MEMBERS.items():
            for org in orgs:
                answer = client.post(
                    f"/v1/music/{org}/focus/sessions",
                    json={"goal": "focus", "target_minutes": 30},
                    headers=key(user),
                )
                assert answer.status_code == 201, answer.text
                started.append((user, org, answer.json()["session_id"]))
        clock.advance(12)  # three segments ready; the clock then stands still
        sessions = []
        for user, org, session_id in started:
            body = client.get(f"/v1/music/{org}/focus/sessions/{session_id}", headers=key(user)).json()
            sessions.append(Session(user, org, session_id, body["segments"][0]["segment_id"]))
        yield client, sessions


def _attempt(
    client: WorldClient, actor: str, session: Session, organization: str, operation: str
) -> httpx.Response:
    path = session.path(organization)
    if operation == "get":
        return client.get(path, headers=key(actor))
    if operation == "end":
        return client.post(f"{path}/end", headers=key(actor))
    segment = session.segment_id if operation == "promote-ready" else "mseg_000000000000"
    return client.post(f"{path}/segments/{segment}/promote", headers=key(actor))


@settings(
    max_examples=300,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_no_key_reaches_another_users_session(
    world: tuple[WorldClient, list[Session]], data: st.DataObject
) -> None:
    client, sessions = world
    session = data.draw(st.sampled_from(sessions), label="session")
    actor = data.draw(st.sampled_from(sorted(MEMBERS)), label="actor")
    organization = data.draw(st.sampled_from((*ORGANIZATIONS, "org_nowhere")), label="organization")
    operation = data.draw(st.sampled_from(OPERATIONS), label="operation")
    if actor == session.owner and organization == session.organization:
        return  # the owner in place: not a foreign attempt
    before = client.get(session.path(), headers=key(session.owner))

    answer = _attempt(client, actor, session, organization, operation)

    error = answer.json()["error"]
    if organization not in MEMBERS[actor]:
        assert (answer.status_code, error["code"]) == (403, "ORGANIZATION_ACCESS_DENIED"), answer.text
        assert error["details"] == {"organization_id": organization}
    else:
        assert (answer.status_code, error["code"]) == (404, "RESOURCE_NOT_FOUND"), answer.text
        assert error["details"] == {"session_id": session.session_id}
    after = client.get(session.path(), headers=key(session.owner))
    assert after.content == before.content, "a foreign attempt changed the owner's session"


def test_the_owner_in_place_still_can(world: tuple[WorldClient, list[Session]]) -> None:
    """The property's one excluded case works, so its refusals are not a mock that refuses everything."""
    client, sessions = world
    for session in sessions:
        assert client.get(session.path(), headers=key(session.owner)).status_code == 200
        promoted = client.post(
            f"{session.path()}/segments/{session.segment_id}/promote", headers=key(session.owner)
        )
        assert promoted.json()["promoted"] is True
