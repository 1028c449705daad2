"""HTTP to the target: one ``requests`` session that every part of the suite shares.

The session's adapter does four jobs for every request, whoever sends it (a
contract test, Schemathesis, or one of its checks re-sending a request):
a default timeout; retrying ``429`` after ``Retry-After``; holding a slot of the
session budget for each start request and recording the session it creates;
noting which sessions an End answer shows as ended. Routes come from the spec.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from mockserver.spec import Spec

from .interrupts import INTERRUPTS
from .ledger import SessionLedger, StartedSession
from .settings import Caller

API_KEY_HEADER = "X-API-Key"
START, GET, END, PROMOTE = "startFocusSession", "getFocusSession", "endFocusSession", "promoteFocusSegment"
ENDED_STATES = ("ended", "stopped_cap")
RATE_LIMIT_RETRIES = 5
RETRY_AFTER_MAX_SECONDS = 60


class Routes:
    """The spec's operations as URL patterns, both ways: build a path, recognise a request."""

    def __init__(self, spec: Spec) -> None:
        self._templates = {op_id: op.path for op_id, op in spec.operations.items()}
        self._patterns = [
            (op.method, re.compile(".*?" + _template_regex(op.path) + "/?"), op_id)
            for op_id, op in spec.operations.items()
        ]

    def path(self, operation_id: str, **params: str) -> str:
        quoted = {name: quote(str(value), safe="") for name, value in params.items()}
        return self._templates[operation_id].format(**quoted)

    def match(self, method: str, url: str) -> tuple[str, dict[str, str]] | None:
        path = urlsplit(url).path
        for route_method, pattern, operation_id in self._patterns:
            found = pattern.fullmatch(path) if route_method == method.upper() else None
            if found:
                return operation_id, {k: unquote(v) for k, v in found.groupdict().items()}
        return None


def _template_regex(template: str) -> str:
    return re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template))


def _json_body(response: requests.Response) -> Any:
    try:
        return json.loads(response.content)
    except ValueError:
        return None


class GuardedAdapter(HTTPAdapter):
    """Timeouts, 429 retries, and the session budget, for every request of the run."""

    def __init__(self, ledger: SessionLedger, routes: Routes, timeout: float) -> None:
        retry = Retry(
            total=RATE_LIMIT_RETRIES,
            connect=0,
            read=0,
            status=RATE_LIMIT_RETRIES,
            status_forcelist=[429],
            allowed_methods=None,  # a 429 was not processed, so retrying a POST is safe
            respect_retry_after_header=True,
            retry_after_max=RETRY_AFTER_MAX_SECONDS,
            backoff_factor=0.5,
            raise_on_status=False,
        )
        super().__init__(max_retries=retry)
        self.ledger = ledger
        self.routes = routes
        self.timeout = timeout

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout
        route = self.routes.match(request.method or "", request.url or "")
        if route is None or route[0] != START:
            response = super().send(request, **kwargs)
            if route is not None and route[0] == END:
                self._note_end(response, route[1])
            return response
        with INTERRUPTS.shield():  # a session created must be recorded before an interrupt lands
            self.ledger.acquire()
            created = None
            try:
                response = super().send(request, **kwargs)
                if response.status_code == 201:
                    body = _json_body(response)
                    session_id = body.get("session_id") if isinstance(body, dict) else None
                    created = StartedSession(
                        session_id=session_id if isinstance(session_id, str) else None,
                        org_id=route[1]["organization_id"],
                        api_key=_header(request, API_KEY_HEADER),
                    )
                return response
            finally:
                self.ledger.settle(created)

    def _note_end(self, response: requests.Response, params: dict[str, str]) -> None:
        if response.status_code != 200:
            return
        body = _json_body(response)
        if isinstance(body, dict) and body.get("status") in ENDED_STATES:
            self.ledger.mark_ended(params["session_id"])


def _header(request: requests.PreparedRequest, name: str) -> str | None:
    value = request.headers.get(name)
    return value.decode("latin-1") if isinstance(value, bytes) else value


Observer = Callable[..., None]  # a ``requests`` response hook: sees every answer of the session


def make_session(
    ledger: SessionLedger, routes: Routes, timeout: float, observe: Observer | None = None
) -> requests.Session:
    session = requests.Session()
    if observe is not None:
        session.hooks["response"].append(observe)
    adapter = GuardedAdapter(ledger, routes, timeout)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


@dataclass(frozen=True)
class Answer:
    """One response, as the tests see it. Its repr shows no request headers, so no key."""

    method: str
    path: str
    status: int
    headers: Mapping[str, str] = field(repr=False)
    content: bytes = field(repr=False)

    @cached_property
    def json(self) -> Any:
        """The parsed body, or None when it is not JSON."""
        try:
            return json.loads(self.content)
        except ValueError:
            return None

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";", 1)[0].strip().lower()

    def describe(self, limit: int = 600) -> str:
        """``METHOD path -> status`` and the start of the body, for assertion messages."""
        text = self.content.decode("utf-8", "replace")
        if len(text) > limit:
            text = text[:limit] + "..."
        return f"{self.method} {self.path} -> {self.status} {text}"


_FROM_CALLER: Any = object()
_NO_BODY: Any = object()


class ApiClient:
    """Requests to the target by operation id, as a given caller."""

    def __init__(
        self,
        base_url: str,
        spec: Spec,
        ledger: SessionLedger,
        timeout: float,
        observe: Observer | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.spec = spec
        self.routes = Routes(spec)
        self.ledger = ledger
        self.timeout = timeout
        self.observe = observe
        self.session = make_session(ledger, self.routes, timeout, observe)

    def fork(self) -> ApiClient:
        """A client with its own connection pool and the same ledger and observer, for another thread."""
        return ApiClient(self.base_url, self.spec, self.ledger, self.timeout, self.observe)

    def close(self) -> None:
        self.session.close()

    def send(
        self,
        method: str,
        path: str,
        *,
        api_key: str | None = None,
        json_body: Any = _NO_BODY,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Answer:
        sent_headers = dict(headers or {})
        if api_key is not None:
            sent_headers[API_KEY_HEADER] = api_key
        if json_body is not _NO_BODY:
            content = json.dumps(json_body).encode()
            sent_headers.setdefault("Content-Type", "application/json")
        response = self.session.request(method, self.base_url + path, data=content, headers=sent_headers)
        return Answer(method, path, response.status_code, response.headers, response.content)

    def call(
        self,
        operation_id: str,
        caller: Caller,
        *,
        org: str | None = None,
        api_key: str | None = _FROM_CALLER,
        json_body: Any = _NO_BODY,
        **params: str,
    ) -> Answer:
        """Send ``operation_id`` as ``caller``, under ``org`` (default: the caller's organization)."""
        organization = org if org is not None else caller.org_id
        if organization is None:
            raise ValueError(f"{caller.name} has no organization of its own; pass org=")
        op = self.spec.operations[operation_id]
        path = self.routes.path(operation_id, organization_id=organization, **params)
        key = caller.api_key if api_key is _FROM_CALLER else api_key
        if op.has_body and json_body is _NO_BODY:
            json_body = self.start_example()
        return self.send(op.method, path, api_key=key, json_body=json_body)

    def start(self, caller: Caller, body: Any = _NO_BODY, **kwargs: Any) -> Answer:
        return self.call(START, caller, json_body=body, **kwargs)

    def get(self, caller: Caller, session_id: str, **kwargs: Any) -> Answer:
        return self.call(GET, caller, session_id=session_id, **kwargs)

    def end(self, caller: Caller, session_id: str, **kwargs: Any) -> Answer:
        return self.call(END, caller, session_id=session_id, **kwargs)

    def promote(self, caller: Caller, session_id: str, segment_id: str, **kwargs: Any) -> Answer:
        return self.call(PROMOTE, caller, session_id=session_id, segment_id=segment_id, **kwargs)

    def start_example(self) -> dict[str, Any]:
        """The start body the spec gives as its example (the documented goal and engine)."""
        pointer = self.spec.request_body_pointer(START).removesuffix("/schema") + "/example"
        return dict(self.spec.resolve(pointer))
