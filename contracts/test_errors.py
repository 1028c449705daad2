"""Error answers: D10's envelope on every kind of error, I11 (invalid input), I12 (routing).

Every test that expects an error also checks D10 (through ``Contract.expect_error``);
the D10 tests here provoke one of each kind the suite can cause.
"""

from __future__ import annotations

from typing import Any

import pytest

from contracts.assertions import Contract, fail
from contracts.client import END, GET, START, Answer, ApiClient
from contracts.plugin import ContractRun, never_existing_session_id
from contracts.sessions import require_start_slot
from contracts.settings import Caller

ONE_MIB = 1024 * 1024


def post_start(
    api: ApiClient, owner: Caller, content: bytes, content_type: str = "application/json"
) -> Answer:
    require_start_slot(api)
    path = api.routes.path(START, organization_id=owner.org_id or "")
    return api.send(
        "POST", path, api_key=owner.api_key, content=content, headers={"Content-Type": content_type}
    )


def allowed_methods(api: ApiClient, operation: str) -> set[str]:
    """The methods the spec declares on the path of ``operation``."""
    path = api.spec.operations[operation].path
    return {op.method for op in api.spec.operations.values() if op.path == path}


# -- D10 ------------------------------------------------------------------------


def provoke(kind: str, api: ApiClient, owner: Caller, outsider: Caller | None) -> Answer:
    """One error answer of ``kind``."""
    org = owner.org_id or ""
    ghost = never_existing_session_id()
    if kind == "missing key":
        return api.get(owner, ghost, api_key=None)
    if kind == "non-member":
        if outsider is None:
            pytest.skip("needs --outsider-api-key (a user of another organization)")
        return api.get(outsider, ghost, org=org)
    if kind == "unknown session":
        return api.get(owner, ghost)
    if kind == "unknown route":
        return api.send(
            "GET", api.routes.path(GET, organization_id=org, session_id=ghost) + "/x", api_key=owner.api_key
        )
    if kind == "wrong method":
        return api.send(
            "GET", api.routes.path(END, organization_id=org, session_id=ghost), api_key=owner.api_key
        )
    if kind == "body too large":
        return post_start(api, owner, b'{"goal": "' + b"a" * (ONE_MIB + 16) + b'"}')
    if kind == "invalid body":
        return post_start(api, owner, b'{"goal": 7}')
    raise ValueError(kind)


@pytest.mark.clause("D10")
@pytest.mark.parametrize(
    "kind",
    [
        "missing key",
        "non-member",
        "unknown session",
        "unknown route",
        "wrong method",
        "body too large",
        "invalid body",
    ],
)
def test_D10_every_error_body_is_the_documented_envelope(
    kind: str, api: ApiClient, contract: Contract, owner: Caller, contract_run: ContractRun
) -> None:
    """Whatever status the target picks for each mistake (I11-I13 say which), its body is the envelope."""
    answer = provoke(kind, api, owner, contract_run.outsider)
    assert 400 <= answer.status < 600, (
        f"D10: a request with a {kind} did not get an error: {answer.describe()}"
    )
    fail("D10", answer, contract.envelope_problems(answer))


# -- I11 ------------------------------------------------------------------------

INVALID_STARTS: dict[str, tuple[bytes, str, str | None]] = {
    # case: (body, content type, the field the error must name; None = any)
    "malformed JSON": (b'{"goal": "focus", ', "application/json", None),
    "empty body": (b"", "application/json", None),
    "array instead of object": (b"[]", "application/json", None),
    "missing goal": (b'{"target_minutes": 60}', "application/json", "goal"),
    "missing target_minutes": (b'{"goal": "focus"}', "application/json", "target_minutes"),
    "target_minutes as string": (
        b'{"goal": "focus", "target_minutes": "60"}',
        "application/json",
        "target_minutes",
    ),
    "target_minutes fractional": (
        b'{"goal": "focus", "target_minutes": 1.5}',
        "application/json",
        "target_minutes",
    ),
    "target_minutes 0": (b'{"goal": "focus", "target_minutes": 0}', "application/json", "target_minutes"),
    "target_minutes 481": (b'{"goal": "focus", "target_minutes": 481}', "application/json", "target_minutes"),
    "unknown field": (b'{"goal": "focus", "target_minutes": 60, "mood": "calm"}', "application/json", "mood"),
    "goal not an identifier": (b'{"goal": "Deep Focus!", "target_minutes": 60}', "application/json", "goal"),
    "engine not an identifier": (
        b'{"goal": "focus", "engine": "Studio", "target_minutes": 60}',
        "application/json",
        "engine",
    ),
    "wrong content type": (b'{"goal": "focus", "target_minutes": 60}', "text/plain", None),
}


@pytest.mark.clause("I11", "I14", "D10")
@pytest.mark.parametrize("case", list(INVALID_STARTS))
def test_I11_invalid_start_is_422_naming_the_field(
    case: str, api: ApiClient, contract: Contract, owner: Caller
) -> None:
    content, content_type, field = INVALID_STARTS[case]
    answer = post_start(api, owner, content, content_type)
    error = contract.expect_error(answer, 422, operation=START, clause="I11")
    if field is not None:
        named = [e["field"] for e in error["details"]["errors"]]
        assert any(field in name for name in named), f"I11: the errors name {named}, not {field!r}"


@pytest.mark.clause("I11", "D10")
def test_I11_body_over_one_mebibyte_is_413(api: ApiClient, contract: Contract, owner: Caller) -> None:
    answer = post_start(api, owner, b'{"goal": "' + b"a" * (ONE_MIB + 16) + b'", "target_minutes": 60}')
    contract.expect_error(answer, 413, operation=START, clause="I11")


# -- I12 ------------------------------------------------------------------------


@pytest.mark.clause("I12", "D10")
def test_I12_unknown_route_is_404_in_the_envelope(api: ApiClient, contract: Contract, owner: Caller) -> None:
    path = api.routes.path(START, organization_id=owner.org_id or "") + "-nowhere"
    contract.expect_error(
        api.send("GET", path, api_key=owner.api_key), 404, schema="NotFoundError", clause="I12"
    )


@pytest.mark.clause("I12", "D10")
@pytest.mark.parametrize(
    ("method", "operation"), [("GET", START), ("DELETE", GET), ("GET", END), ("PUT", END)]
)
def test_I12_wrong_method_is_405_with_allow(
    method: str,
    operation: str,
    api: ApiClient,
    contract: Contract,
    owner: Caller,
    standing_session: dict[str, Any],
) -> None:
    params: dict[str, str] = {"organization_id": owner.org_id or ""}
    if operation != START:
        params["session_id"] = standing_session["session_id"]
    answer = api.send(method, api.routes.path(operation, **params), api_key=owner.api_key)
    contract.expect_error(answer, 405, operation=operation, clause="I12")
    allow = {m.strip().upper() for m in answer.headers.get("allow", "").split(",") if m.strip()}
    declared = allowed_methods(api, operation)
    implied = {"HEAD"} if "GET" in declared else set()  # HTTP allows HEAD wherever GET is allowed
    assert declared <= allow <= declared | implied, (
        f"I12: Allow is {answer.headers.get('allow')!r}, the spec declares {sorted(declared)}"
    )
