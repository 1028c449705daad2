"""CORS, so a frontend served from its own dev server (say ``localhost:5173``) can call the mock.

The browser's preflight carries no API key, so CORS sits outside the gateway:
preflights are answered before the ``401`` check (I13 still holds for every
real request). The default admits any localhost origin on any port; the
``--cors-origin`` flag replaces that list (``*`` admits every origin).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from starlette.datastructures import MutableHeaders
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

LOCALHOST_ORIGINS = r"https?://(localhost|127\.0\.0\.1|\[::1\])(:[0-9]{1,5})?"
REQUEST_HEADERS = ("X-API-Key", "Content-Type", "Prefer")
EXPOSED_HEADERS = ("X-Request-ID", "Location", "Retry-After", "Allow")


class Cors:
    """Starlette's :class:`CORSMiddleware`, with a shortcut for requests that carry no ``Origin``.

    Those are not cross-origin requests (curl, a test client, the browser's
    same-origin calls): ``CORSMiddleware`` only adds ``Vary: Origin`` to their
    answers, which this layer does without building a ``Headers`` for every request.
    """

    def __init__(self, app: ASGIApp, **options: object) -> None:
        self.app = app
        self.cors = CORSMiddleware(app, **options)  # type: ignore[arg-type]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or _has(scope["headers"], b"origin"):
            await self.cors(scope, receive, send)
            return

        async def send_varying(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = message.setdefault("headers", [])
                if _has(headers, b"vary"):
                    varying = MutableHeaders(scope=message)
                    varying["Vary"] = ", ".join([*varying.getlist("Vary"), "Origin"])
                else:
                    message["headers"] = [*headers, (b"vary", b"Origin")]
            await send(message)

        await self.app(scope, receive, send_varying)


def _has(headers: Iterable[tuple[bytes, bytes]], wanted: bytes) -> bool:
    return any(name == wanted for name, _ in headers)


def cors_middleware(methods: Iterable[str], origins: Sequence[str] | None = None) -> Middleware:
    """CORS for ``methods`` from ``origins`` (None: any localhost origin)."""
    return Middleware(
        Cors,
        allow_origins=list(origins or ()),
        allow_origin_regex=None if origins else LOCALHOST_ORIGINS,
        allow_methods=sorted(set(methods)),
        allow_headers=list(REQUEST_HEADERS),
        expose_headers=list(EXPOSED_HEADERS),
        allow_private_network=True,
        max_age=600,
    )
