"""What every answer to hostile input must be, wherever it was received."""

from __future__ import annotations

import re
from typing import Any

from mockserver.spec import Spec

from .corpus import Row

REQUEST_ID = re.compile(r"^req_[A-Za-z0-9]+$")
ENVELOPE = "/components/schemas/ErrorEnvelope"


def judge(row: Row, status: int, media_type: str, request_id: str | None, body: Any, spec: Spec) -> None:
    """The checks every answer to ``row`` must pass, wherever it came from."""
    assert status in row.statuses(), (
        f"{row.id}: {status} is not one of {sorted(row.statuses())}: {body!r:.300}"
    )
    assert media_type == "application/json", f"{row.id}: Content-Type {media_type!r}"
    assert request_id is not None and REQUEST_ID.match(request_id), f"{row.id}: X-Request-ID {request_id!r}"
    if status < 400:
        return
    if body is not None:
        envelope(body, status, request_id, spec)
        assert body["error"]["code"] == row.code_for(status), f"{row.id}: {body['error']}"
        if row.field is not None:
            fields = [problem["field"] for problem in body["error"]["details"]["errors"]]
            assert row.field in fields, f"{row.id}: {row.field!r} not among {fields}"


def bounded(row: Row, answer_bytes: int, request_bytes: int) -> None:
    """An answer is never much larger than the request: hostile input must not be amplified."""
    limit = 2 * request_bytes + 16 * 1024
    assert answer_bytes <= limit, f"{row.id}: a {answer_bytes}-byte answer to a {request_bytes}-byte request"


def envelope(body: Any, status: int, request_id: str | None, spec: Spec) -> None:
    """D10: the documented envelope, agreeing with the HTTP status and X-Request-ID."""
    problems = [error.message for error in spec.validator(ENVELOPE).iter_errors(body)]
    assert not problems, f"not the D10 envelope: {problems}: {body!r:.300}"
    assert body["error"]["status"] == status
    assert body["error"]["trace_id"] == request_id
