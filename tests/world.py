"""The default world as tests see it: keys, organizations, timings and small helpers.

Values mirror ``mockserver.config.DEFAULT_CONFIG_DATA``; ``test_config`` checks
that they still agree, so a change there cannot silently weaken these tests.
"""

from __future__ import annotations

from typing import Any

import httpx

from mockserver.clock import isoformat

START = 1_800_000_000.0  # 2027-01-15T08:00:00Z: a whole second, far from any real "now"
FIRST = 3.0
INTERVAL = 10.0

ORG = "org_abc123"
OTHER_ORG = "org_xyz789"
ALICE = "alice-dev-key"  # usr_alice, member of ORG
BOB = "bob-dev-key"  # usr_bob, member of ORG
CAROL = "carol-dev-key"  # usr_carol, member of OTHER_ORG only

NEVER_EXISTED = "mfocus_000000000000"
SEGMENT_NEVER_EXISTED = "mseg_000000000000"


def key(api_key: str) -> dict[str, str]:
    return {"X-API-Key": api_key}


def sessions_path(org: str = ORG) -> str:
    return f"/v1/music/{org}/focus/sessions"


def session_path(session_id: str, org: str = ORG) -> str:
    return f"{sessions_path(org)}/{session_id}"


def end_path(session_id: str, org: str = ORG) -> str:
    return f"{session_path(session_id, org)}/end"


def promote_path(session_id: str, segment_id: str, org: str = ORG) -> str:
    return f"{session_path(session_id, org)}/segments/{segment_id}/promote"


def due(started: float, index: int, first: float = FIRST, interval: float = INTERVAL) -> str:
    """When segment ``index`` of a session started at ``started`` is ready, as the API writes it."""
    return isoformat(started + first + index * interval)


def start(
    client: httpx.Client,
    api_key: str = ALICE,
    org: str = ORG,
    *,
    goal: str = "focus",
    target_minutes: int = 60,
    **extra: Any,
) -> dict[str, Any]:
    """Start a session and return its body; anything but 201 fails the calling test."""
    response = client.post(
        sessions_path(org),
        json={"goal": goal, "target_minutes": target_minutes, **extra},
        headers=key(api_key),
    )
    assert response.status_code == 201, response.text
    return response.json()


def get(client: httpx.Client, session_id: str, api_key: str = ALICE, org: str = ORG) -> httpx.Response:
    return client.get(session_path(session_id, org), headers=key(api_key))


def end(client: httpx.Client, session_id: str, api_key: str = ALICE, org: str = ORG) -> httpx.Response:
    return client.post(end_path(session_id, org), headers=key(api_key))


def promote(
    client: httpx.Client, session_id: str, segment_id: str, api_key: str = ALICE, org: str = ORG
) -> httpx.Response:
    return client.post(promote_path(session_id, segment_id, org), headers=key(api_key))


def without_volatile(body: dict[str, Any]) -> dict[str, Any]:
    """An error body minus what differs between any two answers: trace id and timestamp."""
    error = {k: v for k, v in body["error"].items() if k not in ("trace_id", "timestamp")}
    return {**body, "error": error}
