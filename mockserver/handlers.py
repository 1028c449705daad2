"""HTTP endpoints of the public API: request in, service call, JSON out.

Routes come from the spec's paths; each ``operationId`` maps to one handler here.
"""

from __future__ import annotations

from typing import Any

import jsonschema
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from .config import User
from .service import FocusService
from .spec import Spec
from .validation import check, parse_json, read_limited

AUDIO_PATH = "/__audio"


def _caller(request: Request, service: FocusService) -> tuple[User, str]:
    user: User = request.state.user
    organization_id = request.path_params["organization_id"]
    service.require_member(user, organization_id)
    return user, organization_id


def _audio_base(request: Request) -> str:
    host, port = request.scope.get("server") or ("localhost", None)
    host = f"[{host}]" if ":" in host else host
    authority = host if port in (None, 80) else f"{host}:{port}"
    return f"http://{authority}{AUDIO_PATH}"


def api_routes(spec: Spec, service: FocusService) -> list[Route]:
    start_validator: jsonschema.Validator = spec.validator(spec.request_body_pointer("startFocusSession"))

    async def start_focus_session(request: Request) -> JSONResponse:
        user, organization_id = _caller(request, service)
        body = parse_json(request.headers.get("content-type"), await read_limited(request.stream()))
        check(start_validator, body)
        session = service.start(user, organization_id, body, _audio_base(request))
        location = f"{request.url.path.rstrip('/')}/{session['session_id']}"
        return JSONResponse(session, status_code=201, headers={"Location": location})

    async def get_focus_session(request: Request) -> JSONResponse:
        user, organization_id = _caller(request, service)
        session_id = request.path_params["session_id"]
        return JSONResponse(service.get(user, organization_id, session_id, _audio_base(request)))

    async def end_focus_session(request: Request) -> JSONResponse:
        user, organization_id = _caller(request, service)
        session_id = request.path_params["session_id"]
        return JSONResponse(service.end(user, organization_id, session_id, _audio_base(request)))

    async def promote_focus_segment(request: Request) -> JSONResponse:
        user, organization_id = _caller(request, service)
        params: dict[str, Any] = request.path_params
        segment = service.promote(
            user, organization_id, params["session_id"], params["segment_id"], _audio_base(request)
        )
        return JSONResponse(segment)

    endpoints = {
        "startFocusSession": start_focus_session,
        "getFocusSession": get_focus_session,
        "endFocusSession": end_focus_session,
        "promoteFocusSegment": promote_focus_segment,
    }
    missing = set(spec.operations) ^ set(endpoints)
    if missing:
        raise RuntimeError(f"spec and handlers disagree on operations: {sorted(missing)}")
    return [
        Route(op.path, endpoints[op.operation_id], methods=[op.method], name=op.operation_id)
        for op in spec.operations.values()
    ]
