"""Answers a UI developer asked for: a documented error, a delay, or a dropped connection.

This ASGI layer sits inside the gateway, so authentication still comes first
(I13) and a forced error leaves exactly like a real one: raised as an
:class:`~mockserver.errors.ApiError`, rendered by the gateway from the spec's
templates in the D10 envelope with ``X-Request-ID``. The only difference is
``details.forced: true`` (and ``details.forced_by``), so a UI can tell.
It also names the operation of every API request for the journal.

One rule joins ``Prefer`` and armed faults: a ``Prefer: code`` decides the
answer, so faults are neither consulted nor used up; otherwise a matching fault
fires as usual, and a ``Prefer: delay`` is waited on top of it. Preferences the
mock does not know change nothing. A client that leaves during a delay is seen
leaving: its request ends there, journaled as dropped, and is never carried out.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

from starlette._utils import get_route_path
from starlette.convertors import Convertor
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import errors
from .faults import FaultBook
from .prefer import Preferences, parse_prefer
from .spec import Operation, Spec
from .validation import MAX_BODY_BYTES

log = logging.getLogger("focus_mock.forcing")

Sleep = Callable[[float], Awaitable[Any]]
RETRY_AFTER_SECONDS = 2
NO_PREFERENCES = Preferences()  # most requests: made once, not per request


def error_statuses(operation: Operation) -> list[int]:
    """What can be forced on ``operation``: the error statuses its spec entry documents."""
    return sorted(s for s in operation.statuses if s >= 400)


def forced_error(
    spec: Spec, operation: Operation, status: int, scope: Scope, params: dict[str, str], forced_by: str
) -> errors.ApiError:
    """The error ``operation`` would really give with ``status``, marked as forced."""
    method: str = scope["method"]
    if status == 401:
        error = errors.unauthorized()
    elif status == 403:
        error = errors.forbidden(params.get("organization_id", ""))
    elif status == 404 and "session_id" in params:
        error = errors.session_not_found(params["session_id"])
    elif status == 404:
        error = errors.route_not_found(method, scope["path"])
    elif status == 405:
        error = errors.method_not_allowed(method, path_methods(spec, operation))
        error.system_message = (
            f"405 asked for ({forced_by}): {method} is allowed on this path, which takes "
            f"{', '.join(path_methods(spec, operation))}"
        )
    elif status == 413:
        error = errors.payload_too_large(MAX_BODY_BYTES)
    elif status == 422:
        error = errors.validation_failed([{"field": "body", "message": f"rejected on request ({forced_by})"}])
    elif status == 429:
        error = errors.ApiError(
            429,
            f"Rate limit exceeded; retry after {RETRY_AFTER_SECONDS} seconds",
            {"retry_after_seconds": RETRY_AFTER_SECONDS},
            {"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    elif status == 500:
        error = errors.internal_error()
    else:
        error = errors.ApiError(status, f"Answered with {status} on request")
    error.details = {**error.details, "forced": True, "forced_by": forced_by}
    return error


def path_methods(spec: Spec, operation: Operation) -> list[str]:
    """What ``Allow`` says for the operation's path, as the router's own 405 does (GET brings HEAD)."""
    methods = {op.method for op in spec.operations.values() if op.path == operation.path}
    return sorted(methods | ({"HEAD"} if "GET" in methods else set()))


@dataclass(frozen=True)
class Plan:
    """What to do instead of (or before) the real answer."""

    source: str
    status: int | None = None
    delay_ms: int = 0
    drop: bool = False


PATHS_KEPT = 4096  # matches remembered, by method and path
PATH_KEPT_LENGTH = 256  # only for short paths, so hostile long ones cannot fill memory
_UNSEEN: Any = object()


class OperationMatcher:
    """The operation a request names, matched exactly as the router's ``Route`` for it would.

    Same path regex and convertors (``compile_path``), same path (``get_route_path``),
    and a ``GET`` operation also answers ``HEAD``; but one dictionary lookup by
    method instead of trying every route in turn, and a path asked for before is
    looked up, not matched again.
    """

    def __init__(self, operations: Iterable[Operation]) -> None:
        self._by_method: dict[str, list[tuple[re.Pattern[str], dict[str, Convertor[Any]], Operation]]] = {}
        for operation in operations:
            regex, _, convertors = compile_path(operation.path)
            methods = {operation.method, "HEAD"} if operation.method == "GET" else {operation.method}
            for method in methods:
                self._by_method.setdefault(method, []).append((regex, convertors, operation))
        self._seen: dict[tuple[str, str], tuple[Operation, dict[str, Any]] | None] = {}

    def match(self, scope: Scope) -> tuple[Operation, dict[str, Any]] | None:
        """The operation and its path parameters (a fresh dict), or None."""
        method: str = scope["method"]
        path = get_route_path(scope)
        key = (method, path)
        found = self._seen.get(key, _UNSEEN)
        if found is _UNSEEN:
            found = self._match(method, path)
            if len(path) <= PATH_KEPT_LENGTH:
                if len(self._seen) >= PATHS_KEPT:
                    self._seen.clear()  # a crude bound: clients ask for the same few paths again and again
                self._seen[key] = found
        return None if found is None else (found[0], dict(found[1]))

    def _match(self, method: str, path: str) -> tuple[Operation, dict[str, Any]] | None:
        for regex, convertors, operation in self._by_method.get(method, ()):
            found = regex.match(path)
            if found:
                params = {name: convertors[name].convert(value) for name, value in found.groupdict().items()}
                return operation, params
        return None


class ForcedAnswers:
    """Also names the operation: ``state["operation_id"]`` and ``scope["path_params"]`` for what follows."""

    def __init__(
        self, app: ASGIApp, *, spec: Spec, faults: FaultBook | None, sleep: Sleep | None = None
    ) -> None:
        self.app = app
        self.spec = spec
        self.faults = faults
        self.sleep = asyncio.sleep if sleep is None else sleep
        self._operations = OperationMatcher(spec.operations.values())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        found = self._operations.match(scope) if scope["type"] == "http" else None
        if found is None:
            await self.app(scope, receive, send)
            return
        operation, params = found
        state = scope["state"]
        state["operation_id"] = operation.operation_id
        scope["path_params"] = params
        plan = self._plan(scope, operation)
        if plan is None:
            await self.app(scope, receive, send)
            return
        state["forced"] = plan.source
        carry_on = receive
        if plan.delay_ms:
            carry_on, gone = await wait_watching(self.sleep, plan.delay_ms / 1000, receive)
            if gone:
                state["dropped"] = True  # the client gave up waiting: no one to answer
                return
        if plan.drop:
            state["dropped"] = True
            await drop_connection(receive)
            return
        if plan.status is not None:
            raise forced_error(self.spec, operation, plan.status, scope, params, plan.source)
        await self.app(scope, carry_on, send)

    def _plan(self, scope: Scope, operation: Operation) -> Plan | None:
        """``Prefer: code`` decides alone; else a fault fires, after any ``Prefer: delay``."""
        prefer = [value.decode("latin-1") for name, value in scope["headers"] if name == b"prefer"]
        preferences = (
            parse_prefer(prefer, operation.operation_id, operation.statuses) if prefer else NO_PREFERENCES
        )
        if preferences.code is None and self.faults is not None and self.faults.armed:
            user = scope["state"].get("user")
            fault = self.faults.take(operation.operation_id, None if user is None else user.id)
            if fault is not None:
                delay_ms = fault.delay_ms + preferences.delay_ms
                return Plan(fault.fault_id, fault.status, delay_ms, fault.drop)
        if preferences.error_code is None and not preferences.delay_ms:
            return None
        return Plan("Prefer", preferences.error_code, preferences.delay_ms)


async def wait_watching(sleep: Sleep, seconds: float, receive: Receive) -> tuple[Receive, bool]:
    """Wait ``seconds`` while listening to the connection; True if the client left meanwhile.

    Listening means taking the request's body as it arrives (up to the size limit, past which
    it is left to the limit's check); the ``receive`` returned hands those messages on first.
    """
    kept: list[Message] = []

    async def listen() -> None:
        size, complete = 0, False
        while not complete and size <= MAX_BODY_BYTES:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            kept.append(message)
            size += len(message.get("body", b""))
            complete = not message.get("more_body", False)
        if complete:  # all that can come now is the disconnect
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            kept.append(message)
        await asyncio.Event().wait()  # only the delay can end the wait now

    listening = asyncio.ensure_future(listen())
    sleeping = asyncio.ensure_future(sleep(seconds))
    try:
        done, _ = await asyncio.wait({listening, sleeping}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (listening, sleeping):
            task.cancel()
        await asyncio.wait({listening, sleeping})
    gone = listening in done and not listening.cancelled() and listening.exception() is None

    async def kept_first() -> Message:
        return kept.pop(0) if kept else await receive()

    return kept_first, gone


async def drop_connection(receive: Receive) -> None:
    """Close the TCP connection without a byte of answer, as a crashed server would.

    ASGI has no message for this, so it reaches for the server's transport: with
    uvicorn, ``receive`` is a method of the request cycle that owns it. It then
    waits for the server to notice, so that the server does not answer in our
    place. Under a server without a transport the request simply gets no answer.
    """
    transport = getattr(getattr(receive, "__self__", None), "transport", None)
    if transport is None:
        log.warning("cannot drop the connection: the server exposes no transport")
        return
    transport.close()
    try:
        async with asyncio.timeout(5):
            while (await receive())["type"] != "http.disconnect":
                pass
    except TimeoutError:
        log.warning("the server did not report the dropped connection")
