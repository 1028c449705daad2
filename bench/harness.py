"""The benchmark run: launch each server, load it, read its memory, stop it; then report.

Sections (``--sections``): ``compare`` (focus-mock, Prism, bare Starlette on
get/end/start), ``validation`` (bare Starlette plus a JSON Schema check of each
answer), ``scale`` (10 / 1,000 / 100,000 stored sessions), ``contracts``
(contract suite and ``st run`` wall time) and, with ``--profile``, where the
mock spends its time under load.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from . import drivers, report
from .contract_timing import time_contract_suites
from .prism import Prism, ensure_prism
from .processes import REPO_ROOT, Server, ServerSet, free_port
from .profiling import profile_section
from .rounds import fold_section, turned
from .seeding import HEADERS, alice_ids, seeded_id, start_sessions
from .targets import (
    OPERATIONS,
    PROBE_PATH,
    Target,
    mock_target,
    operation_load,
    prism_target,
    seeded_mock_target,
    starlette_target,
)

SECTIONS = ("compare", "validation", "scale", "contracts")
MB = 1024 * 1024
SETTLE_S = 1.0
SCALE_SIZES = (10, 1_000, 100_000)
IDS_PER_LOAD = 1_000
SINGLE_S = 3.0


class Run:
    """Settings shared by every measurement of one run, and the servers it has started."""

    def __init__(self, args: argparse.Namespace, servers: ServerSet, log_dir: Path) -> None:
        self.args = args
        self.servers = servers
        self.log_dir = log_dir

    def load(self, operation: str, ids: Sequence[str], seconds: float | None = None) -> drivers.Load:
        return operation_load(
            operation,
            ids,
            seconds=self.args.duration if seconds is None else seconds,
            connections=self.args.connections,
            threads=self.args.threads,
            timeout=self.args.timeout,
        )

    def measure(
        self,
        target: Target,
        operations: Sequence[str],
        ids: Sequence[str] | None,
        *,
        seed: int = 0,
        seconds: float | None = None,
        ready_timeout: float = 60.0,
        single: Sequence[str] = (),
    ) -> tuple[dict[str, Any], list[str]]:
        """Start ``target``, optionally seed sessions through its API, run each load; stop it.

        ``single`` operations are first measured over one connection: the time
        one request takes when nothing queues ahead of it. When that time times
        the connection count exceeds the load timeout, the concurrent loads are
        skipped (they would only measure a queue) and the reason recorded.
        Returns the figures and the session ids the loads used (seeded ones, or ``ids``).
        """
        port = free_port()
        server = Server(target.label, target.command(port), port, log_path=self.log_dir / f"{target.key}.log")
        figures: dict[str, Any] = {"label": target.label, "note": target.note, "ops": {}}
        print(f"-- {target.label}", flush=True)
        with self.servers.running(server, PROBE_PATH, HEADERS, timeout=ready_timeout):
            figures["first_answer_s"] = round(server.seconds_to_first_answer or 0, 3)
            if seed:
                ids = start_sessions(server.host, port, seed)
            ids = list(ids or [seeded_id(i) for i in range(seed or 100)])
            time.sleep(SETTLE_S)
            figures["rss_idle_mb"] = round(server.rss() / MB, 1)
            service_ms = 0.0
            for operation in single:
                load = replace(self.load(operation, ids, SINGLE_S), connections=1, threads=1)
                figures["ops"][f"{operation}@1"] = one = self._drive(server, load, report=True)
                service_ms = max(service_ms, one["p50_ms"] or 0.0)
            queued_s = service_ms * self.args.connections / 1000
            for operation in operations:
                if queued_s > self.args.timeout:
                    reason = (
                        f"one request alone takes {service_ms:.0f} ms, so {self.args.connections} "
                        f"connections would queue ~{queued_s:.0f} s each (timeout {self.args.timeout:g} s)"
                    )
                    figures["ops"][operation] = {"skipped": reason}
                    print(f"   {operation:<5} skipped: {figures['ops'][operation]['skipped']}", flush=True)
                    continue
                if self.args.warmup > 0:  # JIT-compiled servers (Prism) deserve a warm start
                    self._drive(server, self.load(operation, ids, self.args.warmup))
                load = self.load(operation, ids, seconds)
                figures["ops"][operation] = self._drive(server, load, report=True)
            figures["rss_after_mb"] = round(server.rss() / MB, 1)
        return figures, ids

    def _drive(self, server: Server, load: drivers.Load, report: bool = False) -> dict[str, Any]:
        """Run one load once the server has caught up with the previous one."""
        waited = server.wait_until_idle(PROBE_PATH, HEADERS)
        result = drivers.run(load, server.base_url, self.args.driver)
        figures = {**result.to_json(), "connections": load.connections, "waited_idle_s": round(waited, 2)}
        if report:
            print(
                f"   {load.name:<5} c={load.connections:<3} {result.rps:9,.0f} req/s  "
                f"p50 {_ms(result.p50_ms)}  p99 {_ms(result.p99_ms)}  errors {result.error_count}"
                + (f"  (waited {waited:.0f} s for the server to catch up)" if waited > 1 else ""),
                flush=True,
            )
        return figures


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} ms"


# -- sections -----------------------------------------------------------------


COMPARE_SERVERS = ("mock", "mock-quiet", "prism", "prism-silent", "starlette")


def compare_section(run: Run, prism: Prism | str | None) -> dict[str, Any]:
    """focus-mock (log on, log off), Prism (default, silent) and bare Starlette, same loads,
    each once per round (see :mod:`bench.rounds`)."""
    servers = [(key, target) for key, target in _compare_targets(prism) if key in run.args.servers]
    ids: list[str] = [seeded_id(i) for i in range(run.args.seed_sessions)][:IDS_PER_LOAD]
    measured: list[dict[str, Any]] = []
    for round_index in range(run.args.rounds):
        _announce_round(run, round_index)
        section: dict[str, Any] = {}
        for key, target in turned(servers, round_index):
            if isinstance(target, str):
                section[key] = {"label": key.replace("-", " "), "skipped": target}
            elif target.is_mock:  # the mock answers the sessions it was given through its API
                section[key], _ = run.measure(target, OPERATIONS, None, seed=run.args.seed_sessions)
            else:  # the others answer any id: they get the same paths, of the same length
                section[key], _ = run.measure(target, OPERATIONS, ids)
        measured.append(section)
    return fold_section(measured)


def _compare_targets(prism: Prism | str | None) -> list[tuple[str, Target | str]]:
    """Each server of the compare section, or why it cannot run."""
    skipped = prism if isinstance(prism, str) else "skipped (--skip-prism)"
    return [
        ("mock", mock_target(quiet=False)),
        ("mock-quiet", mock_target(quiet=True)),
        *(
            (key, prism_target(prism, silent) if isinstance(prism, Prism) else skipped)
            for key, silent in (("prism", False), ("prism-silent", True))
        ),
        ("starlette", starlette_target()),
    ]


def _announce_round(run: Run, round_index: int) -> None:
    if run.args.rounds > 1:
        print(f"== round {round_index + 1} of {run.args.rounds}", flush=True)


def validation_section(run: Run) -> dict[str, Any]:
    """What checking each answer against the spec costs, pure-Python vs Rust validator."""
    section: dict[str, Any] = {}
    ids = [seeded_id(i) for i in range(100)]
    for kind in ("none", "jsonschema", "jsonschema-rs"):
        if kind == "jsonschema-rs" and importlib.util.find_spec("jsonschema_rs") is None:
            section[kind] = {"label": "starlette+jsonschema-rs", "skipped": "jsonschema_rs not installed"}
            continue
        section[kind], _ = run.measure(starlette_target(kind), ("get",), ids)
    return section


def scale_section(run: Run) -> dict[str, Any]:
    """RSS and get/end latency of the mock holding 10, 1,000 and 100,000 sessions, per round."""
    measured: list[dict[str, Any]] = []
    for round_index in range(run.args.rounds):
        _announce_round(run, round_index)
        section: dict[str, Any] = {}
        for size in turned(run.args.scale_sizes, round_index):
            section[str(size)], _ = run.measure(
                seeded_mock_target(size),
                ("get", "end"),
                alice_ids(size, IDS_PER_LOAD),
                seconds=run.args.scale_duration,
                ready_timeout=300.0,
                single=("get",),
            )
        measured.append({str(size): section[str(size)] for size in run.args.scale_sizes})
    return fold_section(measured)


# -- environment --------------------------------------------------------------


def _version(package: str) -> str | None:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def _command_output(command: list[str], any_status: bool = False) -> str:
    """What ``command`` printed, or "" if it failed (``any_status``: whatever it exits with)."""
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=10, cwd=REPO_ROOT)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return (result.stdout or result.stderr).strip() if any_status or result.returncode == 0 else ""


def environment(args: argparse.Namespace, prism: Prism | str | None) -> dict[str, Any]:
    uvloop, httptools = _version("uvloop"), _version("httptools")
    dirty = _command_output(["git", "status", "--porcelain", "--", "mockserver", "openapi"])
    commit = _command_output(["git", "rev-parse", "--short", "HEAD"]) or "?"
    return {
        "started_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "commit": commit + ("+dirty" if dirty else ""),
        "cpus": os.cpu_count(),
        # Other work on the machine skews every figure; the load average shows whether there was any.
        "loadavg_at_start": [round(x, 2) for x in os.getloadavg()],
        "python": f"Python {platform.python_version()}",
        "uvicorn": _version("uvicorn"),
        "starlette": _version("starlette"),
        "uvicorn_loop": f"uvloop {uvloop}" if uvloop else "asyncio",
        "uvicorn_http": f"httptools {httptools}" if httptools else "h11",
        "jsonschema": _version("jsonschema"),
        "jsonschema_rs": _version("jsonschema_rs"),
        "driver": args.driver,
        "wrk": (_command_output(["wrk", "--version"], any_status=True) + "\n").splitlines()[0] or None,
        "node": _command_output(["node", "--version"]) or None,
        "prism": prism.version if isinstance(prism, Prism) else prism,
        "connections": args.connections,
        "threads": args.threads,
        "seconds": args.duration,
        "rounds": args.rounds,
        "warmup_seconds": args.warmup,
        "scale_seconds": args.scale_duration,
        "seed_sessions": args.seed_sessions,
    }


# -- command line -------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python bench/run.py",
        description="Benchmark focus-mock against Prism and a bare Starlette ceiling on this machine.",
    )
    parser.add_argument(
        "--duration", type=float, default=10.0, help="seconds per load (default: %(default)s)"
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="times each server of compare and scale is measured, in turn; figures are medians (default: 3)",
    )
    parser.add_argument(
        "--warmup",
        type=float,
        default=2.0,
        help="unrecorded seconds of the same load before each measured one (default: 2)",
    )
    parser.add_argument("--scale-duration", type=float, default=10.0, help="seconds per scale load")
    parser.add_argument("--connections", type=int, default=32, help="concurrent connections (default: 32)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default: 2)")
    parser.add_argument(
        "--timeout", type=float, default=5.0, help="requests slower than this count as errors (default: 5)"
    )
    parser.add_argument(
        "--driver",
        choices=("auto", "wrk", "python"),
        default="auto",
        help="load generator; auto = wrk if installed, else the Python one",
    )
    parser.add_argument(
        "--sections",
        default=",".join(SECTIONS),
        help=f"comma-separated subset of {','.join(SECTIONS)} (default: all)",
    )
    parser.add_argument(
        "--servers",
        default=",".join(COMPARE_SERVERS),
        help=f"servers of the compare section, a subset of {','.join(COMPARE_SERVERS)} (default: all)",
    )
    parser.add_argument("--profile", action="store_true", help="also profile focus-mock under load")
    parser.add_argument("--profile-duration", type=float, default=10.0, help="seconds per profiled load")
    parser.add_argument("--skip-prism", action="store_true", help="do not install or run Prism")
    parser.add_argument("--prism-version", default=None, help="Prism version to install (default: 5.16.0)")
    parser.add_argument(
        "--seed-sessions",
        type=int,
        default=100,
        help="sessions started through the API before get/end loads (default: 100)",
    )
    parser.add_argument(
        "--scale-sizes",
        default=",".join(map(str, SCALE_SIZES)),
        help="stored-session counts for the scale section",
    )
    parser.add_argument(
        "--max-examples",
        type=int,
        default=25,
        help="examples per operation for st run and the contract suite (default: 25)",
    )
    parser.add_argument("--contract-args", default="", help="extra arguments for pytest contracts")
    parser.add_argument("--output", type=Path, help="results JSON (default: bench/results/<UTC time>.json)")
    parser.add_argument("--no-output", action="store_true", help="print only, write no JSON")
    parser.add_argument(
        "--report", type=Path, metavar="FILE", help="print the report of a saved run and exit"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.report:
        print(report.render(json.loads(args.report.read_text(encoding="utf-8"))))
        return 0
    sections = [s.strip() for s in args.sections.split(",") if s.strip()]
    unknown = set(sections) - set(SECTIONS)
    if unknown:
        print(f"unknown sections: {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    if args.rounds < 1:
        print("--rounds must be at least 1", file=sys.stderr)
        return 2
    args.scale_sizes = [int(s) for s in args.scale_sizes.split(",") if s.strip()]
    args.servers = [s.strip() for s in args.servers.split(",") if s.strip()]
    unknown_servers = set(args.servers) - set(COMPARE_SERVERS)
    if unknown_servers:
        print(f"unknown servers: {', '.join(sorted(unknown_servers))}", file=sys.stderr)
        return 2
    if args.driver == "auto":
        args.driver = "wrk" if drivers.wrk_path() else "python"
    if args.driver == "python" and drivers.wrk_path() is None:
        print("wrk not found: using the Python load generator (figures are lower bounds)", flush=True)

    prism: Prism | str | None = None
    if "compare" in sections and not args.skip_prism and {"prism", "prism-silent"} & set(args.servers):
        prism = ensure_prism(args.prism_version) if args.prism_version else ensure_prism()
        if isinstance(prism, str):
            print(prism, flush=True)
    results: dict[str, Any] = {"meta": environment(args, prism)}
    with ServerSet() as servers, tempfile.TemporaryDirectory(prefix="focus-bench-logs-") as logs:
        run = Run(args, servers, Path(logs))
        steps = {
            "compare": lambda: compare_section(run, prism),
            "validation": lambda: validation_section(run),
            "scale": lambda: scale_section(run),
            "contracts": lambda: time_contract_suites(run.servers, Path(logs), args),
            "profile": lambda: profile_section(run),
        }
        for name in [*sections, *(["profile"] if args.profile else [])]:
            try:
                results[name] = steps[name]()
            except KeyboardInterrupt:
                print("\ninterrupted: servers stopped, partial results below", file=sys.stderr)
                results["meta"]["interrupted"] = True
                break
            except (OSError, RuntimeError, TimeoutError) as exc:  # one broken server must not lose the run
                print(f"{name}: {exc}", file=sys.stderr)
                results.setdefault("errors", {})[name] = str(exc)
    results["meta"]["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    print()
    print(report.render(results))
    if not args.no_output:
        stamp = results["meta"]["started_at"].replace("-", "").replace(":", "")
        output = args.output or REPO_ROOT / "bench" / "results" / f"{stamp}.json"
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
        print(f"\nresults written to {output}")
    return 130 if results["meta"].get("interrupted") else 0
