"""Assembling the mock: spec, world, clock and store in; one ASGI app out."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from . import errors
from .audio import audio_routes
from .clock import Clock, RealClock
from .config import Config, load_config
from .control import PREFIX as CONTROL_PREFIX
from .control import control_routes
from .gateway import Gateway
from .handlers import AUDIO_PATH, api_routes
from .identity import Identities
from .service import FocusService
from .spec import Spec
from .store import MemoryStore, SessionStore


def _routing_error(request: Request, exc: Exception) -> Response:
    """Starlette's own 404/405 become ApiErrors, rendered like every other error."""
    assert isinstance(exc, HTTPException)
    if exc.status_code == 405:
        allowed = sorted(m.strip() for m in (exc.headers or {}).get("Allow", "").split(",") if m.strip())
        raise errors.method_not_allowed(request.method, allowed)
    if exc.status_code == 404:
        raise errors.route_not_found(request.method, request.url.path)
    raise errors.ApiError(exc.status_code if exc.status_code in (413, 422) else 500, str(exc.detail))


def create_app(
    config: Config | None = None,
    clock: Clock | None = None,
    store: SessionStore | None = None,
    *,
    spec: Spec | None = None,
    control: bool = True,
) -> Starlette:
    spec = spec or Spec.load()
    config = config or load_config(None)
    clock = clock or RealClock()
    store = store if store is not None else MemoryStore()
    service = FocusService(
        config, clock, store, spec.schema_fields("FocusSession"), spec.schema_fields("FocusSegment")
    )
    templates = spec.error_templates

    def render_error(error: errors.ApiError, trace_id: str) -> Response:
        body = errors.envelope(error, templates, trace_id, clock.now())
        return JSONResponse(body, status_code=error.status, headers=error.headers)

    routes = api_routes(spec, service) + audio_routes(AUDIO_PATH)
    if control:
        routes += control_routes(service)
    app = Starlette(
        routes=routes,
        exception_handlers={HTTPException: _routing_error},
        middleware=[
            Middleware(
                Gateway,
                identities=Identities(config.users),
                render_error=render_error,
                open_prefixes=(CONTROL_PREFIX + "/",),
            )
        ],
    )
    app.router.redirect_slashes = False
    app.state.service = service
    app.state.spec = spec
    return app
