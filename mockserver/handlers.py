"""HTTP endpoints of the public API: request in, service call, JSON out.

Routes come from the spec's paths; each ``operationId`` maps to one handler here.
Handlers are plain ASGI callables: :class:`ApiDispatch` calls them straight
after :class:`~mockserver.forcing.ForcedAnswers` has named the operation, so an
API request does not also walk Starlette's router. The same handlers sit in the
router's ``Route`` list, which keeps ``405`` for a known path with another method
and gives tools the usual list of routes.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable, Mapping
from functools import lru_cache
from typing import Any

from starlette.routing import Route

try:
    import orjson
except ImportError:  # a dependency, but the mock answers the same without it, only slower
    orjson = None  # type: ignore[assignment]
from starlette.types import ASGIApp, Receive, Scope, Send

from .config import User
from .service import FocusService
from .spec import Spec
from .validation import RequestValidator, parse_json, read_body

AUDIO_PATH = "/__audio"

Handler = Callable[[Scope, Receive, Send], Awaitable[None]]
Header = tuple[bytes, bytes]

# What Starlette's JSONResponse writes (compact, UTF-8, no NaN), with one encoder made once.
_ENCODER = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def encode(content: Any) -> bytes:
    """``content`` as JSONResponse would write it.

    The API answers sessions and segments: objects of strings, whole numbers,
    booleans, null and lists (the spec gives them no other type). For those,
    orjson writes the same bytes in a tenth of the time (5.6 -> 0.4 us for a
    session with two segments); what it refuses (an integer over 64 bits, a lone
    surrogate) goes to the standard encoder. Floats would be written differently
    (``1e16`` against ``1e+16``), so nothing with a float is sent through here.
    """
    if orjson is not None:
        try:
            return orjson.dumps(content)
        except TypeError:  # orjson.JSONEncodeError
            pass
    return _ENCODER.encode(content).encode("utf-8")


async def send_json(send: Send, content: Any, status: int = 200, headers: Iterable[Header] = ()) -> None:
    """The two ASGI messages of a JSON answer, headers as ``JSONResponse`` orders them."""
    body = encode(content)
    raw_headers = [
        *headers,
        (b"content-length", str(len(body)).encode()),
        (b"content-type", b"application/json"),
    ]
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": body})


def _caller(scope: Scope, service: FocusService) -> tuple[User, str]:
    user: User = scope["state"]["user"]
    organization_id = scope["path_params"]["organization_id"]
    service.require_member(user, organization_id)
    return user, organization_id


def _audio_base(scope: Scope) -> str:
    server = scope.get("server")
    return _audio_base_of(None if server is None else tuple(server))  # some servers give a list


@lru_cache(maxsize=64)  # one address per listening socket
def _audio_base_of(server: tuple[str, int | None] | None) -> str:
    host, port = server or ("localhost", None)
    host = f"[{host}]" if ":" in host else host
    authority = host if port in (None, 80) else f"{host}:{port}"
    return f"http://{authority}{AUDIO_PATH}"


def _header(scope: Scope, wanted: bytes) -> str | None:
    for name, value in scope["headers"]:
        if name == wanted:
            return value.decode("latin-1")
    return None


def api_handlers(spec: Spec, service: FocusService) -> dict[str, Handler]:
    """One ASGI handler per ``operationId`` of the spec."""
    start_validator = RequestValidator(spec, spec.request_body_pointer("startFocusSession"))

    async def start_focus_session(scope: Scope, receive: Receive, send: Send) -> None:
        user, organization_id = _caller(scope, service)
        body = parse_json(_header(scope, b"content-type"), await read_body(receive))
        start_validator.check(body)
        session = service.start(user, organization_id, body, _audio_base(scope))
        # The path matched the start route for one of the caller's organizations, so it is
        # already what Request.url.path would give.
        location = f"{scope['path'].rstrip('/')}/{session['session_id']}"
        await send_json(send, session, 201, [(b"location", location.encode("latin-1"))])

    async def get_focus_session(scope: Scope, receive: Receive, send: Send) -> None:
        user, organization_id = _caller(scope, service)
        session_id = scope["path_params"]["session_id"]
        await send_json(send, service.get(user, organization_id, session_id, _audio_base(scope)))

    async def end_focus_session(scope: Scope, receive: Receive, send: Send) -> None:
        user, organization_id = _caller(scope, service)
        session_id = scope["path_params"]["session_id"]
        await send_json(send, service.end(user, organization_id, session_id, _audio_base(scope)))

    async def promote_focus_segment(scope: Scope, receive: Receive, send: Send) -> None:
        user, organization_id = _caller(scope, service)
        params: dict[str, Any] = scope["path_params"]
        segment = service.promote(
            user, organization_id, params["session_id"], params["segment_id"], _audio_base(scope)
        )
        await send_json(send, segment)

    handlers: dict[str, Handler] = {
        "startFocusSession": start_focus_session,
        "getFocusSession": get_focus_session,
        "endFocusSession": end_focus_session,
        "promoteFocusSegment": promote_focus_segment,
    }
    missing = set(spec.operations) ^ set(handlers)
    if missing:
        raise RuntimeError(f"spec and handlers disagree on operations: {sorted(missing)}")
    return handlers


class _Endpoint:
    """A handler as Starlette's ``Route`` takes a raw ASGI app (a function it would call with a Request)."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.handler(scope, receive, send)


def api_routes(spec: Spec, handlers: Mapping[str, Handler]) -> list[Route]:
    return [
        Route(op.path, _Endpoint(handlers[op.operation_id]), methods=[op.method], name=op.operation_id)
        for op in spec.operations.values()
    ]


class ApiDispatch:
    """Answers a request :class:`~mockserver.forcing.ForcedAnswers` has matched to an operation;
    hands every other request on to the router."""

    def __init__(self, app: ASGIApp, *, handlers: Mapping[str, Handler]) -> None:
        self.app = app
        self.handlers = handlers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        operation_id = scope["state"].get("operation_id") if scope["type"] == "http" else None
        if operation_id is None:
            await self.app(scope, receive, send)
        else:
            await self.handlers[operation_id](scope, receive, send)
