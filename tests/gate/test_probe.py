"""The pre-flight tells a wrong target (exit 3) from a target that breaks clauses (exit 1)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from live_mock import served
from teeth.variants import faithful

from contracts.gate.probe import target_problem
from contracts.launcher import free_port

from .running import CREDENTIALS, OWNER_KEY, run_gate

ORG = CREDENTIALS["FOCUS_ORG_ID"]
# status, headers, body of every answer of a target that is not the Focus Sessions API
NOT_THE_API = {
    "html-page": (200, {"Content-Type": "text/html"}, b"<html><body>Welcome</body></html>"),
    "login-redirect": (302, {"Location": "/login", "Content-Type": "text/html"}, b""),
    "ok-json": (200, {"Content-Type": "application/json"}, b'{"ok":true}'),
}


@contextmanager
def canned(status: int, headers: dict[str, str], body: bytes) -> Iterator[str]:
    """A loopback server giving the same answer to every request (``/login`` answers 200 HTML)."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            login = self.path == "/login"
            self.send_response(200 if login else status)
            for name, value in ({"Content-Type": "text/html"} if login else headers).items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("name", sorted(NOT_THE_API))
def test_a_target_that_is_not_the_api_is_named_with_what_it_answered(name: str) -> None:
    status, headers, body = NOT_THE_API[name]
    with canned(status, headers, body) as url:
        problem = target_problem(url, OWNER_KEY, ORG, 5)
    assert problem is not None
    content_type = headers["Content-Type"]
    assert problem.startswith(
        f"the target at {url} does not answer like the Focus Sessions API: got {status} "
    )
    assert f"got {status} {content_type}" in problem


def test_a_wrong_path_prefix_is_not_taken_for_a_missing_session() -> None:
    with served(faithful()) as base_url:
        assert target_problem(base_url, OWNER_KEY, ORG, 5) is None
        problem = target_problem(base_url + "/v1", OWNER_KEY, ORG, 5)
    assert problem is not None and "got 404 application/json" in problem


def test_a_refused_key_passes_the_probe_for_the_suite_to_name() -> None:
    with served(faithful()) as base_url:
        assert target_problem(base_url, "not-a-key-here", ORG, 5) is None


def test_a_target_that_accepts_and_never_answers_is_named() -> None:
    with socket.socket() as silent:  # accepts, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        problem = target_problem(url, OWNER_KEY, ORG, 0.5)
    assert problem == f"cannot reach {url}: connected, but no answer within 0.5 s"


def test_a_refused_connection_is_named() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    assert target_problem(url, OWNER_KEY, ORG, 0.5) == f"cannot reach {url}: Connection refused"


def test_the_gate_exits_3_on_an_html_page(tmp_path: Path) -> None:
    with canned(*NOT_THE_API["html-page"]) as url:
        run = run_gate(tmp_path, "--base-url", url, "--level", "documented", timeout=60)
    assert run.returncode == 3, run.explain()
    assert "does not answer like the Focus Sessions API: got 200 text/html" in run.json()["message"]
