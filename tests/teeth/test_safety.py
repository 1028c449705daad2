"""Safe against real deployments: clear stops, 429 retries, and sessions ended even when interrupted."""

from __future__ import annotations

import asyncio
import signal
import time

from live_mock import served
from starlette.types import ASGIApp, Receive, Scope, Send

from contracts.launcher import free_port
from mockserver.store import SessionStore

from .harness import run_suite, start_suite
from .variants import faithful, service_of

STOP_EXIT_CODE = 4  # pytest's usage error: nothing was tested


def assert_stopped_with_one_message(output: str, expected: str) -> None:
    assert expected in output, output
    assert "Traceback" not in output and "passed" not in output and "failed" not in output, output
    assert len([line for line in output.splitlines() if line.strip()]) <= 2, output


def test_missing_credentials_stop_the_run_with_one_message() -> None:
    run = run_suite("http://127.0.0.1:4010", credentials=False)
    assert run.returncode == STOP_EXIT_CODE, run.explain()
    assert_stopped_with_one_message(run.output, "missing --api-key (or $FOCUS_API_KEY)")


def test_an_unreachable_target_stops_the_run_with_one_message() -> None:
    url = f"http://127.0.0.1:{free_port()}"  # free: nothing listens there
    run = run_suite(url)
    assert run.returncode == STOP_EXIT_CODE, run.explain()
    assert_stopped_with_one_message(run.output, f"cannot reach {url}")


def test_a_refused_key_stops_the_run_with_one_message() -> None:
    with served(faithful()) as base_url:
        run = run_suite(base_url, "--api-key", "not-a-key-of-this-world")
    assert run.returncode == STOP_EXIT_CODE, run.explain()
    assert_stopped_with_one_message(run.output, "refused the key given as --api-key (401)")
    assert "not-a-key-of-this-world" not in run.output


class RateLimitedStarts:
    """Answers the first ``times`` start requests with 429 and ``Retry-After: 1``."""

    def __init__(self, app: ASGIApp, times: int) -> None:
        self.app, self.left, self.sent = app, times, 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        is_start = (
            scope["type"] == "http" and scope["method"] == "POST" and scope["path"].endswith("/sessions")
        )
        if is_start and self.left > 0:
            self.left -= 1
            self.sent += 1
            body = b'{"success": false}'
            headers = [(b"retry-after", b"1"), (b"content-type", b"application/json")]
            await send({"type": "http.response.start", "status": 429, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)


def test_429_is_retried_after_retry_after() -> None:
    limited = RateLimitedStarts(faithful(), times=2)
    with served(limited) as base_url:
        run = run_suite(base_url, "-k", "D1")
    assert limited.sent == 2, "the rate limit was never hit"
    assert run.returncode == 0, run.explain()
    assert run.verdicts["D1"] == "passed", run.explain()


class Slow:
    """Every API answer takes a little longer, so that a run can be caught in the middle."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith("/v1/"):
            await asyncio.sleep(0.05)
        await self.app(scope, receive, send)


def _active(store: SessionStore) -> list[str]:
    return [r.session_id for r in store.all() if r.ended_at is None]


def test_an_interrupted_run_still_ends_every_session_it_started() -> None:
    app = faithful()
    store = service_of(app).store
    with served(Slow(app)) as base_url:
        suite = start_suite(base_url)
        deadline = time.monotonic() + 60
        while not _active(store) and time.monotonic() < deadline and suite.poll() is None:
            time.sleep(0.02)
        assert _active(store), "the suite never had a session open to interrupt"
        suite.send_signal(signal.SIGTERM)
        output, _ = suite.communicate(timeout=60)
        assert suite.returncode != 0, output
        assert store.all() and _active(store) == [], output
