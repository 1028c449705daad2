"""Fixtures for the corpus: one app in process and one real mock per HTTP parser, each with a session.

Both hold a session of Alice's with three ready segments, started on a virtual
clock, so rows aimed at real resources (``{session}``, ``{segment}``) reach them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest
from live_mock import LiveMock, http_parsers
from spec_client import ResponseChecker, SyncASGITransport
from starlette.applications import Starlette
from world import START

from mockserver.app import create_app
from mockserver.clock import VirtualClock
from mockserver.config import load_config
from mockserver.spec import Spec

from .corpus import ALICE, SESSIONS, VALID, World
from .wire import ANSWER_SECONDS

READY_AFTER_SECONDS = 30  # first segment after 3 s, then one every 10 s: three are ready


class BoundedTransport(SyncASGITransport):
    """The in-process transport with a deadline: an app that does not answer in time fails the row."""

    async def _handle(self, request: httpx.Request) -> httpx.Response:
        async with asyncio.timeout(ANSWER_SECONDS):
            return await super()._handle(request)


class CorpusClient(httpx.Client):
    """Like ``spec_client.SpecClient`` (every answer held to the spec), with a deadline per request."""

    def __init__(self, app: Starlette, spec: Spec, control: Spec) -> None:
        self.checker = ResponseChecker(spec, app.routes, control)
        super().__init__(
            transport=BoundedTransport(app),
            base_url="http://testserver",
            event_hooks={"response": [self._check]},
        )

    def _check(self, response: httpx.Response) -> None:
        response.read()
        self.checker.check(response)


def _world(client: httpx.Client) -> World:
    started = client.post(
        SESSIONS, content=VALID, headers={**dict(ALICE), "Content-Type": "application/json"}
    )
    assert started.status_code == 201, started.text
    session_id = started.json()["session_id"]
    client.post("/__mock/clock/advance", json={"seconds": READY_AFTER_SECONDS}).raise_for_status()
    session = client.get(f"{SESSIONS}/{session_id}", headers=dict(ALICE)).json()
    assert session["ready_count"] == 3
    return World(session=session_id, segment=session["segments"][0]["segment_id"])


@pytest.fixture(scope="module")
def in_process(spec: Spec, control_document: Spec) -> Iterator[tuple[CorpusClient, World]]:
    app = create_app(load_config(None), VirtualClock(START), spec=spec)
    with CorpusClient(app, spec, control_document) as client:
        yield client, _world(client)


@pytest.fixture(scope="package", params=http_parsers())
def live(request: pytest.FixtureRequest) -> Iterator[tuple[LiveMock, World]]:
    """A real focus-mock on the h11 parser, and one on httptools where it is installed."""
    with LiveMock("--clock", "virtual", http=request.param, quiet=False) as mock, mock.client() as client:
        yield mock, _world(client)
