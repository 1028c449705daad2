"""CORS for browser frontends: preflights answered before the 401 check, X-Request-ID exposed."""

from __future__ import annotations

import httpx
import pytest

from .conftest import ALICE, SESSIONS, SPEC, MakeClient

PREFLIGHT = {
    "Origin": "http://localhost:5173",
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "x-api-key, content-type",
}


@pytest.mark.parametrize(
    "origin", ["http://localhost:5173", "http://127.0.0.1:3000", "http://[::1]:8080", "http://localhost"]
)
def test_preflight_from_any_localhost_origin_is_allowed_without_a_key(
    client: httpx.Client, origin: str
) -> None:
    answer = client.options(SESSIONS, headers={**PREFLIGHT, "Origin": origin})
    assert answer.status_code == 200
    assert answer.headers["Access-Control-Allow-Origin"] == origin
    allowed_headers = {h.strip().lower() for h in answer.headers["Access-Control-Allow-Headers"].split(",")}
    assert {"x-api-key", "content-type", "prefer"} <= allowed_headers
    allowed_methods = {m.strip() for m in answer.headers["Access-Control-Allow-Methods"].split(",")}
    assert {"GET", "POST"} <= allowed_methods


@pytest.mark.parametrize(
    "origin", ["http://evil.example", "http://localhost.evil.example", "https://127.0.0.1.nip.io"]
)
def test_other_origins_are_not_allowed_by_default(client: httpx.Client, origin: str) -> None:
    answer = client.options(SESSIONS, headers={**PREFLIGHT, "Origin": origin})
    assert answer.status_code == 400
    assert "Access-Control-Allow-Origin" not in answer.headers


def test_a_refused_preflight_is_in_the_envelope_saying_how_to_allow_it(client: httpx.Client) -> None:
    """Regression: a plain-text "Disallowed CORS origin" without X-Request-ID."""
    origin = "https://evil.example.com"
    answer = client.options(SESSIONS, headers={"Origin": origin, "Access-Control-Request-Method": "POST"})
    assert answer.status_code == 400 and answer.headers["content-type"] == "application/json"
    body = answer.json()
    assert [e.message for e in SPEC.validator("/components/schemas/ErrorEnvelope").iter_errors(body)] == []
    error = body["error"]
    assert (error["code"], error["type"], error["status"]) == ("CORS_PREFLIGHT_REFUSED", "client_error", 400)
    assert error["trace_id"] == answer.headers["X-Request-ID"]
    assert error["details"] == {"origin": origin, "refused": ["origin"]}
    assert f"--cors-origin {origin}" in error["system_message"]


def test_a_refused_method_and_header_are_named(client: httpx.Client) -> None:
    answer = client.options(
        SESSIONS,
        headers={
            **PREFLIGHT,
            "Access-Control-Request-Method": "PATCH",
            "Access-Control-Request-Headers": "x-foo",
        },
    )
    assert answer.status_code == 400
    assert answer.json()["error"]["details"]["refused"] == ["method", "headers"]


def test_an_allowed_preflight_has_a_request_id_too(client: httpx.Client) -> None:
    answer = client.options(SESSIONS, headers=PREFLIGHT)
    assert answer.status_code == 200 and answer.headers["X-Request-ID"].startswith("req_")


def test_actual_request_exposes_the_request_id(client: httpx.Client) -> None:
    answer = client.post(
        SESSIONS,
        json={"goal": "focus", "target_minutes": 10},
        headers={**ALICE, "Origin": "http://localhost:5173"},
    )
    assert answer.status_code == 201
    assert answer.headers["Access-Control-Allow-Origin"] == "http://localhost:5173"
    exposed = {h.strip().lower() for h in answer.headers["Access-Control-Expose-Headers"].split(",")}
    assert {"x-request-id", "location", "retry-after"} <= exposed


def test_errors_carry_cors_headers_so_the_browser_can_read_them(client: httpx.Client) -> None:
    answer = client.get(SESSIONS + "/mfocus_000000000000", headers={"Origin": "http://localhost:5173"})
    assert answer.status_code == 401
    assert answer.headers["Access-Control-Allow-Origin"] == "http://localhost:5173"


def test_an_options_request_that_is_not_a_preflight_still_needs_a_key(client: httpx.Client) -> None:
    """I13 holds for everything but a real preflight."""
    assert client.options(SESSIONS).status_code == 401


def test_origins_are_configurable(make_client: MakeClient) -> None:
    client = make_client(cors_origins=["https://design.example.com"])
    allowed = client.options(SESSIONS, headers={**PREFLIGHT, "Origin": "https://design.example.com"})
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://design.example.com"
    assert client.options(SESSIONS, headers=PREFLIGHT).status_code == 400  # localhost no longer implied


def test_any_origin_with_a_star(make_client: MakeClient) -> None:
    client = make_client(cors_origins=["*"])
    answer = client.options(SESSIONS, headers={**PREFLIGHT, "Origin": "https://anything.example"})
    assert answer.status_code == 200 and answer.headers["Access-Control-Allow-Origin"] == "*"
