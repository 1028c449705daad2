"""A real ``focus-mock`` process on a free loopback port, for what only a real server shows.

The hardening tests (hostile bytes on the wire, concurrency, crash safety,
Schemathesis) need the command users run, not the app in-process. Its log goes
to a file, not a pipe, so a busy server never blocks on a full pipe; readiness
is found by polling, and every process is stopped by the test that started it.

``http="h11"`` runs the mock on uvicorn's pure-Python HTTP parser even where
``httptools`` is installed, so wire tests can hold both parsers to the same
answers (CI installs no ``httptools``; developers often have it).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx
import uvicorn
from starlette.types import ASGIApp

REPO = Path(__file__).resolve().parent.parent
STARTUP_SECONDS = 30
STOP_SECONDS = 10
# The mock's own command line, with httptools hidden from uvicorn when h11 is asked for.
H11_BOOTSTRAP = (
    "import sys; sys.modules['httptools'] = None; "
    "from mockserver.cli import main; sys.exit(main(sys.argv[1:]))"
)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def http_parsers() -> list[str]:
    """The HTTP parsers uvicorn can run here: h11 always, httptools when installed."""
    try:
        import httptools  # noqa: F401
    except ImportError:
        return ["h11"]
    return ["h11", "httptools"]


class LiveMock:
    """One ``focus-mock`` process; a context manager that stops it on exit."""

    def __init__(self, *args: str, http: str = "auto", quiet: bool = True) -> None:
        self.args = [*args, *(["--quiet"] if quiet else [])]
        self.http = http
        self.port = 0
        self.base_url = ""
        self.process: subprocess.Popen[bytes] | None = None
        self._log = tempfile.NamedTemporaryFile(prefix="focus-mock-", suffix=".log", delete=False)  # noqa: SIM115

    def start(self) -> LiveMock:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        launcher = ["-c", H11_BOOTSTRAP] if self.http == "h11" else ["-m", "mockserver"]
        env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1"}
        self.process = subprocess.Popen(
            [sys.executable, *launcher, "--host", "127.0.0.1", "--port", str(self.port), *self.args],
            cwd=REPO,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=self._log,
        )
        self._wait_until_ready()
        return self

    def _wait_until_ready(self) -> None:
        """Poll until the mock answers; waiting is done on the process, which also catches an early exit."""
        assert self.process is not None
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            try:
                httpx.get(self.base_url + "/__mock/clock", timeout=2, trust_env=False).raise_for_status()
                return
            except httpx.TransportError:
                pass
            try:
                self.process.wait(timeout=0.05)
            except subprocess.TimeoutExpired:
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"focus-mock did not answer in time:\n{self.log()}") from None
                continue
            raise RuntimeError(f"focus-mock exited with {self.process.returncode}:\n{self.log()}")

    def client(self, **kwargs: Any) -> httpx.Client:
        kwargs.setdefault("timeout", 10)
        return httpx.Client(base_url=self.base_url, trust_env=False, **kwargs)

    def log(self) -> str:
        """Everything the process wrote to stderr so far."""
        return Path(self._log.name).read_text(encoding="utf-8", errors="replace")

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs, as in a crash."""
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=STOP_SECONDS)

    def stop(self) -> None:
        """Ctrl-C, as a user stops it; a kill if it does not go."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            self.kill()

    def close(self) -> None:
        self.stop()
        self._log.close()
        Path(self._log.name).unlink(missing_ok=True)

    def __enter__(self) -> LiveMock:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()


@contextmanager
def served(app: ASGIApp, host: str = "127.0.0.1") -> Iterator[str]:
    """``app`` under uvicorn in a thread, on a free port of ``host``, until the block ends.

    For variants and wrappers of the mock that exist only as objects in the test.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind((host, 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + STARTUP_SECONDS
    while not server.started:  # readiness, not time: the loop ends as soon as uvicorn listens
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the in-process server did not start")
        time.sleep(0.01)
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=STOP_SECONDS)
        sock.close()
