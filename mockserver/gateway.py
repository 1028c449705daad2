"""The outer ASGI layer of every request: trace id, authentication, limits, errors, log.

It runs before routing so that I13 holds (no valid key, no further answer) and
so that every answer, including a crash, leaves in the documented envelope with
its trace id in ``X-Request-ID``. When the request is done it hands the outcome
to ``on_complete`` (the request journal), once, whatever happened.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable

from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import errors
from .identity import Identities
from .validation import check_declared_length

access_log = logging.getLogger("focus_mock.access")
error_log = logging.getLogger("focus_mock.error")

ErrorRenderer = Callable[[errors.ApiError, str], Response]


def new_trace_id() -> str:
    return "req_" + secrets.token_hex(10)


class Gateway:
    def __init__(
        self,
        app: ASGIApp,
        *,
        identities: Identities,
        render_error: ErrorRenderer,
        open_prefixes: tuple[str, ...] = (),
        open_paths: frozenset[str] = frozenset(),
        on_complete: Callable[[Scope, int, float], None] | None = None,
    ) -> None:
        self.app = app
        self.identities = identities
        self.render_error = render_error
        self.open_prefixes = open_prefixes
        self.open_paths = open_paths
        self.on_complete = on_complete

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        trace_id = new_trace_id()
        state = scope.setdefault("state", {})
        state["trace_id"] = trace_id
        started = time.perf_counter()
        status = 0

        async def send_with_trace(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message).append("X-Request-ID", trace_id)
            await send(message)

        try:
            path = scope["path"]
            if path not in self.open_paths and not path.startswith(self.open_prefixes):
                headers = Headers(scope=scope)
                user = self.identities.authenticate(headers.get("x-api-key"))
                if user is None:
                    raise errors.unauthorized()
                state["user"] = user
                check_declared_length(headers.get("content-length"))
            await self.app(scope, receive, send_with_trace)
        except errors.ApiError as exc:
            if status:
                raise
            await self.render_error(exc, trace_id)(scope, receive, send_with_trace)
        except Exception:
            error_log.exception("unhandled error in %s %s [%s]", scope["method"], scope["path"], trace_id)
            if status:
                raise
            await self.render_error(errors.internal_error(), trace_id)(scope, receive, send_with_trace)
        finally:
            elapsed_ms = (time.perf_counter() - started) * 1000
            access_log.info(
                "%s %s %s %.1fms %s", scope["method"], scope["path"], status, elapsed_ms, trace_id
            )
            if self.on_complete is not None:
                self.on_complete(scope, status, elapsed_ms)
