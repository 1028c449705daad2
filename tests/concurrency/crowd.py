"""A small world with a tight quota, and callers whose every answer is written down.

Four users in two organizations (one user belongs to both), quotas small enough
that overlapping sessions run into them, and fast timings so a few clock steps
make segments ready. Each request is recorded with when it was sent and when its
answer came back, so invariants can be checked afterwards from what every caller
saw, in real-time order.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import yaml

ALPHA, BETA = "org_alpha", "org_beta"
QUOTAS = {ALPHA: 150, BETA: 9}  # Alpha has room to run; Beta meets its cap early


@dataclass(frozen=True)
class Caller:
    user_id: str
    api_key: str
    organizations: tuple[str, ...]

    @property
    def headers(self) -> dict[str, str]:
        return {"X-API-Key": self.api_key}


ANN = Caller("usr_ann", "ann-key-0001", (ALPHA,))
BEN = Caller("usr_ben", "ben-key-0002", (ALPHA,))
CAT = Caller("usr_cat", "cat-key-0003", (BETA,))
DAN = Caller("usr_dan", "dan-key-0004", (ALPHA, BETA))
CALLERS = (ANN, BEN, CAT, DAN)

CONFIG: dict[str, Any] = {
    "timings": {"first_segment_seconds": 0, "segment_interval_seconds": 2},
    "organizations": [{"id": org, "name": org, "segment_quota": quota} for org, quota in QUOTAS.items()],
    "users": [
        {"id": c.user_id, "api_key": c.api_key, "organizations": list(c.organizations)} for c in CALLERS
    ],
}


def write_config(folder: Path) -> Path:
    path = folder / "crowd.yaml"
    path.write_text(yaml.safe_dump(CONFIG), encoding="utf-8")
    return path


def sessions_path(org: str) -> str:
    return f"/v1/music/{org}/focus/sessions"


def session_path(org: str, session_id: str) -> str:
    return f"{sessions_path(org)}/{session_id}"


@dataclass(frozen=True)
class Record:
    """One request and its answer, as one caller saw it."""

    observer: str
    operation: str
    session_id: str | None
    sent: float
    received: float
    status: int
    body: Any

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


class Recorder:
    """Sends requests on one shared connection pool and keeps every answer."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self.records: list[Record] = []

    async def call(
        self,
        observer: str,
        operation: str,
        method: str,
        path: str,
        session_id: str | None = None,
        **kwargs: Any,
    ) -> Record:
        sent = time.monotonic()
        response = await self.client.request(method, path, **kwargs)
        received = time.monotonic()
        body = response.json() if response.content else None
        record = Record(observer, operation, session_id, sent, received, response.status_code, body)
        self.records.append(record)
        return record

    def of(self, operation: str, session_id: str | None = None) -> list[Record]:
        return [
            r
            for r in self.records
            if r.operation == operation and (session_id is None or r.session_id == session_id)
        ]
