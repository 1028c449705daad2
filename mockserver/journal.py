"""The request journal: the last requests the mock answered, for ``GET /__mock/journal``.

A UI developer asks "what did my app just send, and what did it get?" without a
proxy. Each entry carries the trace id that is also in ``X-Request-ID`` and in
every error body, so an answer seen in the browser can be found here. API keys
never enter the journal: only a short fingerprint and the key owner's user id,
and keys sent in a path or query string are replaced (see :mod:`.redaction`).
A request that got no answer, because a fault dropped its connection or its
client went away first, is recorded as dropped.
"""

from __future__ import annotations

import hashlib
import threading
from collections import deque
from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import Any

from starlette.types import Scope

from .clock import Clock, isoformat
from .redaction import Redactor

DEFAULT_SIZE = 1000


def redact_key(api_key: str | None) -> str | None:
    """A fingerprint that tells two keys apart without revealing either."""
    if not api_key:
        return None
    return _fingerprint(api_key)


@lru_cache(maxsize=256)  # the same few keys on every request; a hash each time is a waste
def _fingerprint(api_key: str) -> str:
    digest = hashlib.sha256(api_key.encode("utf-8", "surrogateescape")).hexdigest()
    return f"sha256:{digest[:10]}"


@dataclass(frozen=True)
class Entry:
    trace_id: str
    timestamp: str
    method: str
    path: str
    query: str
    status: int | None  # None: no answer left (dropped), see ``dropped``
    duration_ms: float
    operation: str | None
    api_key: str | None
    user_id: str | None
    forced: str | None  # "Prefer" or the id of the fault that fired
    dropped: bool  # by a fault, or the client left before the answer

    def view(self) -> dict[str, Any]:
        return asdict(self)


class Journal:
    """A bounded, newest-last list of entries; older ones fall off the end.

    Requests only append a tuple of raw facts; the :class:`Entry` with its
    timestamp text is made when someone reads the journal.
    """

    def __init__(
        self,
        clock: Clock,
        size: int = DEFAULT_SIZE,
        skip_prefixes: tuple[str, ...] = (),
        redactor: Redactor | None = None,
    ) -> None:
        self._clock = clock
        self._entries: deque[tuple[Any, ...]] = deque(maxlen=size)
        self._lock = threading.Lock()
        self._skip = skip_prefixes
        self._redactor = redactor or Redactor(())

    def observe(self, scope: Scope, status: int, elapsed_ms: float) -> None:
        """Record one finished request (the gateway calls this once per request)."""
        path: str = scope["path"]
        if path.startswith(self._skip):
            return
        state = scope.get("state", {})
        user = state.get("user")
        api_key = None
        for name, value in scope.get("headers", ()):
            if name == b"x-api-key":
                api_key = value.decode("latin-1")
                break
        offered = () if api_key is None else (api_key,)
        query: bytes = scope.get("query_string", b"")
        facts = (
            state.get("trace_id", ""),
            self._clock.now(),
            scope["method"],
            self._redactor.text(path, offered),
            self._redactor.query(query.decode("latin-1"), offered) if query else "",
            status,
            elapsed_ms,
            state.get("operation_id"),
            redact_key(api_key),
            None if user is None else user.id,
            state.get("forced"),
            bool(state.get("dropped")),
        )
        with self._lock:
            self._entries.append(facts)

    def query(
        self, *, limit: int, operation: str | None = None, status: str | None = None
    ) -> tuple[list[Entry], int]:
        """Newest first, at most ``limit``; ``status`` is ``404`` or a class like ``4xx``.

        Also returns how many entries matched before the limit.
        """
        with self._lock:
            facts = list(self._entries)
        entries = (_entry(*f) for f in reversed(facts))
        matched = [e for e in entries if _matches(e, operation, status)]
        return matched[:limit], len(matched)

    def clear(self) -> int:
        with self._lock:
            count = len(self._entries)
            self._entries.clear()
            return count


def _entry(
    trace_id: str,
    now: float,
    method: str,
    path: str,
    query: str,
    status: int,
    elapsed_ms: float,
    operation: str | None,
    api_key: str | None,
    user_id: str | None,
    forced: str | None,
    dropped: bool,
) -> Entry:
    dropped = dropped or not status  # no answer left: the client will not see one either
    return Entry(
        trace_id=trace_id,
        timestamp=isoformat(now),
        method=method,
        path=path,
        query=query,
        status=None if dropped else status,
        duration_ms=round(elapsed_ms, 1),
        operation=operation,
        api_key=api_key,
        user_id=user_id,
        forced=forced,
        dropped=dropped,
    )


def _matches(entry: Entry, operation: str | None, status: str | None) -> bool:
    if operation is not None and entry.operation != operation:
        return False
    if status is None:
        return True
    if entry.status is None:
        return status == "dropped"
    if status.endswith("xx"):
        return str(entry.status)[0] == status[0]
    return str(entry.status) == status
