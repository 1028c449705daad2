"""The requests a test sent and the answers it got, so that a failure can show the one that proved it.

Every response of the run passes through :class:`ExchangeLog` (a ``requests``
response hook on each of the suite's sessions). When a test fails, the exchange
the failure message names (``POST /v1/... -> 404`` from an assertion, or
Schemathesis's ``curl ... URL`` and ``[status]``) is picked from that test's
exchanges; without such a mention, the test's last API request is taken. The
chosen exchange becomes plain data with every API key masked, plus a ``curl``
command that sends the same request with the key taken from the environment.
"""

from __future__ import annotations

import re
import shlex
import threading
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests

from .redaction import MASK, redact

API_KEY_HEADER = "x-api-key"
CONTROL_PREFIX = "/__mock/"  # the mock's own endpoints: the suite's tooling, never the evidence
BODY_LIMIT = 8192  # bytes of a body kept for the report
CURL_BODY_LIMIT = 4096  # a longer body is not spelled out in the curl command
KEPT_EXCHANGES = 400
QUOTED_PREFIX = 240  # bytes of an answer that identify it when a failure message quotes it
# Headers that curl sets by itself or that only describe the connection.
CURL_SKIPPED_HEADERS = frozenset({"content-length", "connection", "accept-encoding", "user-agent", "host"})
TEXT_TYPES = ("application/json", "application/problem+json", "text/", "application/x-www-form-urlencoded")

# "POST /v1/music/org/focus/sessions -> 404" (Answer.describe in contract assertions)
_DESCRIBED = re.compile(r"\b(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS|TRACE) (/\S*) -> (\d{3})\b")
# Schemathesis: "[404] Not Found:" and "curl -X POST ... http://host/path"
_BRACKET_STATUS = re.compile(r"^\s*\[(\d{3})\]", re.MULTILINE)
_CURL_LINE = re.compile(r"^\s*(curl .+)$", re.MULTILINE)


@dataclass(frozen=True)
class Body:
    """The start of a message body: enough to read, never the whole of a large upload."""

    data: bytes
    size: int
    content_type: str

    @classmethod
    def of(cls, content: bytes | str | None, content_type: str | None) -> Body:
        raw = content.encode() if isinstance(content, str) else (content or b"")
        kind = (content_type or "").split(";", 1)[0].strip().lower()
        return cls(raw[:BODY_LIMIT], len(raw), kind)

    @property
    def is_text(self) -> bool:
        return not self.content_type or self.content_type.startswith(TEXT_TYPES)

    @property
    def complete(self) -> bool:
        return len(self.data) == self.size

    def text(self) -> str | None:
        if not self.size:
            return None
        if not self.is_text:
            return f"({self.size} bytes of {self.content_type}, not shown)"
        shown = self.data.decode("utf-8", "replace")
        return shown if self.complete else f"{shown}... ({self.size} bytes in all)"


@dataclass(frozen=True)
class Exchange:
    """One request and its answer, as sent and received (keys included: never written as is)."""

    sequence: int
    method: str
    url: str
    request_headers: tuple[tuple[str, str], ...]
    request_body: Body
    status: int
    response_headers: tuple[tuple[str, str], ...]
    response_body: Body

    @classmethod
    def of(cls, sequence: int, response: requests.Response) -> Exchange:
        request = response.request
        request_headers = tuple((str(k), _text(v)) for k, v in request.headers.items())
        body = request.body
        if body is not None and not isinstance(body, bytes | str):
            body = b""  # a streamed upload: not read again
        return cls(
            sequence=sequence,
            method=(request.method or "GET").upper(),
            url=request.url or "",
            request_headers=request_headers,
            request_body=Body.of(body, request.headers.get("Content-Type")),
            status=response.status_code,
            response_headers=tuple(response.headers.items()),
            response_body=Body.of(response.content, response.headers.get("Content-Type")),
        )

    @property
    def path(self) -> str:
        parts = urlsplit(self.url)
        return parts.path + (f"?{parts.query}" if parts.query else "")

    @property
    def is_control(self) -> bool:
        return urlsplit(self.url).path.startswith(CONTROL_PREFIX)


def _text(value: str | bytes) -> str:
    return value.decode("latin-1") if isinstance(value, bytes) else value


class ExchangeLog:
    """The run's recent exchanges, in order, with a mark where the current test began."""

    def __init__(self, keep: int = KEPT_EXCHANGES) -> None:
        self._lock = threading.Lock()
        self._exchanges: deque[Exchange] = deque(maxlen=keep)
        self._sequence = 0
        self._mark = 0

    def observe(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        """A ``requests`` response hook."""
        with self._lock:
            self._sequence += 1
            sequence = self._sequence
        exchange = Exchange.of(sequence, response)
        with self._lock:
            self._exchanges.append(exchange)

    def begin_test(self) -> None:
        with self._lock:
            self._mark = self._sequence

    def since_test_began(self) -> list[Exchange]:
        with self._lock:
            return sorted((e for e in self._exchanges if e.sequence > self._mark), key=lambda e: e.sequence)


def mentioned(message: str) -> list[tuple[str | None, str, int | None]]:
    """(method, path, status) of every answer a failure message names; None where it does not say."""
    found: list[tuple[str | None, str, int | None]] = [
        (method, path, int(status)) for method, path, status in _DESCRIBED.findall(message)
    ]
    statuses = [int(s) for s in _BRACKET_STATUS.findall(message)]
    for index, line in enumerate(_CURL_LINE.findall(message)):
        method, url = _curl_target(line)
        if url is not None:
            status = statuses[index] if index < len(statuses) else None
            found.append((method, urlsplit(url).path, status))
    return found


def _curl_target(line: str) -> tuple[str | None, str | None]:
    try:
        words = shlex.split(line)
    except ValueError:
        return None, None
    method = None
    if "-X" in words and words.index("-X") + 1 < len(words):
        method = words[words.index("-X") + 1].upper()
    urls = [w for w in words if w.startswith(("http://", "https://"))]
    return method, (urls[-1] if urls else None)


def proving_exchange(exchanges: list[Exchange], message: str) -> tuple[Exchange, str] | None:
    """The exchange that proved a failure, and how it was found; None when the test sent nothing."""
    api = [e for e in exchanges if not e.is_control]
    for method, path, status in reversed(mentioned(message)):
        matching = [
            e
            for e in api
            if urlsplit(e.url).path == urlsplit(path).path
            and method in (None, e.method)
            and status in (None, e.status)
        ]
        if matching:
            # Of several alike (concurrent requests), the one whose answer the message quotes.
            quoted = [e for e in matching if _quoted_in(e, message)]
            return (quoted or matching)[-1], "named in the failure"
    if api:
        return api[-1], "the test's last request"
    return None


def _quoted_in(exchange: Exchange, message: str) -> bool:
    start = exchange.response_body.data[:QUOTED_PREFIX].decode("utf-8", "replace")
    return bool(start) and start in message


def evidence(exchange: Exchange, how: str, key_names: Mapping[str, str]) -> dict[str, Any]:
    """The exchange as report data: keys masked, and a curl command that repeats the request.

    ``key_names`` maps each API key of the run to the environment variable that holds it.
    """
    secrets = list(key_names)

    def headers(pairs: tuple[tuple[str, str], ...]) -> dict[str, str]:
        shown = {}
        for name, value in pairs:
            shown[name] = MASK if name.lower() == API_KEY_HEADER else redact(value, secrets)
        return shown

    def body(part: Body) -> str | None:
        text = part.text()
        return None if text is None else redact(text, secrets)

    return {
        "evidence": how,
        "request": {
            "method": exchange.method,
            "url": redact(exchange.url, secrets),
            "headers": headers(exchange.request_headers),
            "body": body(exchange.request_body),
        },
        "response": {
            "status": exchange.status,
            "headers": headers(exchange.response_headers),
            "body": body(exchange.response_body),
        },
        "curl": curl_command(exchange, key_names),
    }


def curl_command(exchange: Exchange, key_names: Mapping[str, str]) -> str:
    """``curl`` sending the same request; a known key appears as ``"$FOCUS_API_KEY"`` (or its peer's)."""
    secrets = list(key_names)
    words = ["curl", "-i", "-X", exchange.method, shlex.quote(redact(exchange.url, secrets))]
    for name, value in exchange.request_headers:
        lower = name.lower()
        if lower in CURL_SKIPPED_HEADERS or (lower == "accept" and value == "*/*"):
            continue
        if lower == API_KEY_HEADER and value in key_names:
            words += ["-H", f'"{name}: ${key_names[value]}"']
        else:
            words += ["-H", shlex.quote(f"{name}: {redact(value, secrets)}")]
    body = exchange.request_body
    if body.size and body.complete and body.size <= CURL_BODY_LIMIT and body.is_text:
        words += ["--data-binary", shlex.quote(redact(body.data.decode("utf-8", "replace"), secrets))]
    elif body.size:
        words += ["--data-binary", "@request-body", f"# the {body.size}-byte body: see the JSON report"]
    return " ".join(words)
