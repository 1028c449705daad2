"""Who may see what: organization scope (D3, I10) and ownership without an oracle (D7, I9, I2)."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest
from spec_client import WorldClient
from world import (
    ALICE,
    BOB,
    CAROL,
    NEVER_EXISTED,
    ORG,
    OTHER_ORG,
    SEGMENT_NEVER_EXISTED,
    end,
    get,
    key,
    promote,
    sessions_path,
    start,
    without_volatile,
)

from mockserver.config import DEFAULT_CONFIG_DATA, parse_config

Call = Callable[[WorldClient, str, str, str], httpx.Response]


def _get(client: WorldClient, session_id: str, api_key: str, org: str) -> httpx.Response:
    return get(client, session_id, api_key, org)


def _end(client: WorldClient, session_id: str, api_key: str, org: str) -> httpx.Response:
    return end(client, session_id, api_key, org)


def _promote(client: WorldClient, session_id: str, api_key: str, org: str) -> httpx.Response:
    return promote(client, session_id, SEGMENT_NEVER_EXISTED, api_key, org)


SESSION_CALLS = pytest.mark.parametrize("call", [_get, _end, _promote], ids=["get", "end", "promote"])


def _assert_session_not_found(response: httpx.Response, session_id: str) -> None:
    assert response.status_code == 404
    error = response.json()["error"]
    assert error["code"] == "RESOURCE_NOT_FOUND"
    assert error["type"] == "client_error"
    assert error["details"] == {"session_id": session_id}


@SESSION_CALLS
def test_d7_i9_a_peers_session_is_404_with_the_id_asked_for(client: WorldClient, call: Call) -> None:
    session = start(client, ALICE)
    client.clock.advance(15)
    _assert_session_not_found(call(client, session["session_id"], BOB, ORG), session["session_id"])


def test_d7_the_owners_session_is_unchanged_after_a_peer_tries_everything(client: WorldClient) -> None:
    session = start(client, ALICE)
    client.clock.advance(15)
    before = get(client, session["session_id"]).content
    ready = json.loads(before)["segments"][0]["segment_id"]

    end(client, session["session_id"], BOB)
    promote(client, session["session_id"], ready, BOB)
    get(client, session["session_id"], BOB)

    assert get(client, session["session_id"]).content == before
    mine = end(client, session["session_id"]).json()
    assert mine["status"] == "ended"
    assert mine["segments"][0]["promoted"] is False


@SESSION_CALLS
def test_i9_a_foreign_session_and_a_never_existing_one_get_the_same_answer(
    client: WorldClient, call: Call
) -> None:
    session = start(client, ALICE)
    foreign = call(client, session["session_id"], BOB, ORG)
    never = call(client, NEVER_EXISTED, BOB, ORG)

    assert foreign.status_code == never.status_code == 404
    never_as_if_asked_for_the_same_id = json.loads(never.text.replace(NEVER_EXISTED, session["session_id"]))
    assert without_volatile(foreign.json()) == without_volatile(never_as_if_asked_for_the_same_id)
    assert set(foreign.headers) == set(never.headers)
    assert foreign.headers["content-length"] == never.headers["content-length"]


MALFORMED_IDS = [
    "abc",
    "mfocus_",
    "mfocus_XYZ",
    "mfocus_7C2A9F4E1B8D",
    "mfocus_7c2a9f4e1b8",
    "mfocus_7c2a9f4e1b8d0",
    "MFOCUS_7c2a9f4e1b8d",
    "mseg_3b9d2e7a4c1f",
    "mfocus_7c2a9f4e1b8g",
]


@SESSION_CALLS
@pytest.mark.parametrize("session_id", MALFORMED_IDS)
def test_i9_malformed_session_ids_are_a_plain_404(client: WorldClient, call: Call, session_id: str) -> None:
    response = call(client, session_id, ALICE, ORG)
    _assert_session_not_found(response, session_id)
    assert response.json()["error"]["system_message"] == "Focus session not found"


def test_i2_the_owner_reads_the_session_as_started(client: WorldClient) -> None:
    session = start(client, BOB)
    response = get(client, session["session_id"], BOB)
    assert response.status_code == 200
    assert response.json() == session


@pytest.mark.parametrize("org", [OTHER_ORG, "org_does_not_exist"])
@pytest.mark.parametrize(
    "session_id", [NEVER_EXISTED, "not-an-id", "carol's"], ids=["unknown", "malformed", "carols"]
)
@SESSION_CALLS
def test_i10_a_non_member_gets_403_whatever_the_session_id(
    client: WorldClient, call: Call, session_id: str, org: str
) -> None:
    carols = start(client, CAROL, OTHER_ORG)["session_id"]
    asked = carols if session_id == "carol's" else session_id
    response = call(client, asked, ALICE, org)

    assert response.status_code == 403
    error = response.json()["error"]
    assert error["code"] == "ORGANIZATION_ACCESS_DENIED"
    assert error["type"] == "authorization_error"
    assert error["details"] == {"organization_id": org}


def test_i10_the_403_reveals_nothing_about_the_session(client: WorldClient) -> None:
    carols = start(client, CAROL, OTHER_ORG)["session_id"]
    existing = get(client, carols, ALICE, OTHER_ORG)
    unknown = get(client, NEVER_EXISTED, ALICE, OTHER_ORG)
    assert without_volatile(existing.json()) == without_volatile(unknown.json())


def test_i10_d3_a_non_member_cannot_start_a_session_there(client: WorldClient) -> None:
    response = client.post(
        sessions_path(OTHER_ORG), json={"goal": "focus", "target_minutes": 60}, headers=key(ALICE)
    )
    assert response.status_code == 403
    assert response.json()["error"]["details"] == {"organization_id": OTHER_ORG}


@SESSION_CALLS
def test_i10_d7_another_organizations_session_under_ones_own_organization_is_404(
    client: WorldClient, call: Call
) -> None:
    carols = start(client, CAROL, OTHER_ORG)["session_id"]
    _assert_session_not_found(call(client, carols, ALICE, ORG), carols)


@SESSION_CALLS
def test_i10_d3_even_the_owner_finds_a_session_only_under_its_own_organization(
    make_client: Callable[..., WorldClient], call: Call
) -> None:
    """A member of two organizations: the session is scoped to the one it was started in."""
    data = json.loads(json.dumps(DEFAULT_CONFIG_DATA))
    data["users"].append({"id": "usr_dave", "api_key": "dave-dev-key", "organizations": [ORG, OTHER_ORG]})
    client = make_client(parse_config(data))
    session = start(client, "dave-dev-key", OTHER_ORG)
    client.clock.advance(5)

    _assert_session_not_found(call(client, session["session_id"], "dave-dev-key", ORG), session["session_id"])
    assert get(client, session["session_id"], "dave-dev-key", OTHER_ORG).status_code == 200
