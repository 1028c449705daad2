"""Judging answers against the spec: shapes from ``openapi/focus-sessions.yaml``, rules from the notes.

Schemas are never re-typed here. A session body is checked against the spec's
``FocusSession``, an error body against the schema the spec documents for that
operation and status (which pins ``code``, ``type`` and ``details``), and every
error additionally against D10's own words. Each problem is reported as one line
naming the clause and the field, so a failure says what to fix.
"""

from __future__ import annotations

import copy
import re
from datetime import datetime, timedelta
from typing import Any

import jsonschema

from mockserver.spec import Spec

from .client import Answer
from .timing import parse_instant

ERROR_FIELDS = ("code", "message", "system_message", "type", "status", "details", "trace_id", "timestamp")
# The clock skew tolerated between the target's Date header and its own timestamps.
CLOCK_TOLERANCE_SECONDS = 2.0


def schema_problems(validator: jsonschema.Validator, value: Any) -> list[str]:
    problems = []
    for error in sorted(validator.iter_errors(value), key=lambda e: list(map(str, e.absolute_path))):
        causes = error.context or [error]
        for cause in causes:
            where = "/".join(str(p) for p in cause.absolute_path) or "(body)"
            problems.append(f"{where}: {cause.message}")
    return problems


def fail(clause: str, answer: Answer | None, problems: list[str]) -> None:
    """Raise one AssertionError listing every problem, with the answer that showed them."""
    if not problems:
        return
    lines = [f"{clause}: {p}" for p in problems]
    if answer is not None:
        lines.append(f"answer: {answer.describe()}")
    raise AssertionError("\n".join(lines))


def is_utc_timestamp(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return moment.utcoffset() == timedelta(0)


class Contract:
    """The spec's schemas, ready to judge answers."""

    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self._session = spec.validator("/components/schemas/FocusSession")
        self._segment = spec.validator("/components/schemas/FocusSegment")
        self._envelope = spec.validator("/components/schemas/ErrorEnvelope")
        document = spec.document["components"]["schemas"]
        self.session_fields: tuple[str, ...] = tuple(document["FocusSession"]["required"])
        self.segment_fields: tuple[str, ...] = tuple(document["FocusSegment"]["required"])
        self.segment_id_pattern = re.compile(document["FocusSegment"]["properties"]["segment_id"]["pattern"])

    # -- successes ----------------------------------------------------------

    def expect_session(
        self,
        answer: Answer,
        *,
        status: int = 200,
        session_id: str | None = None,
        clause: str = "D8",
        complete: bool = False,
    ) -> dict[str, Any]:
        """A session answer: the status, a JSON object, the id asked for.

        ``complete`` also demands what D8 says: every documented field, with the spec's
        type. Other clauses leave that to the D8 tests, so that a missing field fails D8
        rather than every clause that happens to read a session.
        """
        if answer.status != status:
            fail(clause, answer, [f"expected HTTP {status}, got {answer.status}"])
        body = answer.json
        if not isinstance(body, dict):
            fail(clause, answer, ["the body is not a JSON object"])
        problems = []
        if complete:
            problems += [f"missing field {name!r}" for name in self.session_fields if name not in body]
            if not problems:
                problems = schema_problems(self._session, body)
        if session_id is not None and body.get("session_id") != session_id:
            problems.append(f"session_id is {body.get('session_id')!r}, but {session_id!r} was asked for")
        fail(clause, answer, problems)
        return body

    def segment_problems(self, segment: Any) -> list[str]:
        """The spec's ``FocusSegment`` for one listed segment (I6)."""
        return schema_problems(self._segment, segment)

    def problems_against(self, schema_name: str, value: Any) -> list[str]:
        """``value`` against ``components/schemas/<schema_name>`` of the spec."""
        return schema_problems(self.spec.validator(f"/components/schemas/{schema_name}"), value)

    def bare_problems(self, body: Any) -> list[str]:
        """D11: a success body is the resource itself, not wrapped in ``success``/``data``."""
        if not isinstance(body, dict):
            return ["the body is not a JSON object"]
        return [
            f"the body has {key!r}: success bodies are the bare resource"
            for key in ("success", "data")
            if key in body
        ]

    def expect_segment(self, answer: Answer, *, segment_id: str, clause: str = "I3") -> dict[str, Any]:
        if answer.status != 200:
            fail(clause, answer, [f"expected HTTP 200, got {answer.status}"])
        body = answer.json
        if not isinstance(body, dict):
            fail(clause, answer, ["the body is not a JSON object"])
        problems = schema_problems(self._segment, body)
        if body.get("segment_id") != segment_id:
            problems.append(f"segment_id is {body.get('segment_id')!r}, but {segment_id!r} was asked for")
        fail(clause, answer, problems)
        return body

    # -- errors -------------------------------------------------------------

    def envelope_problems(self, answer: Answer) -> list[str]:
        """D10 for any error answer, whatever its status."""
        body = answer.json
        if answer.content_type != "application/json":
            return [f"Content-Type is {answer.content_type or 'missing'!r}, not application/json"]
        if not isinstance(body, dict):
            return ["the body is not a JSON object"]
        error = body.get("error")
        if body.get("success") is not False or not isinstance(error, dict):
            return ['the body is not {"success": false, "error": {...}}']
        problems = [f"error.{name} is missing" for name in ERROR_FIELDS if name not in error]
        if problems:
            return problems
        if error["status"] != answer.status:
            problems.append(f"error.status is {error['status']!r}, but the HTTP status is {answer.status}")
        if not isinstance(error["details"], dict):
            problems.append(f"error.details is {type(error['details']).__name__}, not an object")
        if not is_utc_timestamp(error["timestamp"]):
            problems.append(f"error.timestamp {error['timestamp']!r} is not an ISO 8601 UTC date-time")
        return problems + schema_problems(self._envelope, body)

    def expect_error(
        self,
        answer: Answer,
        status: int,
        *,
        operation: str | None = None,
        schema: str | None = None,
        clause: str = "D10",
        details: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """An error answer as the spec documents it for ``operation`` and ``status``.

        Or, for answers outside any operation, as ``components/schemas/<schema>``.
        Problems are blamed where they belong: the status, ``code``, ``type`` and the
        given ``details`` on ``clause`` (D2's 401 code, D7's session id ...); the
        envelope itself on D10; whatever else the spec's schema says on ``clause``.
        """
        if answer.status != status:
            fail(clause, answer, [f"expected HTTP {status}, got {answer.status}"])
        if operation is not None:
            pointer = self.spec.response_pointer(operation, status)
            if pointer is None:
                fail(clause, answer, [f"the spec documents no {status} answer for {operation}"])
        else:
            pointer = f"/components/schemas/{schema}" if schema is not None else None
        body = answer.json
        error = body.get("error") if isinstance(body, dict) else None
        error = error if isinstance(error, dict) else {}
        expected = self.error_constants(pointer) if pointer else {}
        expected.pop("status", None)  # D10's own rule, checked with the envelope
        expected.update({f"details.{key}": value for key, value in (details or {}).items()})
        found = {**error, **{f"details.{k}": v for k, v in _as_dict(error.get("details")).items()}}
        wrong = {name: value for name, value in expected.items() if found.get(name) != value}
        fail(
            clause,
            answer,
            [f"error.{name} is {found.get(name)!r}, expected {v!r}" for name, v in wrong.items()],
        )
        fail("D10", answer, self.envelope_problems(answer))
        if pointer is not None:
            fail(clause, answer, schema_problems(self.spec.validator(pointer), body))
        return error

    def error_constants(self, pointer: str) -> dict[str, Any]:
        """The fixed ``error`` fields (``code``, ``type``, ``status``) the schema at ``pointer`` demands."""
        found: dict[str, Any] = {}
        self._collect_constants(self.spec.resolve(pointer), found, inside_error=False)
        return found

    def _collect_constants(self, node: Any, found: dict[str, Any], *, inside_error: bool) -> None:
        if not isinstance(node, dict):
            return
        if "$ref" in node:
            node = self.spec.resolve(node["$ref"].removeprefix("#"))
        for part in node.get("allOf", []):
            self._collect_constants(part, found, inside_error=inside_error)
        properties = node.get("properties", {})
        if not inside_error:
            self._collect_constants(properties.get("error"), found, inside_error=True)
            return
        for name, prop in properties.items():
            if isinstance(prop, dict) and "const" in prop:
                found.setdefault(name, prop["const"])

    # -- progress (I7) ------------------------------------------------------

    def invariant_problems(self, session: dict[str, Any], now: float) -> list[str]:
        """I7's rules that hold within one observation of a session."""
        problems = []
        ready, total = session["ready_count"], session["total_segments"]
        if not 0 <= ready <= total:
            problems.append(f"ready_count {ready} is not within 0..total_segments ({total})")
        if len(session["segments"]) > ready:
            problems.append(f"{len(session['segments'])} segments listed, more than ready_count {ready} (I6)")
        can_grow = session["status"] == "active" and ready < total
        if session["more_pending"] != can_grow:
            problems.append(
                f"more_pending is {session['more_pending']} for a session with status {session['status']!r} "
                f"and {ready} of {total} segments ready"
            )
        due = session["next_ready_at"]
        if session["more_pending"] and due is None:
            problems.append("more_pending is true but next_ready_at is null")
        if not session["more_pending"] and due is not None:
            problems.append(f"more_pending is false but next_ready_at is {due!r}")
        if due is not None and parse_instant(due) < now - CLOCK_TOLERANCE_SECONDS:
            problems.append(f"next_ready_at {due} is in the past")
        return problems


def _as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def without_moving_parts(body: Any, asked_id: str) -> Any:
    """An error body minus what differs between any two requests (I9): trace id, time, the id asked for."""
    stripped = copy.deepcopy(body)
    if isinstance(stripped, dict) and isinstance(stripped.get("error"), dict):
        stripped["error"].pop("trace_id", None)
        stripped["error"].pop("timestamp", None)
    return _replace_text(stripped, asked_id, "<asked id>")


def _replace_text(value: Any, old: str, new: str) -> Any:
    if isinstance(value, str):
        return value.replace(old, new)
    if isinstance(value, dict):
        return {key: _replace_text(item, old, new) for key, item in value.items()}
    if isinstance(value, list):
        return [_replace_text(item, old, new) for item in value]
    return value
