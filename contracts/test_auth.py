"""Authentication: D2 on every operation, and I13 (the key is checked before anything else)."""

from __future__ import annotations

import secrets
from typing import Any

import pytest

from contracts.assertions import Contract
from contracts.client import END, GET, PROMOTE, START, ApiClient
from contracts.plugin import never_existing_session_id
from contracts.sessions import require_start_slot
from contracts.settings import Caller

OPERATIONS = (START, GET, END, PROMOTE)
# Absent, empty, and a key no server issued.
BAD_KEYS = {"missing": None, "empty": "", "wrong": "focus-contract-not-a-key-" + secrets.token_hex(8)}


def params_for(operation: str, session: dict[str, Any]) -> dict[str, str]:
    if operation == START:
        return {}
    params = {"session_id": session["session_id"]}
    if operation == PROMOTE:
        params["segment_id"] = "mseg_" + session["session_id"][-12:]
    return params


@pytest.mark.clause("D2", "D10")
@pytest.mark.parametrize("key", list(BAD_KEYS))
@pytest.mark.parametrize("operation", OPERATIONS)
def test_D2_request_without_a_valid_key_is_401(
    operation: str,
    key: str,
    api: ApiClient,
    contract: Contract,
    owner: Caller,
    standing_session: dict[str, Any],
) -> None:
    """A request that would succeed with the owner's key, sent with a missing, empty or wrong key."""
    if operation == START:
        require_start_slot(api)
    answer = api.call(operation, owner, api_key=BAD_KEYS[key], **params_for(operation, standing_session))
    contract.expect_error(answer, 401, operation=operation, clause="D2")


@pytest.mark.clause("I13", "D10")
@pytest.mark.parametrize(
    "case",
    [
        "unknown organization",
        "never-existing session",
        "malformed JSON body",
        "body over 1 MiB",
        "unknown route",
        "wrong method",
    ],
)
def test_I13_authentication_comes_before_anything_else(
    case: str, api: ApiClient, contract: Contract, owner: Caller
) -> None:
    routes = api.routes
    org = owner.org_id or ""
    start_path = routes.path(START, organization_id=org)
    requests_by_case = {
        "unknown organization": (
            "GET",
            routes.path(GET, organization_id="org-unknown", session_id="mfocus_x"),
            None,
        ),
        "never-existing session": (
            "GET",
            routes.path(GET, organization_id=org, session_id=never_existing_session_id()),
            None,
        ),
        "malformed JSON body": ("POST", start_path, b'{"goal": "focus",'),
        "body over 1 MiB": ("POST", start_path, b'{"goal": "' + b"a" * (1024 * 1024 + 16) + b'"}'),
        "unknown route": ("GET", start_path + "/" + never_existing_session_id() + "/nothing-here", None),
        "wrong method": (
            "GET",
            routes.path(END, organization_id=org, session_id=never_existing_session_id()),
            None,
        ),
    }
    method, path, content = requests_by_case[case]
    if method == "POST":
        require_start_slot(api)
    headers = {"Content-Type": "application/json"} if content is not None else None
    answer = api.send(method, path, content=content, headers=headers)
    contract.expect_error(answer, 401, schema="AuthenticationError", clause="I13")
