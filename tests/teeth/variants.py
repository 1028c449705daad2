"""Deliberately broken mocks: each breaks one clause of the API notes the way a real server might.

Each variant is the faithful mock (``mockserver.create_app``) with one operation of
its service patched, or one kind of answer rewritten on the way out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mockserver import errors
from mockserver.app import create_app
from mockserver.clock import VirtualClock
from mockserver.config import load_config
from mockserver.service import FocusService
from mockserver.store import MemoryStore


def faithful() -> Starlette:
    """The mock as it is, on a virtual clock and its own store."""
    return create_app(load_config(None), VirtualClock(), MemoryStore())


def service_of(app: Starlette) -> FocusService:
    return app.state.service


# -- patched services -------------------------------------------------------------


def end_not_idempotent() -> ASGIApp:
    """D6: a second End of the same session answers 404, as if it were gone."""
    app = faithful()
    service = service_of(app)
    original = service.end

    def end(user: Any, organization_id: str, session_id: str, audio_base: str) -> dict[str, Any]:
        record = service.store.get(session_id)
        if record is not None and record.ended_at is not None and record.owner_id == user.id:
            raise errors.session_not_found(session_id)
        return original(user, organization_id, session_id, audio_base)

    service.end = end  # type: ignore[method-assign]
    return app


def foreign_session_403() -> ASGIApp:
    """D7: another user's session answers 403 instead of 404."""
    app = faithful()
    service = service_of(app)
    original = service._owned

    def owned(user: Any, organization_id: str, session_id: str) -> Any:
        record = service.store.get(session_id)
        if record is not None and record.organization_id == organization_id and record.owner_id != user.id:
            raise errors.forbidden(organization_id)
        return original(user, organization_id, session_id)

    service._owned = owned  # type: ignore[method-assign]
    return app


def foreign_end_ends() -> ASGIApp:
    """D7: another user's End answers the right 404, but really ends the owner's session."""
    app = faithful()
    service = service_of(app)
    original = service.end

    def end(user: Any, organization_id: str, session_id: str, audio_base: str) -> dict[str, Any]:
        record = service.store.get(session_id)
        if record is not None and record.owner_id != user.id:
            service.store.end(session_id, service.clock.now())
        return original(user, organization_id, session_id, audio_base)

    service.end = end  # type: ignore[method-assign]
    return app


def _rendered(app: Starlette, change: Callable[[Any, dict[str, Any]], None]) -> ASGIApp:
    """The app with every session body passed through ``change(record, body)``."""
    service = service_of(app)
    original = service.render

    def render(record: Any, audio_base: str) -> dict[str, Any]:
        body = original(record, audio_base)
        change(record, body)
        return body

    service.render = render  # type: ignore[method-assign]
    return app


def missing_field() -> ASGIApp:
    """D8: session bodies lack ``engine``."""
    return _rendered(faithful(), lambda record, body: body.pop("engine"))


def more_pending_after_end() -> ASGIApp:
    """D9: an ended session still says more segments are coming."""

    def change(record: Any, body: dict[str, Any]) -> None:
        if record.ended_at is not None:
            body["more_pending"] = True

    return _rendered(faithful(), change)


def segments_after_end() -> ASGIApp:
    """D9: End answers "ended", but the session goes on producing segments."""
    app = faithful()
    service = service_of(app)
    said_ended: set[str] = set()

    def end(user: Any, organization_id: str, session_id: str, audio_base: str) -> dict[str, Any]:
        service.require_member(user, organization_id)
        said_ended.add(service._owned(user, organization_id, session_id).session_id)
        return service.render(service.store.get(session_id), audio_base)

    def change(record: Any, body: dict[str, Any]) -> None:
        if record.session_id in said_ended:
            body.update(status="ended", more_pending=False, next_ready_at=None)

    service.end = end  # type: ignore[method-assign]
    return _rendered(app, change)


def foreign_404_differs() -> ASGIApp:
    """I9: another user's session gets a 404 that differs from a never-existing id's, naming the key."""
    app = faithful()
    service = service_of(app)
    original = service._owned

    def owned(user: Any, organization_id: str, session_id: str) -> Any:
        record = service.store.get(session_id)
        if record is not None and record.owner_id != user.id:
            message = f"Focus session belongs to another user (you are {user.api_key})"
            raise errors.ApiError(404, message, {"session_id": session_id})
        return original(user, organization_id, session_id)

    service._owned = owned  # type: ignore[method-assign]
    return app


# -- rewritten answers --------------------------------------------------------------


class RewriteStatus:
    """Replaces the body of every answer with status ``status`` by ``body``."""

    def __init__(self, app: ASGIApp, status: int, body: bytes, content_type: bytes) -> None:
        self.app, self.status, self.body, self.content_type = app, status, body, content_type

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rewriting = False

        async def rewrite(message: Message) -> None:
            nonlocal rewriting
            if message["type"] == "http.response.start" and message["status"] == self.status:
                rewriting = True
                headers = [
                    (b"content-type", self.content_type),
                    (b"content-length", str(len(self.body)).encode()),
                ]
                await send({"type": "http.response.start", "status": self.status, "headers": headers})
                await send({"type": "http.response.body", "body": self.body})
            elif not rewriting:
                await send(message)

        await self.app(scope, receive, rewrite)


def unenveloped_401() -> ASGIApp:
    """D2/D10: a 401 in a framework's default shape instead of the documented envelope."""
    return RewriteStatus(faithful(), 401, b'{"detail": "Not authenticated"}', b"application/json")


@dataclass(frozen=True)
class Variant:
    name: str
    build: Callable[[], ASGIApp]
    breaks: tuple[str, ...]  # the clauses the suite must fail
    select: str  # the -k expression that runs the tests of interest
    keeps: tuple[str, ...] = ("D4",)  # clauses the suite must still pass: it fails precisely


VARIANTS = (
    Variant("end not idempotent", end_not_idempotent, ("D6",), "D6 or D4"),
    Variant("foreign session answered 403", foreign_session_403, ("D7",), "D7 or D4"),
    Variant("foreign end ends the owner's session", foreign_end_ends, ("D7",), "D7 or D4"),
    Variant("a required field missing", missing_field, ("D8",), "D8 or D4"),
    Variant("more_pending true after end", more_pending_after_end, ("D9",), "D9 or D4"),
    Variant("segments still appearing after end", segments_after_end, ("D9",), "D9 or D4"),
    Variant("401 without the envelope", unenveloped_401, ("D2", "D10"), "D2 or D10 or D4"),
    Variant(
        "foreign 404 differs from a never-existing id's",
        foreign_404_differs,
        ("I9",),
        "I9 or D7 or D4",
        ("D4", "D7"),
    ),
)
