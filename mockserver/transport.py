"""Requests too broken for the HTTP server to hand on, answered in the documented envelope.

uvicorn refuses a request it cannot parse (bytes that are not HTTP, a path
that is not ASCII, a Content-Length or chunk size that is not a number, a
request head over its size limit) before any ASGI app sees it, with a
plain-text ``400``. The protocol classes here answer that same ``400`` in the
D10 envelope, as ``application/json`` with ``X-Request-ID``, so a client's error
handling meets one shape whatever it sent. The status stays ``400``: no
operation was reached, so none of the spec's operation answers applies.

Both protocols also write through a :class:`~mockserver.coalescing.CoalescingTransport`,
so each answer leaves in one socket write.
"""

from __future__ import annotations

import asyncio
import json

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from . import errors
from .clock import Clock
from .coalescing import CoalescingTransport
from .gateway import new_trace_id

MALFORMED = {
    "code": "MALFORMED_REQUEST",
    "type": "client_error",
    "message": "The request is not valid HTTP.",
}
SYSTEM_MESSAGE = (
    "The request could not be parsed as HTTP/1.1; check the request line (an ASCII path), "
    "the headers and the body framing (Content-Length or chunked)"
)

Header = tuple[bytes, bytes]


def malformed_answer(clock: Clock) -> tuple[list[Header], bytes]:
    """Headers and body of the enveloped ``400`` for a request that could not be parsed."""
    trace_id = new_trace_id()
    body = errors.envelope(errors.ApiError(400, SYSTEM_MESSAGE), {400: MALFORMED}, trace_id, clock.now())
    content = json.dumps(body, separators=(",", ":")).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(content)).encode()),
        (b"x-request-id", trace_id.encode()),
        (b"connection", b"close"),
    ]
    return headers, content


def http_protocol(clock: Clock) -> type[asyncio.Protocol]:
    """uvicorn's own choice of HTTP protocol (httptools if installed, else h11), enveloping its 400s."""
    try:
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
    except ImportError:
        return h11_protocol(clock)

    class EnvelopingHttpToolsProtocol(HttpToolsProtocol):
        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self.transport = CoalescingTransport(transport, self.loop)  # type: ignore[assignment]

        def send_400_response(self, msg: str) -> None:
            headers, content = malformed_answer(clock)
            lines = [b"HTTP/1.1 400 Bad Request\r\n"]
            for name, value in [*self.server_state.default_headers, *headers]:
                lines.append(name + b": " + value + b"\r\n")
            self.transport.write(b"".join([*lines, b"\r\n", content]))
            self.transport.close()

    return EnvelopingHttpToolsProtocol


def h11_protocol(clock: Clock) -> type[asyncio.Protocol]:
    """uvicorn's pure-Python HTTP protocol, enveloping its 400s."""

    class EnvelopingH11Protocol(H11Protocol):
        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self.transport = CoalescingTransport(transport, self.loop)  # type: ignore[assignment]

        def send_400_response(self, msg: str) -> None:
            headers, content = malformed_answer(clock)
            response = h11.Response(status_code=400, headers=headers, reason=b"Bad Request")
            for event in (response, h11.Data(data=content), h11.EndOfMessage()):
                self.transport.write(self.conn.send(event))
            self.transport.close()

    return EnvelopingH11Protocol
