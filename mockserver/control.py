"""The mock's own endpoints under ``/__mock``: not part of the API, never behind an API key.

They let tests and UIs start from a clean slate, see and move every session,
drive time, arm faults and read the request journal. ``control_openapi.yaml``
describes them and is the source of truth for their request bodies and query
parameters; it is served at ``/__mock/openapi.json``. They answer loopback
clients only unless the mock was started with ``--control-from-anywhere``.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from functools import cache
from importlib import resources
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from . import errors
from .clock import VirtualClock, isoformat
from .config import Config
from .faults import FaultBook
from .forcing import error_statuses
from .identity import Identities
from .journal import Journal, redact_key
from .quotas import apply_overrides, quota_view
from .service import FocusService
from .spec import Spec, load_bundled_yaml
from .store import SessionRecord
from .timeline import ACTIVE, STOPPED_CAP, QuotaLedger, progress
from .validation import check, parse_json, read_limited

PREFIX = "/__mock"
DOCUMENT_NAME = "control_openapi.yaml"
REFUSED = {
    "code": "CONTROL_PLANE_LOOPBACK_ONLY",
    "type": "authorization_error",
    "message": "The mock's control plane only answers this machine.",
}

Endpoint = Callable[[Request], Awaitable[Response]]


@cache
def load_document() -> Spec:
    """The control plane's OpenAPI document, shipped beside this module (read once)."""
    text = resources.files(__package__).joinpath(DOCUMENT_NAME).read_text(encoding="utf-8")
    return Spec(load_bundled_yaml(text))


def is_loopback(client: tuple[str, int] | None) -> bool:
    """True for 127.0.0.0/8, ::1 and IPv4-mapped loopback.

    No client at all (a Unix socket, an in-process transport that names none)
    cannot be remote, so it counts as local. A client that is a name rather than
    an address does not: behind a local proxy uvicorn takes the client from
    ``X-Forwarded-For``, where ``unknown`` or any word can stand, and a guard
    must not open for what it cannot place.
    """
    if client is None:
        return True
    try:
        address = ipaddress.ip_address(client[0].split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback


@dataclass
class ControlPlane:
    """Everything the control endpoints act on."""

    service: FocusService
    base_config: Config
    api: Spec
    document: Spec
    faults: FaultBook
    journal: Journal
    identities: Identities
    from_anywhere: bool = False

    # -- input ------------------------------------------------------------------

    async def body(self, request: Request, operation_id: str) -> dict[str, Any]:
        """The JSON body, checked against the operation's schema in the control document."""
        body = parse_json(request.headers.get("content-type"), await read_limited(request.stream()))
        check(self.document.validator(self.document.request_body_pointer(operation_id)), body)
        return body

    def query(self, request: Request, operation_id: str) -> dict[str, Any]:
        """Declared query parameters, converted and checked against their schemas; unknown ones refused."""
        operation = self.document.operations[operation_id]
        declared = self.document.resolve(operation.pointer).get("parameters", [])
        by_name = {p["name"]: (i, p) for i, p in enumerate(declared) if p["in"] == "query"}
        values: dict[str, Any] = {}
        problems: list[dict[str, str]] = []
        for name, raw in request.query_params.multi_items():
            if name not in by_name:
                known = ", ".join(by_name) or "none"
                problems.append(
                    {"field": name, "message": f"is not a known query parameter (allowed: {known})"}
                )
                continue
            if name in values or any(p["field"] == name for p in problems):
                problems.append({"field": name, "message": "is given more than once; give it once"})
                continue
            index, parameter = by_name[name]
            value: Any = raw
            if parameter["schema"].get("type") == "integer":
                try:
                    value = int(raw)
                except ValueError:
                    problems.append({"field": name, "message": f"must be an integer, not {raw!r}"})
                    continue
            pointer = f"{operation.pointer}/parameters/{index}/schema"
            try:
                check(self.document.validator(pointer), value)
            except errors.ApiError as exc:
                problems += [{"field": name, "message": e["message"]} for e in exc.details["errors"]]
                continue
            values[name] = value
        if problems:
            raise errors.validation_failed(problems)
        for name, (_, parameter) in by_name.items():
            if name not in values and "default" in parameter["schema"]:
                values[name] = parameter["schema"]["default"]
        return values

    # -- views ------------------------------------------------------------------

    def session_state(self, record: SessionRecord) -> dict[str, Any]:
        state = self.service.progress(record)
        total = record.total_segments
        return {
            "session_id": record.session_id,
            "organization_id": record.organization_id,
            "owner_id": record.owner_id,
            "goal": record.goal,
            "engine": record.engine,
            "target_minutes": record.target_minutes,
            "total_segments": total,
            "status": state.status,
            "ready_count": state.ready_count,
            "percent_ready": state.ready_count * 100 // total,
            "more_pending": state.more_pending,
            "next_ready_at": None if state.next_ready_at is None else isoformat(state.next_ready_at),
            "started_at": isoformat(record.started_at),
            "ended_at": None if record.ended_at is None else isoformat(record.ended_at),
            "promoted": sorted(record.promoted),
        }

    def clock_state(self) -> dict[str, Any]:
        now = self.service.clock.now()
        return {"kind": self.service.clock.kind, "now": isoformat(now), "epoch_seconds": now}

    # -- endpoints ----------------------------------------------------------------

    async def document_json(self, request: Request) -> Response:
        return JSONResponse(self.document.document)

    async def read_clock(self, request: Request) -> Response:
        return JSONResponse(self.clock_state())

    async def advance_clock(self, request: Request) -> Response:
        seconds = (await self.body(request, "advanceClock"))["seconds"]
        clock = self.service.clock
        if not isinstance(clock, VirtualClock):
            raise _invalid("clock", "the clock is real; start focus-mock with --clock virtual")
        try:
            now = clock.advance(seconds)
        except ValueError as exc:
            raise _invalid("seconds", str(exc)) from None
        self.service.store.save_clock(now)
        return JSONResponse(self.clock_state())

    async def reset(self, request: Request) -> Response:
        self.service.store.clear()
        self.faults.clear()
        apply_overrides(self.service, self.base_config)
        return JSONResponse({"reset": True})

    async def list_sessions(self, request: Request) -> Response:
        query = self.query(request, "listSessions")
        records = [
            r
            for r in self.service.store.all()
            if query.get("owner", r.owner_id) == r.owner_id
            and query.get("organization", r.organization_id) == r.organization_id
        ]
        return JSONResponse({"sessions": [self.session_state(r) for r in records]})

    async def jump_session(self, request: Request) -> Response:
        session_id = request.path_params["session_id"]
        if self.service.store.get(session_id) is None:
            raise errors.session_not_found(session_id)
        wanted = (await self.body(request, "jumpSession"))["ready_count"]
        # Read the session again: an End may have come in while the body did, and an ended session
        # no longer changes (D9). From here to the reschedule nothing awaits, so nothing interleaves.
        record = self.service.store.get(session_id)
        if record is None:  # a reset while the body arrived
            raise errors.session_not_found(session_id)
        state = self.service.progress(record)
        if state.status != ACTIVE:
            raise _invalid("ready_count", f"the session is {state.status}; it no longer changes (D9, I8)")
        if wanted > record.total_segments:
            raise _invalid("ready_count", f"must be at most total_segments ({record.total_segments})")
        if wanted < state.ready_count:
            raise _invalid(
                "ready_count", f"never decreases (I7); the session already has {state.ready_count} ready"
            )
        if wanted > state.ready_count:
            timings = self.service.config.timings
            offset = timings.first_segment_seconds + (wanted - 1) * timings.segment_interval_seconds
            started_at = round(self.service.clock.now() - offset, 3)
            moved = replace(record, started_at=started_at)
            losers, own = self.outcome_if_stored(moved)
            if losers:
                raise _invalid(
                    "ready_count",
                    f"segments made this far back would take quota from {', '.join(losers)}, which already "
                    "show them ready; a ready count never decreases (I7). Ask for fewer",
                )
            if own < state.ready_count:
                # The quota's history holds: a start moved back into a stretch when the quota was
                # used up stops the session there, whatever the quota is now.
                raise _invalid(
                    "ready_count",
                    f"the session's start would move back to {isoformat(started_at)}, when "
                    f"{record.organization_id}'s segment quota was used up: it would stop there with {own} "
                    f"of the {state.ready_count} segments it has, and a ready count never decreases (I7). "
                    "Ask for fewer, or move the clock on first",
                )
            record = self.service.store.reschedule(session_id, started_at)
        state = self.session_state(record)
        return JSONResponse(
            state | {"requested_ready_count": wanted, "capped_by_quota": self.cap_note(state, wanted)}
        )

    def cap_note(self, state: dict[str, Any], wanted: int) -> dict[str, Any] | None:
        """Why a jump left the session stopped, maybe short of what was asked: the quota ran out (I8)."""
        if state["status"] != STOPPED_CAP:
            return None
        organization_id = state["organization_id"]
        service = self.service
        ledger = QuotaLedger.compute(
            service.store.in_organization(organization_id),
            service.quota_history(organization_id),
            service.config.timings,
            service.clock.now(),
        )
        stopped_at, ready = ledger.limits[state["session_id"]]
        assert stopped_at is not None
        when = isoformat(stopped_at)
        if ready < wanted:
            message = (
                f"only {ready} of the {wanted} segments asked for: {organization_id}'s segment quota "
                f"ran out at {when} and the session stopped there (I8). Raise the quota with "
                f"PUT /__mock/quotas/{organization_id} first to get more"
            )
        else:
            message = (
                f"{organization_id}'s segment quota ran out at {when}: the session stopped there "
                f"with the {ready} segments asked for and makes no more (I8)"
            )
        return {"ready_count": ready, "stopped_at": when, "message": message}

    def outcome_if_stored(self, moved: SessionRecord) -> tuple[list[str], int]:
        """If ``moved`` replaced the stored record: the other sessions of its organization that
        would show fewer ready segments (moving a start back reorders the quota ledger), and how
        many ``moved`` itself would show."""
        service = self.service
        now = service.clock.now()
        timings = service.config.timings
        sessions = [
            moved if s.session_id == moved.session_id else s
            for s in service.store.in_organization(moved.organization_id)
        ]
        ledger = QuotaLedger.compute(sessions, service.quota_history(moved.organization_id), timings, now)
        losers = [
            s.session_id
            for s in sessions
            if s.session_id != moved.session_id
            and progress(s, timings, now, ledger).ready_count < service.progress(s).ready_count
        ]
        return losers, progress(moved, timings, now, ledger).ready_count

    async def list_quotas(self, request: Request) -> Response:
        organizations = [
            quota_view(self.service, self.base_config, org.id) for org in self.service.config.organizations
        ]
        return JSONResponse({"organizations": organizations})

    async def set_quota(self, request: Request) -> Response:
        organization_id = request.path_params["organization_id"]
        if self.service.config.organization(organization_id) is None:
            known = ", ".join(o.id for o in self.service.config.organizations)
            raise errors.ApiError(
                404,
                f"No organization {organization_id} (known: {known})",
                {"organization_id": organization_id},
            )
        quota = (await self.body(request, "setQuota"))["segment_quota"]
        used = quota_view(self.service, self.base_config, organization_id)["used"]
        if quota < used:
            raise _invalid(
                "segment_quota",
                f"must be at least {used}: that many segments are already ready, and a ready segment is "
                "never taken back (I7). Set it to that to stop every running session now",
            )
        self.service.store.set_quota(organization_id, quota, self.service.clock.now())
        apply_overrides(self.service, self.base_config)
        return JSONResponse(quota_view(self.service, self.base_config, organization_id))

    async def list_faults(self, request: Request) -> Response:
        return JSONResponse({"faults": [f.view() for f in self.faults.list()]})

    async def add_fault(self, request: Request) -> Response:
        body = await self.body(request, "addFault")
        operation = self.api.operations.get(body["operation"])
        if operation is None:
            raise _invalid("operation", "must be one of " + ", ".join(self.api.operations))
        status = body.get("status")
        allowed = error_statuses(operation)
        if status is not None and status not in allowed:
            can = ", ".join(map(str, allowed))
            raise _invalid("status", f"{operation.operation_id} documents {can}; choose one of those")
        drop = body.get("drop", False)
        delay_ms = body.get("delay_ms", 0)
        if drop and status is not None:
            raise _invalid("drop", "a dropped connection has no status; send drop or status, not both")
        if not drop and status is None and not delay_ms:
            raise _invalid("status", "say what the fault does: give status, delay_ms or drop")
        user_id = None
        if "api_key" in body:
            user = self.identities.authenticate(body["api_key"])
            if user is None:
                raise _invalid("api_key", "is not the key of any user of this mock (see the start-up banner)")
            user_id = user.id
        fault = self.faults.add(
            operation.operation_id,
            created_at=self.service.clock.now(),
            status=status,
            delay_ms=delay_ms,
            drop=drop,
            times=body.get("times"),
            user_id=user_id,
            api_key=redact_key(body.get("api_key")),
        )
        return JSONResponse(fault.view(), status_code=201)

    async def clear_faults(self, request: Request) -> Response:
        return JSONResponse({"cleared": self.faults.clear()})

    async def remove_fault(self, request: Request) -> Response:
        fault_id = request.path_params["fault_id"]
        if not self.faults.remove(fault_id):
            raise errors.ApiError(404, f"No armed fault {fault_id}", {"fault_id": fault_id})
        return JSONResponse({"cleared": 1})

    async def read_journal(self, request: Request) -> Response:
        query = self.query(request, "readJournal")
        operation = query.get("operation")
        if operation is not None and operation not in self.api.operations:
            raise _invalid("operation", "must be one of " + ", ".join(self.api.operations))
        entries, matched = self.journal.query(
            limit=query["limit"], operation=operation, status=query.get("status")
        )
        return JSONResponse({"entries": [e.view() for e in entries], "matched": matched})

    async def clear_journal(self, request: Request) -> Response:
        return JSONResponse({"cleared": self.journal.clear()})

    # -- routing ------------------------------------------------------------------

    def guard(self, endpoint: Endpoint) -> Endpoint:
        """Refuse clients from other machines unless the mock was told to accept them."""

        async def guarded(request: Request) -> Response:
            if self.from_anywhere or is_loopback(request.scope.get("client")):
                return await endpoint(request)
            host = request.scope["client"][0]
            error = errors.ApiError(
                403,
                f"The control plane answers loopback clients only, not {host}; "
                "start focus-mock with --control-from-anywhere to open it",
                {"client": host},
            )
            body = errors.envelope(error, {403: REFUSED}, request.state.trace_id, self.service.clock.now())
            return JSONResponse(body, status_code=403)

        return guarded

    def routes(self) -> list[Route]:
        endpoints: dict[str, Endpoint] = {
            "getControlDocument": self.document_json,
            "reset": self.reset,
            "readClock": self.read_clock,
            "advanceClock": self.advance_clock,
            "listSessions": self.list_sessions,
            "jumpSession": self.jump_session,
            "listQuotas": self.list_quotas,
            "setQuota": self.set_quota,
            "listFaults": self.list_faults,
            "addFault": self.add_fault,
            "clearFaults": self.clear_faults,
            "removeFault": self.remove_fault,
            "readJournal": self.read_journal,
            "clearJournal": self.clear_journal,
        }
        missing = set(self.document.operations) ^ set(endpoints)
        if missing:
            raise RuntimeError(f"control document and endpoints disagree on operations: {sorted(missing)}")
        return [
            Route(op.path, self.guard(endpoints[op.operation_id]), methods=[op.method], name=op.operation_id)
            for op in self.document.operations.values()
        ]


class _SwitchedOff:
    """An ASGI endpoint (not a function, so Starlette routes every method to it)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope["path"]
        raise errors.ApiError(
            404,
            f"No route matches {scope['method']} {path}: the control plane is off "
            "(focus-mock was started with --no-control); start it without that option to use it",
            {"path": path},
        )


def switched_off_routes() -> list[Route]:
    """With ``--no-control``: every path under the prefix is a ``404``, key or not, saying why."""
    return [Route(PREFIX + "/{rest:path}", _SwitchedOff())]


def _invalid(field: str, message: str) -> errors.ApiError:
    return errors.validation_failed([{"field": field, "message": message}])
