"""Whatever a control-plane request carries, the answer is a documented status, never a 500."""

from __future__ import annotations

import json

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mockserver.control import load_document

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)
FIELDS = st.fixed_dictionaries(
    {},
    optional={
        "seconds": JSON,
        "ready_count": JSON,
        "segment_quota": JSON,
        "operation": st.sampled_from(["getFocusSession", "startFocusSession", "nope"]) | JSON,
        "api_key": st.sampled_from(["alice-dev-key", "x"]) | JSON,
        "status": st.integers(0, 700) | JSON,
        "delay_ms": st.integers(-5, 200_000) | JSON,
        "drop": JSON,
        "times": JSON,
    },
)
BODIES = FIELDS | JSON
WRITES = [
    (
        op.method,
        op.path.replace("{session_id}", "mfocus_000000000000").replace("{organization_id}", "org_abc123"),
    )
    for op in load_document().operations.values()
    if op.method in {"POST", "PUT"}
]


@pytest.mark.parametrize(("method", "path"), WRITES)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=BODIES)
def test_any_json_body_gets_a_documented_answer(
    client: httpx.Client, method: str, path: str, body: object
) -> None:
    answer = client.request(
        method, path, content=json.dumps(body), headers={"Content-Type": "application/json"}
    )
    assert answer.status_code in {200, 201, 404, 422}, answer.text
    assert answer.headers["content-type"] == "application/json"
    if answer.status_code >= 400:
        assert answer.json()["error"]["trace_id"] == answer.headers["X-Request-ID"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(params=st.dictionaries(st.sampled_from(["limit", "operation", "status", "x"]), st.text(max_size=8)))
def test_any_journal_query_gets_200_or_422(client: httpx.Client, params: dict[str, str]) -> None:
    assert client.get("/__mock/journal", params=params).status_code in {200, 422}
