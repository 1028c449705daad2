"""Load generators: wrk when the system has it, a small asyncio client otherwise.

Both send the same requests (a list of paths visited in turn, fixed headers, an
optional body) over keep-alive connections for a fixed time and report the
same figures, so a row means the same thing whichever driver produced it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

WRK_SCRIPT = Path(__file__).resolve().parent / "wrk" / "requests.lua"


@dataclass(frozen=True)
class Load:
    """What to send: ``method`` to each of ``paths`` in turn, with ``headers`` and ``body``."""

    name: str
    method: str
    paths: Sequence[str]
    headers: Mapping[str, str]
    body: bytes | None = None
    connections: int = 32
    threads: int = 2
    seconds: float = 15.0
    timeout: float = 5.0


@dataclass
class LoadResult:
    driver: str
    requests: int
    seconds: float
    p50_ms: float | None
    p90_ms: float | None
    p99_ms: float | None
    max_ms: float | None
    errors: dict[str, int] = field(default_factory=dict)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    def to_json(self) -> dict[str, object]:
        return {**asdict(self), "rps": round(self.rps, 1), "error_count": self.error_count}


def wrk_path() -> str | None:
    return shutil.which("wrk")


def run(load: Load, base_url: str, driver: str) -> LoadResult:
    """Run ``load`` against ``base_url`` with ``driver`` ("wrk" or "python")."""
    if driver == "wrk":
        return run_wrk(load, base_url)
    return run_python(load, base_url)


# -- wrk ----------------------------------------------------------------------


def run_wrk(load: Load, base_url: str) -> LoadResult:
    wrk = wrk_path()
    if wrk is None:
        raise RuntimeError("wrk is not installed")
    with tempfile.TemporaryDirectory(prefix="focus-bench-") as tmp:
        paths_file = Path(tmp, "paths.txt")
        paths_file.write_text("\n".join(load.paths) + "\n")
        body_arg = ""
        if load.body is not None:
            body_file = Path(tmp, "body.json")
            body_file.write_bytes(load.body)
            body_arg = str(body_file)
        command = [
            wrk,
            f"-t{min(load.threads, load.connections)}",
            f"-c{load.connections}",
            f"-d{max(1, round(load.seconds))}s",
            f"--timeout={max(1, round(load.timeout))}s",
        ]
        for name, value in load.headers.items():
            command += ["-H", f"{name}: {value}"]
        command += ["-s", str(WRK_SCRIPT), base_url, "--", str(paths_file), load.method, body_arg]
        output = _run_bounded(command, load.seconds + load.timeout + 30)
    line = next((ln for ln in output.splitlines() if ln.startswith("BENCH_JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no result:\n{output}")
    figures = json.loads(line.removeprefix("BENCH_JSON "))
    errors = {k: figures[k] for k in ("connect", "read", "write", "status", "timeout") if figures[k]}
    answered = figures["requests"] > 0  # with no answer at all, wrk reports zero latencies

    def ms(key: str) -> float | None:
        return figures[key] / 1000 if answered else None

    return LoadResult(
        driver="wrk",
        requests=figures["requests"],
        seconds=figures["duration_us"] / 1e6,
        p50_ms=ms("p50_us"),
        p90_ms=ms("p90_us"),
        p99_ms=ms("p99_us"),
        max_ms=ms("max_us"),
        errors=errors,
    )


def _run_bounded(command: list[str], timeout: float) -> str:
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        output, _ = process.communicate(timeout=timeout)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    return output


# -- python -------------------------------------------------------------------


def run_python(load: Load, base_url: str) -> LoadResult:
    """The fallback driver: raw HTTP/1.1 over asyncio streams, one coroutine per connection.

    It shares the machine's cores with the server, like wrk, but costs more CPU
    per request, so its figures are lower bounds; the result says which driver ran.
    """
    host, port = _host_port(base_url)
    with _event_loop() as loop:
        return loop.run_until_complete(_drive(load, host, port))


@contextlib.contextmanager
def _event_loop() -> Iterator[asyncio.AbstractEventLoop]:
    """uvloop's loop when installed (cheaper per request, like wrk's C), else asyncio's."""
    try:
        import uvloop

        loop = uvloop.new_event_loop()
    except ImportError:
        loop = asyncio.new_event_loop()
    try:
        yield loop
    finally:
        loop.close()


def _host_port(base_url: str) -> tuple[str, int]:
    authority = base_url.split("://", 1)[1].split("/", 1)[0]
    host, _, port = authority.rpartition(":")
    return host, int(port)


def _encode(load: Load, host: str, port: int) -> list[bytes]:
    head = [f"Host: {host}:{port}"] + [f"{k}: {v}" for k, v in load.headers.items()]
    if load.body is not None:
        head.append(f"Content-Length: {len(load.body)}")
    tail = "\r\n".join(head) + "\r\n\r\n"
    body = load.body or b""
    return [f"{load.method} {path} HTTP/1.1\r\n{tail}".encode() + body for path in load.paths]


async def _drive(load: Load, host: str, port: int) -> LoadResult:
    requests = _encode(load, host, port)
    latencies: list[float] = []
    errors: dict[str, int] = {}
    started = time.perf_counter()
    deadline = started + load.seconds
    tasks = [
        asyncio.ensure_future(_connection(host, port, requests, deadline, load.timeout, latencies, errors))
        for _ in range(load.connections)
    ]
    # Like wrk, stop at the deadline: requests still in flight then are neither counted nor waited for.
    _, pending = await asyncio.wait(tasks, timeout=load.seconds)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    elapsed = time.perf_counter() - started
    latencies.sort()
    return LoadResult(
        driver="python",
        requests=len(latencies),
        seconds=elapsed,
        p50_ms=_percentile(latencies, 50),
        p90_ms=_percentile(latencies, 90),
        p99_ms=_percentile(latencies, 99),
        max_ms=latencies[-1] * 1000 if latencies else None,
        errors=errors,
    )


def _percentile(sorted_seconds: list[float], pct: float) -> float | None:
    if not sorted_seconds:
        return None
    rank = min(len(sorted_seconds) - 1, max(0, round(pct / 100 * len(sorted_seconds)) - 1))
    return sorted_seconds[rank] * 1000


async def _connection(
    host: str,
    port: int,
    requests: list[bytes],
    deadline: float,
    timeout: float,
    latencies: list[float],
    errors: dict[str, int],
) -> None:
    """One keep-alive connection sending requests back to back until the deadline (or cancellation)."""
    index = random.randrange(len(requests))
    reader: asyncio.StreamReader | None = None
    writer: asyncio.StreamWriter | None = None
    try:
        while time.perf_counter() < deadline:
            try:
                if reader is None or writer is None:
                    reader, writer = await asyncio.open_connection(host, port)
                request = requests[index % len(requests)]
                index += 1
                sent = time.perf_counter()
                writer.write(request)
                status, keep_alive = await asyncio.wait_for(_read_response(reader), timeout)
                latencies.append(time.perf_counter() - sent)
                if status >= 400:
                    errors["status"] = errors.get("status", 0) + 1
                if not keep_alive:
                    reader, writer = None, _drop(writer)
            except TimeoutError:
                errors["timeout"] = errors.get("timeout", 0) + 1
                reader, writer = None, _drop(writer)
            except (OSError, asyncio.IncompleteReadError, ValueError):
                errors["read"] = errors.get("read", 0) + 1
                reader, writer = None, _drop(writer)
    finally:
        _drop(writer)


def _drop(writer: asyncio.StreamWriter | None) -> None:
    """Close ``writer`` if open; returns None so callers can write ``writer = _drop(writer)``."""
    if writer is not None:
        writer.close()
    return None


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """Read one response; return its status and whether the connection stays open."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip().lower()
    if headers.get("transfer-encoding") == "chunked":
        while True:
            size = int((await reader.readline()).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    else:
        await reader.readexactly(int(headers.get("content-length", "0")))
    return status, headers.get("connection") != "close"
