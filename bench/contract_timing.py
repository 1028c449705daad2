"""Wall time of the contract suite and of ``st run`` against a fresh local mock each.

These show how long a CI gate takes, not how fast the mock is: both clients
spend most of their time generating cases. Each gets its own mock so that
sessions one creates do not slow the other.
"""

from __future__ import annotations

import argparse
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from .processes import REPO_ROOT, Server, ServerSet, free_port
from .seeding import API_KEY, HEADERS, ORGANIZATION
from .targets import PROBE_PATH, SPEC

SUITE_TIMEOUT_S = 900
# The default world's second user of alice's organization, and a user of another one.
PEER_KEY = "bob-dev-key"
OUTSIDER_KEY, OUTSIDER_ORG = "carol-dev-key", "org_xyz789"


def contract_tests(root: Path = REPO_ROOT / "contracts") -> list[Path]:
    return sorted(root.rglob("test_*.py")) + sorted(root.rglob("*_test.py")) if root.is_dir() else []


def _st_command() -> str | None:
    beside = Path(sys.executable).with_name("st")
    return str(beside) if beside.exists() else shutil.which("st")


def _timed(servers: ServerSet, log_dir: Path, name: str, command_for: Any) -> dict[str, Any]:
    """Run ``command_for(base_url)`` against a fresh mock; wall time, exit code, last line.

    The mock runs as the suite's own bundled one does (virtual clock, quiet), so
    neither client waits in real time for segments.
    """
    port = free_port()
    command = [sys.executable, "-m", "mockserver", "--port", str(port), "--clock", "virtual", "--quiet"]
    server = Server(f"mock for {name}", command, port, log_path=log_dir / f"contracts-{name}.log")
    print(f"-- {name}", flush=True)
    with servers.running(server, PROBE_PATH, HEADERS):
        command = command_for(server.base_url)
        started = time.perf_counter()
        try:
            result = subprocess.run(
                command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=SUITE_TIMEOUT_S
            )
        except subprocess.TimeoutExpired:
            return {"command": shlex.join(command), "skipped": f"no result within {SUITE_TIMEOUT_S}s"}
        wall = time.perf_counter() - started
    (log_dir / f"contracts-{name}.out").write_text(result.stdout + result.stderr, encoding="utf-8")
    lines = [ln.strip() for ln in (result.stdout + result.stderr).splitlines() if ln.strip()]
    summary = next((ln for ln in reversed(lines) if "passed" in ln or "failed" in ln or "error" in ln), "")
    print(f"   {wall:.1f} s, exit {result.returncode}: {summary[:100]}", flush=True)
    return {
        "command": shlex.join(command),
        "wall_s": round(wall, 2),
        "exit_code": result.returncode,
        "summary": summary.strip("= ")[:120],
    }


def pytest_command(url: str, max_examples: int, extra: list[str]) -> list[str]:
    """The contract suite against ``url``, with the default world's keys and the same example budget."""
    return [
        sys.executable, "-m", "pytest", "contracts", "-q", "-p", "no:cacheprovider",
        "--base-url", url,
        "--api-key", API_KEY, "--peer-api-key", PEER_KEY, "--org-id", ORGANIZATION,
        "--outsider-api-key", OUTSIDER_KEY, "--outsider-org-id", OUTSIDER_ORG,
        "--contract-max-examples", str(max_examples),
        *extra,
    ]  # fmt: skip


def st_command(st: str, url: str, max_examples: int) -> list[str]:
    return [
        st, "run", str(SPEC), "--url", url, "-H", f"X-API-Key: {API_KEY}",
        "--max-examples", str(max_examples), "--no-color",
    ]  # fmt: skip


def time_contract_suites(servers: ServerSet, log_dir: Path, args: argparse.Namespace) -> dict[str, Any]:
    section: dict[str, Any] = {}
    budget = args.max_examples
    label = f"pytest contracts --contract-max-examples {budget}"
    if not contract_tests():
        section["pytest"] = {"label": label, "skipped": "contracts/ has no test files yet: not timed"}
    else:
        extra = shlex.split(args.contract_args)
        run = _timed(servers, log_dir, "pytest", lambda url: pytest_command(url, budget, extra))
        section["pytest"] = {"label": label, **run}
    st = _st_command()
    label = f"st run --max-examples {budget}"
    if st is None:
        section["st"] = {"label": label, "skipped": "schemathesis (st) not found"}
    else:
        run = _timed(servers, log_dir, "st", lambda url: st_command(st, url, budget))
        section["st"] = {"label": label, **run}
    return section
