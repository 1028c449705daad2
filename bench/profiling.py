"""Where focus-mock spends its time under load, one profile per operation.

py-spy samples the running server from outside (little overhead, the figures
stay realistic); without it, cProfile runs inside the server (exact call counts,
but it slows every Python call, so shares shift toward many small functions).
Each operation gets a fresh mock with sessions started through the API, then
the same load as the comparison. Samples are summarised by area (module or
package, self time), by the project's own functions (inclusive time) and by
function (self time).
"""

from __future__ import annotations

import os
import pstats
import shutil
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import drivers
from .processes import Server, free_port
from .seeding import HEADERS, start_sessions
from .targets import OPERATIONS, PROBE_PATH, mock_target

if TYPE_CHECKING:
    from .harness import Run

SAMPLE_RATE_HZ = 200
TOP = 25


def py_spy_path() -> str | None:
    beside = Path(sys.executable).with_name("py-spy")
    return str(beside) if beside.exists() else shutil.which("py-spy")


def profile_section(run: Run) -> dict[str, Any]:
    section: dict[str, Any] = {}
    py_spy = py_spy_path()
    for operation in OPERATIONS:
        profile = _with_py_spy if py_spy else _with_cprofile
        section[operation] = profile(run, operation, py_spy or "")
    return section


def _prepared_mock(run: Run, operation: str, command: list[str], port: int) -> Server:
    return Server(f"profile {operation}", command, port, log_path=run.log_dir / f"profile-{operation}.log")


def _with_py_spy(run: Run, operation: str, py_spy: str) -> dict[str, Any]:
    """Attach py-spy to a running mock once it is seeded, so start-up is not in the samples."""
    port = free_port()
    output = run.log_dir / f"profile-{operation}.txt"
    server = _prepared_mock(run, operation, mock_target(quiet=False).command(port), port)
    print(f"-- profiling {operation} with py-spy", flush=True)
    with run.servers.running(server, PROBE_PATH, HEADERS):
        ids = start_sessions(server.host, port, run.args.seed_sessions)
        seconds = run.args.profile_duration
        record = [
            py_spy, "record", "--pid", str(server.pid), "--duration", str(max(1, round(seconds))),
            "--rate", str(SAMPLE_RATE_HZ), "--format", "raw", "--full-filenames", "--output", str(output),
        ]  # fmt: skip
        sampler = subprocess.Popen(record, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            result = drivers.run(run.load(operation, ids, seconds), server.base_url, run.args.driver)
            said, _ = sampler.communicate(timeout=seconds + 60)
        finally:
            if sampler.poll() is None:
                sampler.kill()
                sampler.wait()
    if sampler.returncode != 0 or not output.exists():
        return {"skipped": f"py-spy could not sample the mock: {said.strip()[-300:]}"}
    summary = summarise_raw(output.read_text())
    return {"tool": "py-spy", "sessions": len(ids), "rps": round(result.rps, 1), **summary}


def _with_cprofile(run: Run, operation: str, _: str) -> dict[str, Any]:
    """Without py-spy: run the mock under cProfile (start-up included, every call slowed)."""
    port = free_port()
    output = run.log_dir / f"profile-{operation}.prof"
    mock_args = mock_target(quiet=False).command(port)[1:]  # without the interpreter
    command = [sys.executable, "-m", "cProfile", "-o", str(output), *mock_args]
    server = _prepared_mock(run, operation, command, port)
    print(f"-- profiling {operation} with cProfile (py-spy not installed)", flush=True)
    with run.servers.running(server, PROBE_PATH, HEADERS):
        ids = start_sessions(server.host, port, run.args.seed_sessions)
        load = run.load(operation, ids, run.args.profile_duration)
        result = drivers.run(load, server.base_url, run.args.driver)
        # SIGINT lets uvicorn return normally, and cProfile writes its file on the way out.
        assert server.process is not None
        os.kill(server.pid, signal.SIGINT)
        try:
            server.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            return {"skipped": f"cProfile did not finish writing {output.name}"}
    if not output.exists():
        return {"skipped": f"cProfile wrote no {output.name}; see {server.log_path}"}
    summary = summarise_cprofile(output)
    return {"tool": "cProfile", "sessions": len(ids), "rps": round(result.rps, 1), **summary}


# -- summaries ----------------------------------------------------------------


def _function_key(frame: str) -> tuple[str, str]:
    """``name (path/file.py:12)`` -> (``name (file path)``, file path)."""
    name, _, where = frame.rpartition(" (")
    path = where.rstrip(")").rsplit(":", 1)[0]
    return f"{name} ({_short(path)})", path


def _short(path: str) -> str:
    for marker in ("site-packages/", "/mockserver/", "/bench/"):
        if marker in path:
            prefix = marker.strip("/") + "/" if marker.startswith("/") else ""
            return prefix + path.split(marker, 1)[1]
    parts = Path(path).parts
    if "lib" in parts:
        return "/".join(parts[parts.index("lib") + 2 :])  # lib/python3.X/<module>
    return path


def area(path: str) -> str:
    """The module (for this project) or package (for the rest) a file belongs to."""
    if "/mockserver/" in path or path.startswith("mockserver/"):
        return "mockserver." + Path(path).stem
    if "site-packages/" in path:
        top = path.split("site-packages/", 1)[1].split("/", 1)[0]
        return top.removesuffix(".py")
    short = _short(path)
    if short == "<string>":
        return "<string> (dataclass-generated methods)"
    if short.startswith("<"):
        return short
    return "stdlib " + short.split("/", 1)[0].removesuffix(".py")


def summarise_raw(text: str) -> dict[str, Any]:
    """Summarise py-spy's raw (collapsed) stacks: ``frame;frame;frame count`` per line."""
    total = 0
    inclusive: Counter[str] = Counter()
    exclusive: Counter[str] = Counter()
    areas: Counter[str] = Counter()
    for line in text.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [_function_key(f) for f in stack.split(";") if " (" in f]
        if not frames:
            continue
        total += count
        for key in {key for key, _ in frames}:
            inclusive[key] += count
        leaf, leaf_path = frames[-1]
        exclusive[leaf] += count
        areas[area(leaf_path)] += count
    return _ranked(total, inclusive, exclusive, areas)


def summarise_cprofile(path: Path) -> dict[str, Any]:
    stats = pstats.Stats(str(path))
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    total_time = sum(entry[2] for entry in raw.values()) or 1.0
    inclusive: Counter[str] = Counter()
    exclusive: Counter[str] = Counter()
    areas: Counter[str] = Counter()
    for (filename, _line, name), (_, _, tottime, cumtime, _) in raw.items():
        key = f"{name} ({_short(filename)})"
        inclusive[key] += cumtime
        exclusive[key] += tottime
        areas[area(filename)] += tottime
    return _ranked(total_time, inclusive, exclusive, areas)


def _ranked(
    total: float, inclusive: Counter[str], exclusive: Counter[str], areas: Counter[str]
) -> dict[str, Any]:
    def pct(value: float) -> float:
        return round(100 * value / total, 1) if total else 0.0

    def row(name: str) -> dict[str, Any]:
        total_pct, self_pct = pct(inclusive.get(name, 0)), pct(exclusive.get(name, 0))
        return {"name": name, "total_pct": total_pct, "self_pct": self_pct}

    ranked = [name for name, _ in inclusive.most_common()]
    return {
        "samples": int(total) if isinstance(total, int) else round(total, 3),
        "areas": [{"name": n, "self_pct": pct(v)} for n, v in areas.most_common(TOP)],
        # The project's own functions by inclusive time: which of our calls the time is spent under.
        # (Frames under which every sample lies, like the entry point, say nothing and are left out.)
        "project": [row(n) for n in ranked if "(mockserver/" in n and inclusive[n] < 0.995 * total][:TOP],
        "self": [row(n) for n, _ in exclusive.most_common(TOP)],
        "functions": [row(n) for n in ranked[: TOP * 2]],
    }
