"""Routing answers (I12) and the error envelope every error shares (D10)."""

from __future__ import annotations

import re

import httpx
import pytest
from spec_client import WorldClient
from world import (
    ALICE,
    NEVER_EXISTED,
    START,
    end,
    end_path,
    get,
    key,
    promote_path,
    session_path,
    sessions_path,
    start,
)

from mockserver.app import create_app
from mockserver.clock import VirtualClock, isoformat
from mockserver.spec import Spec
from mockserver.store import MemoryStore, SessionRecord

REQUEST_ID = re.compile(r"^req_[A-Za-z0-9]+$")
ERROR_FIELDS = ["code", "message", "system_message", "type", "status", "details", "trace_id", "timestamp"]


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/nowhere",
        "/v1",
        "/v1/music",
        "/v1/music/org_abc123/focus",
        "/v2/music/org_abc123/focus/sessions",
    ],
)
def test_i12_an_unknown_route_is_404_resource_not_found(client: WorldClient, path: str) -> None:
    response = client.get(path, headers=key(ALICE))
    assert response.status_code == 404
    error = response.json()["error"]
    assert (error["code"], error["type"]) == ("RESOURCE_NOT_FOUND", "client_error")
    assert error["details"] == {"path": path}


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("GET", sessions_path(), "POST"),
        ("DELETE", sessions_path(), "POST"),
        ("POST", session_path(NEVER_EXISTED), "GET, HEAD"),
        ("PUT", session_path(NEVER_EXISTED), "GET, HEAD"),
        ("DELETE", session_path(NEVER_EXISTED), "GET, HEAD"),
        ("GET", end_path(NEVER_EXISTED), "POST"),
        ("PATCH", end_path(NEVER_EXISTED), "POST"),
        ("GET", promote_path(NEVER_EXISTED, "mseg_3b9d2e7a4c1f"), "POST"),
    ],
)
def test_i12_a_known_route_with_a_wrong_method_is_405_with_allow(
    client: WorldClient, method: str, path: str, allow: str
) -> None:
    response = client.request(method, path, headers=key(ALICE))
    assert response.status_code == 405
    assert response.headers["allow"] == allow
    error = response.json()["error"]
    assert error["code"] == "METHOD_NOT_ALLOWED"
    assert error["details"] == {"method": method, "allowed": allow.split(", ")}


def test_i12_405_does_not_depend_on_the_session_existing(client: WorldClient) -> None:
    session = start(client)["session_id"]
    response = client.delete(session_path(session), headers=key(ALICE))
    assert response.status_code == 405
    assert get(client, session).status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        sessions_path() + "/",
        session_path(NEVER_EXISTED) + "/",
        end_path(NEVER_EXISTED) + "/",
        promote_path(NEVER_EXISTED, "mseg_3b9d2e7a4c1f") + "/",
    ],
)
def test_i12_a_trailing_slash_is_404_not_a_redirect(client: WorldClient, path: str) -> None:
    for method in ("GET", "POST"):
        response = client.request(method, path, headers=key(ALICE))
        assert response.status_code == 404
        assert "location" not in response.headers
        assert response.json()["error"]["details"] == {"path": path}


def test_i12_a_trailing_slash_on_a_real_session_is_still_404(client: WorldClient) -> None:
    session = start(client)["session_id"]
    response = client.get(session_path(session) + "/", headers=key(ALICE))
    assert response.status_code == 404
    assert response.json()["error"]["details"] == {"path": session_path(session) + "/"}


class ExplodingStore(MemoryStore):
    """A store that fails on reads, to see how an unexpected fault is answered."""

    def get(self, session_id: str) -> SessionRecord | None:
        raise RuntimeError("disk on fire")


def test_i12_a_server_fault_is_a_500_internal_error_in_the_envelope(spec: Spec) -> None:
    clock = VirtualClock(START)
    app = create_app(clock=clock, store=ExplodingStore(), spec=spec)
    with WorldClient(app, spec, clock) as client:
        client.allow_server_errors = True
        response = get(client, NEVER_EXISTED)
    assert response.status_code == 500
    error = response.json()["error"]
    assert (error["code"], error["type"]) == ("INTERNAL_ERROR", "server_error")
    assert "disk on fire" not in response.text


def _some_errors(client: WorldClient) -> list[httpx.Response]:
    session = start(client)["session_id"]
    return [
        client.get(session_path(session)),  # 401
        client.get(session_path(session, "org_xyz789"), headers=key(ALICE)),  # 403
        get(client, NEVER_EXISTED),  # 404 session
        client.get("/nowhere", headers=key(ALICE)),  # 404 route
        client.put(session_path(session), headers=key(ALICE)),  # 405
        client.post(sessions_path(), content=b"{}", headers={**key(ALICE), "content-length": "9999999"}),
        client.post(sessions_path(), json={}, headers=key(ALICE)),  # 422
    ]


def test_d10_every_error_has_the_documented_envelope(client: WorldClient) -> None:
    client.clock.advance(61.5)
    responses = _some_errors(client)
    assert [r.status_code for r in responses] == [401, 403, 404, 404, 405, 413, 422]
    for response in responses:
        body = response.json()
        assert list(body) == ["success", "error"]
        assert body["success"] is False
        error = body["error"]
        assert list(error) == ERROR_FIELDS
        assert error["status"] == response.status_code
        assert isinstance(error["details"], dict)
        assert REQUEST_ID.fullmatch(error["trace_id"])
        assert error["trace_id"] == response.headers["x-request-id"]
        assert error["timestamp"] == isoformat(START + 61.5) == "2027-01-15T08:01:01.500Z"
        assert response.headers["content-type"] == "application/json"


def test_every_answer_carries_a_fresh_x_request_id(client: WorldClient) -> None:
    session = start(client)
    client.clock.advance(5)
    responses = [
        client.post(sessions_path(), json={"goal": "focus", "target_minutes": 2}, headers=key(ALICE)),
        get(client, session["session_id"]),
        end(client, session["session_id"]),
        *_some_errors(client),
        client.get("/__mock/clock"),
        client.get(get(client, session["session_id"]).json()["segments"][0]["audio_url"]),
        client.head(session_path(session["session_id"]), headers=key(ALICE)),
    ]
    ids = [r.headers["x-request-id"] for r in responses]
    assert all(REQUEST_ID.fullmatch(i) for i in ids)
    assert len(set(ids)) == len(ids)


def _forceable() -> list[tuple[str, int]]:
    spec = Spec.load()
    return [(op.operation_id, s) for op in spec.operations.values() for s in sorted(op.statuses) if s >= 400]


@pytest.mark.parametrize(("operation_id", "status"), _forceable())
def test_i12_every_documented_error_the_mock_can_be_asked_for_matches_the_spec(
    client: WorldClient, spec: Spec, operation_id: str, status: int
) -> None:
    """``Prefer: code=N`` gives each documented error as the spec shows it (429 with Retry-After,
    405 with Allow, 500 INTERNAL_ERROR); the client checks body and documented headers."""
    op = spec.operations[operation_id]
    path = (
        op.path.replace("{organization_id}", "org_abc123")
        .replace("{session_id}", NEVER_EXISTED)
        .replace("{segment_id}", "mseg_3b9d2e7a4c1f")
    )
    body = {"goal": "focus", "target_minutes": 60} if op.has_body else None
    client.allow_server_errors = status >= 500
    response = client.request(op.method, path, json=body, headers={**key(ALICE), "Prefer": f"code={status}"})
    assert response.status_code == status
    assert response.json()["error"]["code"] == spec.error_templates[status]["code"]
