"""Fixtures for the mock's developer tools: an in-process client, a real server, a fake sleep.

``client`` talks to a fresh app on a virtual clock from a loopback address;
``make_client(**create_app_kwargs)`` builds others (``client_address`` sets
where the request seems to come from). ``serve(app)`` runs an app under
uvicorn on a free loopback port for what only a real server shows (a dropped
connection, a browser). Forced delays go to ``sleeps`` instead of the clock
on the wall, so no test waits.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from starlette.types import ASGIApp

from mockserver.app import create_app
from mockserver.clock import VirtualClock
from mockserver.spec import Spec

START = 1_782_639_000.0  # 2026-06-28T09:30:00Z
ALICE = {"X-API-Key": "alice-dev-key"}
BOB = {"X-API-Key": "bob-dev-key"}
CAROL = {"X-API-Key": "carol-dev-key"}
SESSIONS = "/v1/music/org_abc123/focus/sessions"
LOOPBACK = ("127.0.0.1", 50123)
SPEC = Spec.load()


class SyncASGITransport(httpx.BaseTransport):
    """``httpx.ASGITransport`` behind a synchronous interface, one event loop per client."""

    def __init__(self, app: ASGIApp, client: tuple[str, int]) -> None:
        self._asgi = httpx.ASGITransport(app=app, client=client)
        self._runner = asyncio.Runner()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self._runner.run(self._handle(request))

    async def _handle(self, request: httpx.Request) -> httpx.Response:
        forwarded = httpx.Request(
            request.method, request.url, headers=request.headers, content=request.read()
        )
        answer = await self._asgi.handle_async_request(forwarded)
        content = await answer.aread()
        return httpx.Response(answer.status_code, headers=answer.headers, content=content, request=request)

    def close(self) -> None:
        self._runner.close()


class Sleeps(list[float]):
    """Stands in for ``asyncio.sleep``: records each requested delay, in seconds."""

    async def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock(START)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


MakeClient = Callable[..., httpx.Client]


@pytest.fixture
def make_client(clock: VirtualClock, sleeps: Sleeps) -> Iterator[MakeClient]:
    clients: list[httpx.Client] = []

    def make(client_address: tuple[str, int] = LOOPBACK, **kwargs: Any) -> httpx.Client:
        kwargs.setdefault("clock", clock)
        kwargs.setdefault("sleep", sleeps)
        kwargs.setdefault("spec", SPEC)
        app = create_app(**kwargs)
        client = httpx.Client(
            transport=SyncASGITransport(app, client_address), base_url="http://127.0.0.1:4010"
        )
        client.app = app  # type: ignore[attr-defined]
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def client(make_client: MakeClient) -> httpx.Client:
    return make_client()


def start_session(client: httpx.Client, headers: dict[str, str] = ALICE, minutes: int = 60) -> dict[str, Any]:
    answer = client.post(SESSIONS, json={"goal": "focus", "target_minutes": minutes}, headers=headers)
    assert answer.status_code == 201, answer.text
    return answer.json()
