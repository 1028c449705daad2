"""The mock's own endpoints under ``/__mock``: not part of the API, never behind an API key.

They let tests and UIs drive time (virtual clock) and start from a clean slate.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from . import errors
from .clock import VirtualClock, isoformat
from .service import FocusService
from .validation import parse_json, read_limited

PREFIX = "/__mock"


def _clock_state(service: FocusService) -> dict[str, object]:
    now = service.clock.now()
    return {"kind": service.clock.kind, "now": isoformat(now), "epoch_seconds": now}


def control_routes(service: FocusService) -> list[Route]:
    async def read_clock(request: Request) -> JSONResponse:
        return JSONResponse(_clock_state(service))

    async def advance_clock(request: Request) -> JSONResponse:
        body = parse_json(request.headers.get("content-type"), await read_limited(request.stream()))
        seconds = body.get("seconds") if isinstance(body, dict) else None
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not 0 <= seconds <= 10**9:
            raise errors.validation_failed(
                [{"field": "seconds", "message": "must be a number from 0 to 1e9"}]
            )
        clock = service.clock
        if not isinstance(clock, VirtualClock):
            raise errors.validation_failed(
                [{"field": "clock", "message": "the clock is real; start focus-mock with --clock virtual"}]
            )
        clock.advance(seconds)
        return JSONResponse(_clock_state(service))

    async def reset(request: Request) -> JSONResponse:
        service.store.clear()
        return JSONResponse({"reset": True})

    return [
        Route(PREFIX + "/clock", read_clock, methods=["GET"]),
        Route(PREFIX + "/clock/advance", advance_clock, methods=["POST"]),
        Route(PREFIX + "/reset", reset, methods=["POST"]),
    ]
