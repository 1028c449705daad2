"""Sessions to load against: started through the API, or built directly for the scale runs.

Small runs start their sessions over HTTP, exactly as a user would. Building
100,000 that way takes minutes, so the scale runs fill a ``MemoryStore`` before
the server starts (see :mod:`bench.seeded_mock`); the records are plain
``SessionRecord`` facts, so the mock cannot tell them from started ones.
"""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator

from mockserver.store import SessionRecord

ORGANIZATION = "org_abc123"
API_KEY = "alice-dev-key"
OWNERS = ("usr_alice", "usr_bob")
SESSIONS_PATH = f"/v1/music/{ORGANIZATION}/focus/sessions"
HEADERS = {"X-API-Key": API_KEY}
START_BODY = json.dumps({"goal": "focus", "engine": "studio", "target_minutes": 60}).encode()
TARGET_MINUTES = (10, 60, 120, 480)


def session_path(session_id: str, suffix: str = "") -> str:
    return f"{SESSIONS_PATH}/{session_id}{suffix}"


def start_sessions(host: str, port: int, count: int) -> list[str]:
    """Start ``count`` sessions as alice through the public API; return their ids."""
    connection = http.client.HTTPConnection(host, port, timeout=10)
    ids: list[str] = []
    try:
        for _ in range(count):
            connection.request(
                "POST",
                SESSIONS_PATH,
                body=START_BODY,
                headers={**HEADERS, "Content-Type": "application/json"},
            )
            response = connection.getresponse()
            payload = response.read()
            if response.status != 201:
                raise RuntimeError(f"start answered {response.status}: {payload[:200]!r}")
            ids.append(json.loads(payload)["session_id"])
    finally:
        connection.close()
    return ids


def seeded_id(index: int) -> str:
    return f"mfocus_{index:012x}"


def alice_ids(total: int, limit: int) -> list[str]:
    """Up to ``limit`` ids among the first ``total`` seeded records that alice owns."""
    return [seeded_id(i) for i in range(0, total, len(OWNERS))][:limit]


def seeded_records(total: int, now: float) -> Iterator[SessionRecord]:
    """``total`` sessions in alice's organization, as a long-running mock would hold them.

    Owners alternate alice/bob; starts are spread over the last hour; sessions
    started more than a minute ago are ended 30 s after their start, the rest run.
    """
    for index in range(total):
        age = index % 3600
        started_at = round(now - age, 3)
        yield SessionRecord(
            session_id=seeded_id(index),
            organization_id=ORGANIZATION,
            owner_id=OWNERS[index % len(OWNERS)],
            goal="focus",
            engine="studio",
            target_minutes=TARGET_MINUTES[index % len(TARGET_MINUTES)],
            started_at=started_at,
            ended_at=round(started_at + 30, 3) if age >= 60 else None,
        )
