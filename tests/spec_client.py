"""An in-process HTTP client for the mock that holds every answer to the spec.

Tests talk to the app through ``httpx.ASGITransport``, wrapped so that tests stay
synchronous. Each response is checked before the test sees it: the operation is
found from the route the request matches (routes are named by ``operationId``),
the status must be documented for that operation, and the body must validate
against the documented schema. A test therefore cannot pass on a response the
spec does not allow, even if it never looks at the body.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.routing import BaseRoute, Match, Route
from starlette.types import ASGIApp

from mockserver.clock import VirtualClock
from mockserver.spec import Spec

ENVELOPE_POINTER = "/components/schemas/ErrorEnvelope"
JSON_MEDIA_TYPE = "application/json"


class _ReplayedBody(httpx.AsyncByteStream):
    """A request body already read from a sync stream, handed on chunk by chunk."""

    def __init__(self, chunks: list[bytes]) -> None:
        self._chunks = chunks

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self._chunks:
            yield chunk


class SyncASGITransport(httpx.BaseTransport):
    """``httpx.ASGITransport`` behind a synchronous interface, one event loop per client.

    Chunked request bodies keep their chunks, so the app sees exactly what a
    streaming client would send.
    """

    def __init__(self, app: ASGIApp) -> None:
        self._asgi = httpx.ASGITransport(app=app)
        self._runner = asyncio.Runner()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self._runner.run(self._handle(request))

    async def _handle(self, request: httpx.Request) -> httpx.Response:
        assert isinstance(request.stream, httpx.SyncByteStream)
        forwarded = httpx.Request(
            request.method,
            request.url,
            headers=request.headers,
            stream=_ReplayedBody(list(request.stream)),
            extensions=request.extensions,
        )
        answer = await self._asgi.handle_async_request(forwarded)
        body = await answer.aread()
        return httpx.Response(
            answer.status_code, headers=answer.headers, stream=httpx.ByteStream(body), request=request
        )

    def close(self) -> None:
        self._runner.close()


class ResponseChecker:
    """Finds what the spec allows for a response and lists every way the response differs.

    The control plane's own document (``/__mock/...``) is honoured too, more leniently:
    an error status it does not list only has to be in the API's error envelope.
    """

    def __init__(self, spec: Spec, routes: list[BaseRoute], control: Spec | None = None) -> None:
        self.spec = spec
        documents = [spec] if control is None else [spec, control]
        self._routes = [
            (route, document)
            for route in routes
            if isinstance(route, Route)
            for document in documents
            if route.name in document.operations
        ]
        request_id = spec.resolve("/components/headers/RequestId")
        self._request_id = re.compile(request_id["schema"]["pattern"])

    def operation_for(self, method: str, path: str) -> str | None:
        """The API operationId of the route the request reaches, even when the method is wrong."""
        found = self._match(method, path)
        return found[1] if found is not None and found[0] is self.spec else None

    def _match(self, method: str, path: str) -> tuple[Spec, str] | None:
        scope = {"type": "http", "method": method, "path": path, "root_path": ""}
        partial = None  # the path matches but not the method: the operation only if no other route takes it
        for route, document in self._routes:
            match, _ = route.matches(scope)
            if match is Match.FULL:
                return document, route.name
            if match is Match.PARTIAL and partial is None:
                partial = document, route.name
        return partial

    def check(self, response: httpx.Response, *, allow_server_errors: bool = False) -> None:
        problems = list(self.problems(response, allow_server_errors=allow_server_errors))
        if problems:
            request = response.request
            shown = response.text[:500]
            raise AssertionError(
                f"{request.method} {request.url.path} -> {response.status_code} breaks the spec:\n  - "
                + "\n  - ".join(problems)
                + f"\n  body: {shown}"
            )

    def problems(self, response: httpx.Response, *, allow_server_errors: bool = False) -> Iterator[str]:
        request = response.request
        status = response.status_code
        request_id = response.headers.get("x-request-id")
        if request_id is None or not self._request_id.fullmatch(request_id):
            yield f"X-Request-ID {request_id!r} does not match {self._request_id.pattern}"
        if status >= 500 and not allow_server_errors:
            yield "a server error: bad input must never reach a 5xx"

        found = self._match(request.method, request.url.path)
        if found is None and status < 400:
            return  # the mock's pages and audio: not described by any document
        if not _is_json(response):
            yield f"Content-Type is {response.headers.get('content-type')!r}, not {JSON_MEDIA_TYPE}"

        document, pointer = self.spec, ENVELOPE_POINTER
        if found is not None:
            owner, operation_id = found
            if status in owner.operations[operation_id].statuses:
                document, pointer = owner, owner.response_pointer(operation_id, status)
                yield from _header_problems(owner, operation_id, response)
            elif owner is self.spec or status < 400:
                yield f"status {status} is not documented for {operation_id}"
                return
        if request.method == "HEAD":
            return
        try:
            body = response.json()
        except ValueError:
            yield "the body is not JSON"
            return
        if pointer is not None:
            for error in document.validator(pointer).iter_errors(body):
                where = "/" + "/".join(str(p) for p in error.absolute_path)
                yield f"body at {where}: {error.message}"
        if status >= 400:
            yield from _envelope_problems(body, status, request_id)


def _header_problems(spec: Spec, operation_id: str, response: httpx.Response) -> Iterator[str]:
    """Documented response headers must be present (when required) and match their schema."""
    op = spec.operations[operation_id]
    documented = spec.resolve(f"{op.pointer}/responses/{response.status_code}")
    for name, header in documented.get("headers", {}).items():
        while "$ref" in header:
            header = spec.resolve(header["$ref"].removeprefix("#"))
        value = response.headers.get(name)
        if value is None:
            if header.get("required"):
                yield f"the documented header {name} is missing"
            continue
        pattern = header.get("schema", {}).get("pattern")
        if pattern and not re.search(pattern, value):
            yield f"header {name}: {value!r} does not match {pattern}"


def _is_json(response: httpx.Response) -> bool:
    media_type = response.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    return media_type == JSON_MEDIA_TYPE


def _envelope_problems(body: Any, status: int, request_id: str | None) -> Iterator[str]:
    """D10: the error's own status and trace id agree with the HTTP answer."""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        yield "an error answer without an error object"
        return
    if error.get("status") != status:
        yield f"error.status {error.get('status')!r} differs from the HTTP status {status}"
    if error.get("trace_id") != request_id:
        yield f"error.trace_id {error.get('trace_id')!r} differs from X-Request-ID {request_id!r}"


class SpecClient(httpx.Client):
    """An ``httpx.Client`` on the app in-process; every response is checked against the spec.

    ``allow_server_errors`` is for the one test that provokes a crash on purpose.
    """

    def __init__(
        self, app: ASGIApp, spec: Spec, routes: list[BaseRoute], control: Spec | None = None, **kwargs: Any
    ) -> None:
        self.checker = ResponseChecker(spec, routes, control)
        self.allow_server_errors = False
        self.checked = 0
        super().__init__(
            transport=SyncASGITransport(app),
            base_url="http://testserver",
            event_hooks={"response": [self._check]},
            **kwargs,
        )

    def _check(self, response: httpx.Response) -> None:
        response.read()
        self.checker.check(response, allow_server_errors=self.allow_server_errors)
        self.checked += 1


class WorldClient(SpecClient):
    """A checked client bound to one app and to the virtual clock that app reads."""

    def __init__(self, app: Starlette, spec: Spec, clock: VirtualClock, control: Spec | None = None) -> None:
        super().__init__(app, spec, app.routes, control)
        self.app = app
        self.clock = clock
