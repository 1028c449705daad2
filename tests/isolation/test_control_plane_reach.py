"""The control plane answers this machine only, unless focus-mock is told otherwise.

Every operation of the control document is tried from addresses that are not
loopback (and from names that are not addresses at all, as a forwarded
``unknown`` would be): each gets the enveloped ``403`` and changes nothing a
loopback client can see. ``--control-from-anywhere`` opens it. On a real
process, a loopback proxy's ``X-Forwarded-For`` is what uvicorn reports as the
client, so a forwarded remote client is refused too.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from live_mock import LiveMock
from world import ALICE, START, key, sessions_path

from mockserver.app import create_app
from mockserver.clock import VirtualClock
from mockserver.config import load_config
from mockserver.control import load_document
from mockserver.spec import Spec

REMOTE = ["203.0.113.9", "10.0.0.5", "0.0.0.0", "::ffff:203.0.113.9", "2001:db8::1", "unknown", "localhost"]
BODIES: dict[str, dict[str, Any]] = {
    "advanceClock": {"seconds": 5},
    "jumpSession": {"ready_count": 2},
    "setQuota": {"segment_quota": 3},
    "addFault": {"operation": "getFocusSession", "status": 500},
}


# Run after the rest, in this order: each forgets what a later request would need.
FORGETFUL = ("removeFault", "clearFaults", "clearJournal", "reset")


class AddressedTransport(httpx.BaseTransport):
    """The app in process, as seen from ``client``."""

    def __init__(self, app: Any, client: tuple[str, int]) -> None:
        self._asgi = httpx.ASGITransport(app=app, client=client)
        self._runner = asyncio.Runner()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        async def handle() -> httpx.Response:
            forwarded = httpx.Request(
                request.method, request.url, headers=request.headers, content=request.read()
            )
            answer = await self._asgi.handle_async_request(forwarded)
            return httpx.Response(
                answer.status_code, headers=answer.headers, content=await answer.aread(), request=request
            )

        return self._runner.run(handle())

    def close(self) -> None:
        self._runner.close()


@pytest.fixture
def app(spec: Spec) -> Any:
    return create_app(load_config(None), VirtualClock(START), spec=spec)


def _client(app: Any, host: str) -> httpx.Client:
    return httpx.Client(transport=AddressedTransport(app, (host, 40000)), base_url="http://127.0.0.1:4010")


@pytest.fixture
def local(app: Any) -> Iterator[httpx.Client]:
    with _client(app, "127.0.0.1") as client:
        yield client


def _requests(session_id: str) -> list[tuple[str, str, str, dict[str, Any] | None]]:
    """Every control operation, its path filled in, with a body that a loopback client would get 2xx for."""
    params = {"session_id": session_id, "organization_id": "org_abc123", "fault_id": "fault_1"}
    found = []
    operations = load_document().operations.values()
    for operation in sorted(
        operations, key=lambda op: FORGETFUL.index(op.operation_id) if op.operation_id in FORGETFUL else -1
    ):
        path = operation.path.format(**params)
        if operation.has_body:
            assert operation.operation_id in BODIES, f"give {operation.operation_id} a body here"
        found.append((operation.operation_id, operation.method, path, BODIES.get(operation.operation_id)))
    return found


def _snapshot(local: httpx.Client) -> list[Any]:
    paths = ("/__mock/clock", "/__mock/sessions", "/__mock/quotas", "/__mock/faults")
    return [local.get(path).json() for path in paths]


@pytest.mark.parametrize("host", REMOTE)
def test_every_control_operation_refuses_a_client_that_is_not_loopback(
    app: Any, local: httpx.Client, host: str
) -> None:
    session_id = local.post(
        sessions_path(), json={"goal": "focus", "target_minutes": 20}, headers=key(ALICE)
    ).json()["session_id"]
    local.post("/__mock/faults", json=BODIES["addFault"]).raise_for_status()
    before = _snapshot(local)
    requests = _requests(session_id)
    with _client(app, host) as remote:
        for operation_id, method, path, body in requests:
            answer = remote.request(method, path, json=body)
            assert answer.status_code == 403, (operation_id, answer.text)
            error = answer.json()["error"]
            assert (error["code"], error["status"]) == ("CONTROL_PLANE_LOOPBACK_ONLY", 403)
            assert error["trace_id"] == answer.headers["x-request-id"]
    assert _snapshot(local) == before, "a refused control request changed the mock"
    assert len(requests) == len(load_document().operations)


def test_every_control_operation_answers_loopback_and_the_open_flag(spec: Spec) -> None:
    """The refusals above are the guard's, not a broken request: the same requests succeed when allowed."""
    for host, anywhere in (("127.0.0.1", False), ("::1", False), ("203.0.113.9", True), ("unknown", True)):
        app = create_app(load_config(None), VirtualClock(START), spec=spec, control_from_anywhere=anywhere)
        with _client(app, host) as client:
            started = client.post(
                sessions_path(), json={"goal": "focus", "target_minutes": 20}, headers=key(ALICE)
            )
            client.post("/__mock/clock/advance", json={"seconds": 3}).raise_for_status()
            client.post("/__mock/faults", json=BODIES["addFault"]).raise_for_status()
            for operation_id, method, path, body in _requests(started.json()["session_id"]):
                answer = client.request(method, path, json=body)
                assert answer.status_code < 300, (host, operation_id, answer.text)


FORWARDED = [("203.0.113.9", 403), ("unknown", 403), ("10.0.0.5, 127.0.0.1", 403), ("127.0.0.1", 200)]


def test_a_real_process_refuses_a_remote_client_forwarded_by_a_local_proxy() -> None:
    with LiveMock("--clock", "virtual") as mock, mock.client() as client:
        for forwarded, status in FORWARDED:
            headers = {"X-Forwarded-For": forwarded}
            assert client.get("/__mock/clock", headers=headers).status_code == status, forwarded
            assert client.post("/__mock/reset", headers=headers).status_code == status, forwarded


def test_a_real_process_opened_with_the_flag_answers_a_forwarded_remote_client() -> None:
    with LiveMock("--clock", "virtual", "--control-from-anywhere") as mock, mock.client() as client:
        assert client.get("/__mock/clock", headers={"X-Forwarded-For": "203.0.113.9"}).status_code == 200
