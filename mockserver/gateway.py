"""The outer ASGI layer of every request: trace id, authentication, limits, errors, log.

It runs before routing so that I13 holds (no valid key, no further answer) and
so that every answer, including a crash, leaves in the documented envelope with
its trace id in ``X-Request-ID``. When the request is done it hands the outcome
to ``on_complete`` (the request journal), once, whatever happened.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import re
import time
from collections.abc import Callable
from functools import lru_cache
from urllib.parse import quote, unquote

from starlette.requests import ClientDisconnect
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import errors
from .identity import Identities
from .redaction import Redactor
from .validation import check_declared_length

error_log = logging.getLogger("focus_mock.error")


ErrorRenderer = Callable[[errors.ApiError, str], Response]


def stopped() -> errors.ApiError:
    """The answer to a request the server gave up on while stopping."""
    return errors.ApiError(
        500, "focus-mock stopped before it could answer; send the request again once it runs"
    )


# method, path (already made loggable), status, milliseconds, trace id
RequestLogger = Callable[[str, str, int, float, str, "str | None"], None]


# Trace ids need to be unique, not secret: a generator seeded once from os.urandom saves a
# system call per request.
_random_bits = random.Random().getrandbits


def new_trace_id() -> str:
    return f"req_{_random_bits(80):020x}"


_ABSOLUTE_FORM = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")


_LOG_SAFE = "/:@!$&'()*+,;="
_NOTHING_TO_QUOTE = re.compile(r"[A-Za-z0-9_.~\-" + re.escape(_LOG_SAFE) + r"]*\Z")


def loggable(path: str) -> str:
    """The path percent-encoded again, as one token: a decoded ``%0A`` or space in it
    could otherwise end the log line early and forge the next one."""
    if len(path) <= 256:
        return _loggable_short(path)
    return _loggable(path)


@lru_cache(maxsize=4096)  # the same few paths on every request
def _loggable_short(path: str) -> str:
    return _loggable(path)


def _loggable(path: str) -> str:
    if _NOTHING_TO_QUOTE.match(path):
        return path  # what quote() would give back unchanged
    return quote(path, safe=_LOG_SAFE, errors="backslashreplace")


def client_path(scope: Scope) -> str:
    """The path the client asked for, split where the client put its slashes.

    Two readings that servers leave to the app are settled here. A ``%2F`` is
    data inside a segment (RFC 3986): servers hand on the path decoded, which
    would route ``{id}%2Fend`` to the End operation of session ``{id}``, so the
    slash is re-encoded inside its segment and the id stays an unknown id. And
    an absolute-form target (``GET http://host/path``, which RFC 9112 §3.2.2
    says a server must accept) names the path after its authority; uvicorn's
    h11 parser hands on the whole URL.
    """
    path: str = scope["path"]
    raw_path: bytes | None = scope.get("raw_path")
    if raw_path and b"%" not in raw_path and path.startswith("/"):
        return path  # the common case: no escapes to read again, and not an absolute URL
    raw: bytes = (raw_path or path.encode("utf-8", "surrogateescape")).split(b"?", 1)[0]
    if _ABSOLUTE_FORM.match(path):
        path = "/" + path.split("://", 1)[1].partition("/")[2]
        raw = b"/" + raw.split(b"://", 1)[-1].partition(b"/")[2]
    if b"%2f" not in raw.lower():
        return path
    segments = raw.decode("latin-1").split("/")
    return "/".join(unquote(segment).replace("/", "%2F") for segment in segments)


class Gateway:
    def __init__(
        self,
        app: ASGIApp,
        *,
        identities: Identities,
        render_error: ErrorRenderer,
        redactor: Redactor | None = None,
        open_prefixes: tuple[str, ...] = (),
        open_paths: frozenset[str] = frozenset(),
        on_complete: Callable[[Scope, int, float], None] | None = None,
        log_request: RequestLogger | None = None,
    ) -> None:
        self.app = app
        self.identities = identities
        self.render_error = render_error
        self.redactor = redactor or Redactor(())
        self.open_prefixes = open_prefixes
        self.open_paths = open_paths
        self.on_complete = on_complete
        self.log_request = log_request

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        trace_id = new_trace_id()
        trace_header = (b"x-request-id", trace_id.encode())
        state = scope.setdefault("state", {})
        state["trace_id"] = trace_id
        started = time.perf_counter()
        status = 0
        offered: tuple[str, ...] = ()  # the key the request sent, kept out of the log

        async def send_with_trace(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), trace_header]
            await send(message)

        try:
            path = scope["path"] = client_path(scope)
            if path not in self.open_paths and not path.startswith(self.open_prefixes):
                keys: list[bytes] = []
                content_length: bytes | None = None
                for name, value in scope["headers"]:
                    if name == b"x-api-key":
                        keys.append(value)
                    elif name == b"content-length" and content_length is None:
                        content_length = value
                offered = tuple(key.decode("latin-1") for key in keys)
                # Two keys name two callers: which one is meant is not for the mock to guess.
                user = self.identities.authenticate(offered[0] if len(offered) == 1 else None)
                if user is None:
                    raise errors.unauthorized()
                state["user"] = user
                if content_length is not None:
                    check_declared_length(content_length.decode("latin-1"))
            await self.app(scope, receive, send_with_trace)
        except ClientDisconnect:
            pass  # the client left before its body arrived: no one to answer, and no server fault
        except asyncio.CancelledError:
            # The server gave up on the request while stopping (its grace period ran out, or a
            # second Ctrl-C). The request ends here, quietly: answered in the envelope if nothing
            # has left yet, instead of uvicorn's traceback and plain-text 500.
            if not status:
                with contextlib.suppress(Exception):
                    await self.render_error(stopped(), trace_id)(scope, receive, send_with_trace)
        except errors.ApiError as exc:
            if status:
                raise
            await self.render_error(exc, trace_id)(scope, receive, send_with_trace)
        except Exception:
            error_log.exception(
                "unhandled error in %s %s [%s]",
                scope["method"],
                loggable(self.redactor.text(scope["path"], offered)),
                trace_id,
            )
            if status:
                raise
            await self.render_error(errors.internal_error(), trace_id)(scope, receive, send_with_trace)
        finally:
            elapsed_ms = (time.perf_counter() - started) * 1000
            if self.log_request is not None:
                shown = loggable(self.redactor.text(scope["path"], offered))
                self.log_request(scope["method"], shown, status, elapsed_ms, trace_id, state.get("forced"))
            if self.on_complete is not None:
                self.on_complete(scope, status, elapsed_ms)
