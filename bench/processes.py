"""Servers under test as child processes: launch, time to first answer, RSS, stop.

Every server gets its own process group so that stopping it also stops what it
forked (Prism's node workers, uvicorn reloaders), and a :class:`ServerSet`
stops whatever is still running when the run ends, Ctrl-C included.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

REPO_ROOT = Path(__file__).resolve().parent.parent
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        with contextlib.suppress(OSError):
            found += [int(p) for p in task.read_text().split()]
    return found


def process_tree(pid: int) -> list[int]:
    """``pid`` and all its descendants, read from ``/proc``."""
    tree, queue = [], [pid]
    while queue:
        current = queue.pop()
        tree.append(current)
        queue += _children(current)
    return tree


def rss_bytes(pid: int) -> int:
    """Resident memory of ``pid`` and its descendants (Prism forks; the sum is the honest figure)."""
    total = 0
    for member in process_tree(pid):
        with contextlib.suppress(OSError, IndexError, ValueError):
            total += int(Path(f"/proc/{member}/statm").read_text().split()[1]) * PAGE_SIZE
    return total


def answers(host: str, port: int, path: str, headers: Mapping[str, str], timeout: float = 1.0) -> bool:
    """True once the server sends back any HTTP status line for a GET of ``path``."""
    lines = [f"GET {path} HTTP/1.1", f"Host: {host}:{port}", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    request = ("\r\n".join(lines) + "\r\n\r\n").encode()
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.sendall(request)
            return sock.recv(16).startswith(b"HTTP/1.")
    except OSError:
        return False


@dataclass
class Server:
    """One running server: its process, where it listens, and how long it took to answer."""

    name: str
    command: Sequence[str]
    port: int
    host: str = "127.0.0.1"
    env: Mapping[str, str] | None = None
    log_path: Path | None = None
    process: subprocess.Popen[bytes] | None = None
    seconds_to_first_answer: float | None = None
    _log: IO[bytes] | None = field(default=None, repr=False)

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def pid(self) -> int:
        assert self.process is not None, "server not started"
        return self.process.pid

    def start(self, probe_path: str, headers: Mapping[str, str], timeout: float = 60.0) -> float:
        """Spawn, then poll ``probe_path`` until any answer; return the seconds it took."""
        env = {**os.environ, **(self.env or {})}
        self._log = open(self.log_path, "wb") if self.log_path else None  # noqa: SIM115 - closed in stop()
        output = self._log if self._log is not None else subprocess.DEVNULL
        started = time.perf_counter()
        self.process = subprocess.Popen(
            list(self.command),
            cwd=REPO_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = started + timeout
        while time.perf_counter() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}; see {self.log_path}")
            if answers(self.host, self.port, probe_path, headers):
                self.seconds_to_first_answer = time.perf_counter() - started
                return self.seconds_to_first_answer
            time.sleep(0.005)
        raise TimeoutError(f"{self.name} did not answer within {timeout:.0f}s; see {self.log_path}")

    def rss(self) -> int:
        return rss_bytes(self.pid)

    def wait_until_idle(
        self, probe_path: str, headers: Mapping[str, str], quick: float = 0.1, limit: float = 120.0
    ) -> float:
        """Wait until a probe is answered within ``quick`` seconds; return how long that took.

        A server that fell behind still works off requests whose clients have
        gone; measuring the next load before it catches up would charge that
        backlog to the wrong operation.
        """
        started = time.perf_counter()
        while time.perf_counter() - started < limit:
            sent = time.perf_counter()
            if answers(self.host, self.port, probe_path, headers, timeout=limit) and (
                time.perf_counter() - sent <= quick
            ):
                break
            time.sleep(0.05)
        return time.perf_counter() - started

    def stop(self) -> None:
        """SIGTERM the whole process group, SIGKILL what lingers; also reaps a leader already gone."""
        process, self.process = self.process, None
        if process is not None:
            _stop_group(process)
        if self._log is not None:
            self._log.close()
            self._log = None


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def _stop_group(process: subprocess.Popen[bytes], grace: float = 5.0) -> None:
    """Stop every process of the group, even when its leader has exited and left children behind."""
    pgid = process.pid  # the leader of its own session, see start()
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        process.poll()  # reap the leader, or it lingers as a zombie member of the group
        if not _group_alive(pgid):
            return
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGKILL)
    process.wait(timeout=5)


class ServerSet:
    """Servers started during a run; all are stopped on exit, on error and on Ctrl-C or SIGTERM."""

    def __init__(self) -> None:
        self._servers: list[Server] = []

    def __enter__(self) -> ServerSet:
        self._previous = signal.signal(signal.SIGTERM, _raise_interrupt)
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop_all()
        signal.signal(signal.SIGTERM, self._previous)

    @contextlib.contextmanager
    def running(
        self, server: Server, probe_path: str, headers: Mapping[str, str], timeout: float = 60.0
    ) -> Iterator[Server]:
        """Start ``server`` for the duration of a ``with`` block."""
        self._servers.append(server)
        try:
            server.start(probe_path, headers, timeout)
            yield server
        finally:
            server.stop()
            self._servers.remove(server)

    def stop_all(self) -> None:
        for server in reversed(self._servers):
            server.stop()
        self._servers.clear()


def _raise_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")
