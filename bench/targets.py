"""What is measured: the servers (how to launch each) and the operations (what to send).

Every server is driven with the same paths and headers, so a row compares like
with like; only the process behind the port changes.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .drivers import Load
from .prism import Prism
from .processes import REPO_ROOT
from .seeding import HEADERS, SESSIONS_PATH, START_BODY, session_path

SPEC = REPO_ROOT / "openapi" / "focus-sessions.yaml"
OPERATIONS = ("get", "end", "start")
# An id no run ever holds: the mock answers 404 without rendering (cheap even when it is busy
# with a big store), Prism answers its example; either way an answer.
PROBE_PATH = session_path("mfocus_ffffffffffff")


@dataclass(frozen=True)
class Target:
    """A server to measure; ``command(port)`` launches it on 127.0.0.1:port."""

    key: str
    label: str
    command: Callable[[int], list[str]]
    is_mock: bool = False
    note: str = ""


def _python(*args: str) -> list[str]:
    return [sys.executable, *args]


def mock_target(quiet: bool) -> Target:
    """``focus-mock`` exactly as users start it (``python -m mockserver`` = the console script)."""
    flags = ["--quiet"] if quiet else []
    return Target(
        key="mock-quiet" if quiet else "mock",
        label="focus-mock --quiet" if quiet else "focus-mock",
        command=lambda port: _python("-m", "mockserver", "--port", str(port), *flags),
        is_mock=True,
        note="per-request log line off" if quiet else "per-request log line on (stderr to a file)",
    )


def prism_target(prism: Prism, silent: bool) -> Target:
    return Target(
        key="prism-silent" if silent else "prism",
        label="prism silent" if silent else "prism",
        command=lambda port: prism.mock(SPEC, port, silent=silent),
        note=f"Prism {prism.version} static mock"
        + (", --verboseLevel silent" if silent else ", default logging (stdout to a file)"),
    )


def starlette_target(validate: str = "none") -> Target:
    suffix = "" if validate == "none" else f"+{validate}"
    return Target(
        key=f"starlette{suffix}",
        label=f"starlette{suffix}",
        command=lambda port: _python(
            "-m", "bench.bare_starlette", "--port", str(port), "--validate", validate
        ),
        note="bare Starlette on uvicorn, fixed example body"
        + ("" if validate == "none" else f", each response checked with {validate}"),
    )


def seeded_mock_target(sessions: int) -> Target:
    return Target(
        key=f"mock-{sessions}",
        label=f"focus-mock, {sessions:,} sessions",
        command=lambda port: _python(
            "-m", "bench.seeded_mock", "--port", str(port), "--sessions", str(sessions)
        ),
        is_mock=True,
        note="focus-mock app with a pre-filled MemoryStore, log line on",
    )


def operation_load(
    operation: str,
    session_ids: Sequence[str],
    *,
    seconds: float,
    connections: int,
    threads: int,
    timeout: float,
) -> Load:
    """The load for ``operation``: get/end cycle through ``session_ids``; start posts a body."""
    common = {"seconds": seconds, "connections": connections, "threads": threads, "timeout": timeout}
    if operation == "get":
        return Load("get", "GET", [session_path(i) for i in session_ids], HEADERS, **common)
    if operation == "end":
        return Load("end", "POST", [session_path(i, "/end") for i in session_ids], HEADERS, **common)
    if operation == "start":
        headers = {**HEADERS, "Content-Type": "application/json"}
        return Load("start", "POST", [SESSIONS_PATH], headers, body=START_BODY, **common)
    raise ValueError(f"unknown operation {operation!r}")
