"""Each answer leaves in one socket write: headers and body together, in order, nothing held back."""

from __future__ import annotations

import asyncio

import pytest
import uvicorn
from uvicorn.server import ServerState

from mockserver.app import create_app
from mockserver.clock import VirtualClock
from mockserver.coalescing import CoalescingTransport
from mockserver.transport import h11_protocol, http_protocol


class RecordingTransport(asyncio.Transport):
    """What a protocol wrote, one entry per write call."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[bytes] = []
        self.closed = False
        self.paused = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        assert not self.closed, "written after close"
        self.writes.append(bytes(data))

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def get_extra_info(self, name: str, default: object = None) -> object:
        return {"peername": ("127.0.0.1", 50000), "sockname": ("127.0.0.1", 8000)}.get(name, default)

    def pause_reading(self) -> None:
        self.paused = True

    def resume_reading(self) -> None:
        self.paused = False


async def _turns(count: int = 20) -> None:
    """Let the loop run ``count`` turns (no time passes: each is one pass of ready callbacks)."""
    for _ in range(count):
        await asyncio.sleep(0)


def _served(protocol_of, raw: bytes) -> RecordingTransport:
    """Feed ``raw`` to a protocol serving the mock's app; what it wrote once the loop settled."""

    async def scenario() -> RecordingTransport:
        clock = VirtualClock()
        config = uvicorn.Config(create_app(clock=clock), lifespan="off", log_level="warning")
        config.load()
        protocol = protocol_of(clock)(config=config, server_state=ServerState(), app_state={})
        real = RecordingTransport()
        protocol.connection_made(real)
        protocol.data_received(raw)
        await _turns()
        return real

    return asyncio.run(scenario())


def test_writes_of_one_turn_leave_as_one_in_order() -> None:
    async def scenario() -> RecordingTransport:
        real = RecordingTransport()
        transport = CoalescingTransport(real, asyncio.get_running_loop())
        transport.write(b"HTTP/1.1 200 OK\r\n\r\n")
        transport.write(memoryview(b"body"))
        assert real.writes == []  # held until the end of this turn
        await _turns(1)
        transport.write(b"next")
        await _turns(1)
        return real

    assert asyncio.run(scenario()).writes == [b"HTTP/1.1 200 OK\r\n\r\nbody", b"next"]


def test_close_sends_what_was_written_first_and_nothing_is_written_after() -> None:
    async def scenario() -> RecordingTransport:
        real = RecordingTransport()
        transport = CoalescingTransport(real, asyncio.get_running_loop())
        transport.write(b"last words")
        transport.close()
        await _turns(2)  # the scheduled flush finds nothing left and a closed transport
        return real

    real = asyncio.run(scenario())
    assert real.writes == [b"last words"] and real.closed


def test_what_is_held_when_the_peer_is_gone_is_dropped_not_written() -> None:
    async def scenario() -> RecordingTransport:
        real = RecordingTransport()
        transport = CoalescingTransport(real, asyncio.get_running_loop())
        transport.write(b"too late")
        real.closed = True  # the connection was lost in the meantime
        await _turns(1)
        return real

    assert asyncio.run(scenario()).writes == []


def test_everything_else_is_the_transport_underneath() -> None:
    real = RecordingTransport()
    loop = asyncio.new_event_loop()
    transport = CoalescingTransport(real, loop)
    loop.close()
    transport.pause_reading()
    assert real.paused
    assert transport.get_extra_info("peername") == ("127.0.0.1", 50000)
    assert not transport.is_closing()


@pytest.mark.parametrize("protocol_of", [http_protocol, h11_protocol], ids=["httptools", "h11"])
@pytest.mark.parametrize(
    ("request_head", "status"),
    [
        (b"GET /v1/music/org_abc123/focus/sessions/mfocus_000000000000 HTTP/1.1", b"404"),
        (b"HEAD /v1/music/org_abc123/focus/sessions/mfocus_000000000000 HTTP/1.1", b"404"),
    ],
    ids=["GET", "HEAD"],
)
def test_an_api_answer_is_one_write_headers_and_body_together(protocol_of, request_head, status) -> None:
    """Two writes per answer (uvicorn's own way) cost a third of End's throughput under load."""
    raw = request_head + b"\r\nHost: mock\r\nX-API-Key: alice-dev-key\r\n\r\n"
    writes = _served(protocol_of, raw).writes
    assert len(writes) == 1, writes
    head, _, body = writes[0].partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 " + status)
    if request_head.startswith(b"HEAD"):
        assert body == b""
    else:
        length = next(line for line in head.lower().split(b"\r\n") if line.startswith(b"content-length:"))
        assert len(body) == int(length.split(b":")[1])  # the whole body, in the same write
        assert b'"code":"RESOURCE_NOT_FOUND"' in body


def test_an_unparseable_request_still_gets_its_envelope_in_one_write_then_close() -> None:
    real = _served(http_protocol, b"NOT HTTP AT ALL\r\n\r\n")
    assert len(real.writes) == 1 and real.closed
    assert real.writes[0].startswith(b"HTTP/1.1 400") and b"MALFORMED_REQUEST" in real.writes[0]
