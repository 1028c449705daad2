"""Assembling the mock: spec, world, clock and store in; one ASGI app out."""

from __future__ import annotations

from collections.abc import Sequence

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
from .control import ControlPlane, load_document, switched_off_routes
from .cors import cors_middleware
from .docs import DOCS_PATH, docs_routes
from .faults import FaultBook
from .forcing import ForcedAnswers, Sleep
from .gateway import Gateway, RequestLogger
from .handlers import AUDIO_PATH, ApiDispatch, api_handlers, api_routes
from .identity import Identities
from .journal import Journal
from .quotas import apply_overrides
from .redaction import Redactor
from .service import FocusService
from .spec import Spec
from .store import MemoryStore, SessionStore

# Served without an API key: the mock's own pages, not the API (I13 covers the API's paths).
OPEN_PATHS = frozenset({DOCS_PATH, "/openapi.json", "/openapi.yaml"})
SEGMENT_ID = "/components/parameters/SegmentId/schema"


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
    control_from_anywhere: bool = False,
    cors_origins: Sequence[str] | None = None,
    sleep: Sleep | None = None,
    log_request: RequestLogger | None = None,
) -> Starlette:
    """The mock as an ASGI app.

    ``control`` adds the ``/__mock`` control plane (loopback clients only unless
    ``control_from_anywhere``); ``cors_origins`` replaces the default of any
    localhost origin; ``sleep`` replaces ``asyncio.sleep`` for forced delays;
    ``log_request`` gets one call per request (see :mod:`mockserver.access_log`).
    """
    spec = spec or Spec.load()
    config = config or load_config(None)
    clock = clock or RealClock()
    store = store if store is not None else MemoryStore()
    service = FocusService(
        config, clock, store, spec.schema_fields("FocusSession"), spec.schema_fields("FocusSegment")
    )
    apply_overrides(service, config)
    templates = spec.error_templates

    def render_error(error: errors.ApiError, trace_id: str) -> Response:
        body = errors.envelope(error, templates, trace_id, clock.now())
        return JSONResponse(body, status_code=error.status, headers=error.headers)

    identities = Identities(config.users)
    faults = FaultBook()
    redactor = Redactor(user.api_key for user in config.users)
    journal = Journal(
        clock,
        skip_prefixes=(CONTROL_PREFIX + "/", DOCS_PATH, "/openapi.", AUDIO_PATH + "/"),
        redactor=redactor,
    )
    handlers = api_handlers(spec, service)
    routes = (
        api_routes(spec, handlers)
        + audio_routes(AUDIO_PATH, spec.validator(SEGMENT_ID))
        + docs_routes(spec, config, control=control)
    )
    methods = {op.method for op in spec.operations.values()}
    # The control plane's paths never need a key: with --no-control they answer 404 to everyone.
    open_prefixes: tuple[str, ...] = (AUDIO_PATH + "/", DOCS_PATH + "/", CONTROL_PREFIX + "/")
    if control:
        plane = ControlPlane(
            service, config, spec, load_document(), faults, journal, identities, control_from_anywhere
        )
        routes += plane.routes()
        methods |= {op.method for op in plane.document.operations.values()}
    else:
        routes += switched_off_routes()
    app = Starlette(
        routes=routes,
        exception_handlers={HTTPException: _routing_error},
        middleware=[
            cors_middleware(methods, cors_origins, now=clock.now),
            Middleware(
                Gateway,
                identities=identities,
                redactor=redactor,
                render_error=render_error,
                open_prefixes=open_prefixes,
                open_paths=OPEN_PATHS,
                on_complete=journal.observe if control else None,
                log_request=log_request,
            ),
            Middleware(ForcedAnswers, spec=spec, faults=faults if control else None, sleep=sleep),
            Middleware(ApiDispatch, handlers=handlers),
        ],
    )
    app.router.redirect_slashes = False
    app.state.service = service
    app.state.spec = spec
    app.state.faults = faults
    app.state.journal = journal
    return app
