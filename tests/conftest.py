"""Fixtures: the mock in-process on a virtual clock, and a client that checks every answer.

``client`` is the default world at ``world.START``; move time with
``clock.advance(seconds)``. For another world (a small quota, other timings)
use ``make_client(config)``, which returns a client with its own clock as
``client.clock``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from spec_client import WorldClient
from starlette.applications import Starlette
from world import START

from mockserver.app import create_app
from mockserver.clock import VirtualClock
from mockserver.config import Config, load_config
from mockserver.control import load_document
from mockserver.spec import Spec

MakeClient = Callable[..., WorldClient]


@pytest.fixture(scope="session")
def spec() -> Spec:
    return Spec.load()


@pytest.fixture(scope="session")
def control_document() -> Spec:
    """The control plane's own OpenAPI document: ``/__mock`` answers are checked against it."""
    return load_document()


@pytest.fixture
def config() -> Config:
    return load_config(None)


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock(START)


@pytest.fixture
def app(config: Config, clock: VirtualClock, spec: Spec) -> Starlette:
    return create_app(config, clock, spec=spec)


@pytest.fixture
def make_client(spec: Spec, control_document: Spec) -> Iterator[MakeClient]:
    """Clients on fresh apps: ``make_client(config=None, start=START)``."""
    clients: list[WorldClient] = []

    def make(config: Config | None = None, start: float = START) -> WorldClient:
        clock = VirtualClock(start)
        app = create_app(config or load_config(None), clock, spec=spec)
        client = WorldClient(app, spec, clock, control_document)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def client(app: Starlette, spec: Spec, clock: VirtualClock, control_document: Spec) -> Iterator[WorldClient]:
    with WorldClient(app, spec, clock, control_document) as world_client:
        yield world_client


@pytest.fixture(scope="module")
def shared_client(spec: Spec, control_document: Spec) -> Iterator[WorldClient]:
    """One app for a whole module, for modules whose answers do not depend on earlier requests.

    Building an app is the slow part of a test; modules of many small,
    stateless cases opt in by overriding ``client`` with this.
    """
    clock = VirtualClock(START)
    app = create_app(load_config(None), clock, spec=spec)
    with WorldClient(app, spec, clock, control_document) as world_client:
        yield world_client
