"""Authentication: the X-API-Key header (D2), checked before anything else (I13)."""

from __future__ import annotations

import httpx
import pytest
from spec_client import WorldClient
from world import ALICE, NEVER_EXISTED, OTHER_ORG, end_path, promote_path, session_path, sessions_path, start

OPERATIONS = [
    ("POST", sessions_path()),
    ("GET", session_path(NEVER_EXISTED)),
    ("POST", end_path(NEVER_EXISTED)),
    ("POST", promote_path(NEVER_EXISTED, "mseg_3b9d2e7a4c1f")),
]

BAD_KEYS: list[dict[str, str]] = [
    {},
    {"X-API-Key": ""},
    {"X-API-Key": "not-a-key"},
    {"X-API-Key": ALICE.upper()},
    {"X-API-Key": ALICE + "x"},
    {"X-API-Key": ALICE[:-1]},
    {"Authorization": f"Bearer {ALICE}"},
    {"X-Api-Key-Other": ALICE},
]


@pytest.fixture(scope="module")
def client(shared_client: WorldClient) -> WorldClient:
    """A 401 depends on nothing but the request, so the module shares one app."""
    return shared_client


def _assert_unauthorized(response: httpx.Response) -> None:
    assert response.status_code == 401
    error = response.json()["error"]
    assert error["code"] == "AUTHENTICATION_REQUIRED"
    assert error["type"] == "authentication_error"
    assert error["details"] == {}


@pytest.mark.parametrize(("method", "path"), OPERATIONS)
@pytest.mark.parametrize("headers", BAD_KEYS, ids=lambda h: repr(h)[:40])
def test_d2_a_missing_or_invalid_key_is_401(
    client: WorldClient, method: str, path: str, headers: dict[str, str]
) -> None:
    _assert_unauthorized(client.request(method, path, headers=headers, json={"goal": "focus"}))


def test_d2_the_key_of_an_existing_session_owner_is_still_needed(client: WorldClient) -> None:
    session = start(client)
    _assert_unauthorized(client.get(session_path(session["session_id"])))
    _assert_unauthorized(client.post(end_path(session["session_id"])))
    # and the unauthenticated end changed nothing
    assert client.get(session_path(session["session_id"]), headers={"X-API-Key": ALICE}).json() == session


NOT_EVEN_LOOKED_AT = [
    ("GET", "/nowhere", {}, b""),
    ("GET", "/v1/music/org_abc123/focus", {}, b""),
    ("POST", sessions_path(), {"content-type": "application/json"}, b"{not json"),
    ("POST", sessions_path(), {"content-type": "text/plain"}, b"hello"),
    ("POST", sessions_path(OTHER_ORG), {"content-type": "application/json"}, b'{"goal":"focus"}'),
    ("GET", session_path(NEVER_EXISTED, OTHER_ORG), {}, b""),
    ("GET", sessions_path(), {}, b""),
    ("DELETE", session_path(NEVER_EXISTED), {}, b""),
    ("GET", session_path(NEVER_EXISTED) + "/", {}, b""),
    ("GET", session_path("malformed"), {}, b""),
    ("POST", sessions_path(), {"content-length": str(50 * 1024 * 1024)}, b"{}"),
]


@pytest.mark.parametrize(
    ("method", "path", "headers", "body"),
    NOT_EVEN_LOOKED_AT,
    ids=[
        "unknown-route",
        "unknown-prefix",
        "bad-json",
        "wrong-content-type",
        "foreign-org",
        "foreign-org-get",
        "wrong-method",
        "unsupported-method",
        "trailing-slash",
        "malformed-id",
        "declared-oversize",
    ],
)
def test_i13_without_a_valid_key_the_answer_is_401_whatever_else_is_wrong(
    client: WorldClient, method: str, path: str, headers: dict[str, str], body: bytes
) -> None:
    _assert_unauthorized(client.request(method, path, headers=headers, content=body))
    _assert_unauthorized(
        client.request(method, path, headers={**headers, "X-API-Key": "wrong-key"}, content=body)
    )


def test_i13_only_the_mock_control_plane_is_open(client: WorldClient) -> None:
    assert client.get("/__mock/clock").status_code == 200
    _assert_unauthorized(client.get("/__mock"))
    _assert_unauthorized(client.get("/__mockery/clock"))
