"""Serving the app: the port bound before anything is promised, and a stop that keeps no one waiting.

The socket is bound before the banner is printed, so a busy port is one clear
line instead of a banner followed by uvicorn's error, and ``--port 0`` can
print the port it really got. Forced delays (``Prefer: delay``, a fault's
``delay_ms``) wait on the server's stop as well as on time: on Ctrl-C the wait
ends, the request gets its answer, and the mock stops at once instead of
holding on for up to two minutes.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import socket

import uvicorn

# How long a stopping server waits for requests still running (a slow upload, say) before it
# cancels them; forced delays end at once and do not count against it.
GRACE_SECONDS = 3.0


class CannotListen(Exception):
    """The address or port cannot be used; the message says what to do instead."""


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host``:``port`` (0: any free port)."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise CannotListen(f"cannot listen on {host}: {exc.strerror}; try --host 127.0.0.1") from None
    family, kind, protocol, _, address = found[0]
    sock = socket.socket(family, kind, protocol)
    try:
        # As uvicorn does: a restart need not wait for the last run's connections to time out.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        raise CannotListen(_why(exc, host, port)) from None
    return sock


def _why(exc: OSError, host: str, port: int) -> str:
    if exc.errno == errno.EADDRINUSE:
        return f"port {port} is in use; pick another with --port"
    if exc.errno == errno.EACCES:
        return f"port {port} needs privileges here; pick one above 1023 with --port"
    if exc.errno == errno.EADDRNOTAVAIL:
        return f"{host} is not an address of this machine; try --host 127.0.0.1"
    return f"cannot listen on {host} port {port}: {exc.strerror}"


class Stopping:
    """Set once the server starts to stop; :meth:`sleep` is the delay forced answers wait on."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def stop(self) -> None:
        self._event.set()

    async def sleep(self, seconds: float) -> None:
        """``asyncio.sleep``, cut short when the server stops."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._event.wait()


class MockServer(uvicorn.Server):
    """uvicorn's server, ending forced delays the moment it starts to shut down."""

    def __init__(self, config: uvicorn.Config, stopping: Stopping) -> None:
        super().__init__(config)
        self.stopping = stopping

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        self.stopping.stop()
        await super().shutdown(sockets)
