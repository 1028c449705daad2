"""CORS, so a frontend served from its own dev server (say ``localhost:5173``) can call the mock.

The browser's preflight carries no API key, so CORS sits outside the gateway:
preflights are answered before the ``401`` check (I13 still holds for every
real request). The default admits any localhost origin on any port; the
``--cors-origin`` flag replaces that list (``*`` admits every origin).

Preflights are answered here, so they get their own trace id in
``X-Request-ID``, like every other answer. A refused preflight keeps
Starlette's ``400`` (the spec documents no answer for a request that reaches no
operation, as with unparseable HTTP) but leaves in the D10 envelope with code
``CORS_PREFLIGHT_REFUSED``, saying what was refused and how to allow it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence

from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import errors
from .gateway import new_trace_id

LOCALHOST_ORIGINS = r"https?://(localhost|127\.0\.0\.1|\[::1\])(:[0-9]{1,5})?"
REQUEST_HEADERS = ("X-API-Key", "Content-Type", "Prefer")
EXPOSED_HEADERS = ("X-Request-ID", "Location", "Retry-After", "Allow")
REFUSED = {
    "code": "CORS_PREFLIGHT_REFUSED",
    "type": "client_error",
    "message": "This browser request is not allowed here.",
}


class Cors:
    """Starlette's :class:`CORSMiddleware`, with a shortcut for requests that carry no ``Origin``.

    Those are not cross-origin requests (curl, a test client, the browser's
    same-origin calls): ``CORSMiddleware`` only adds ``Vary: Origin`` to their
    answers, which this layer does without building a ``Headers`` for every request.
    """

    def __init__(self, app: ASGIApp, *, now: Callable[[], float] = time.time, **options: object) -> None:
        self.app = app
        self.now = now
        self.cors = CORSMiddleware(app, **options)  # type: ignore[arg-type]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or _has(scope["headers"], b"origin"):
            if scope["type"] == "http" and scope["method"] == "OPTIONS":
                headers = Headers(scope=scope)
                if "access-control-request-method" in headers:  # what makes it a preflight
                    await self.preflight(headers)(scope, receive, send)
                    return
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

    def preflight(self, headers: Headers) -> JSONResponse | ASGIApp:
        """Starlette's answer to the preflight, with a trace id, and in the envelope if refused."""
        trace_id = new_trace_id()
        answer = self.cors.preflight_response(request_headers=headers)
        if answer.status_code == 200:
            answer.headers["X-Request-ID"] = trace_id
            return answer
        refused = bytes(answer.body).decode().removeprefix("Disallowed CORS ").split(", ")
        origin = headers["origin"]
        fixes = {
            "origin": f"start focus-mock with --cors-origin {origin} to allow this origin",
            "method": f"{headers['access-control-request-method']} is no method of the mock",
            "headers": "a browser may send " + ", ".join(REQUEST_HEADERS),
        }
        error = errors.ApiError(
            400,
            f"CORS preflight from {origin} refused: " + "; ".join(fixes.get(r, r) for r in refused),
            {"origin": origin, "refused": refused},
        )
        kept = {k: v for k, v in answer.headers.items() if k not in ("content-type", "content-length")}
        body = errors.envelope(error, {400: REFUSED}, trace_id, self.now())
        return JSONResponse(body, status_code=400, headers={**kept, "X-Request-ID": trace_id})


def _has(headers: Iterable[tuple[bytes, bytes]], wanted: bytes) -> bool:
    for name, _ in headers:  # noqa: SIM110 (a plain loop is twice as fast as any() over a generator)
        if name == wanted:
            return True
    return False


def cors_middleware(
    methods: Iterable[str], origins: Sequence[str] | None = None, *, now: Callable[[], float]
) -> Middleware:
    """CORS for ``methods`` from ``origins`` (None: any localhost origin); ``now`` dates refusals."""
    return Middleware(
        Cors,
        now=now,
        allow_origins=list(origins or ()),
        allow_origin_regex=None if origins else LOCALHOST_ORIGINS,
        allow_methods=sorted(set(methods)),
        allow_headers=list(REQUEST_HEADERS),
        expose_headers=list(EXPOSED_HEADERS),
        allow_private_network=True,
        max_age=600,
    )
