"""Serving a mock in this process, and running the contract suite against it in another.

The mock runs under uvicorn in a thread on a free loopback port, with a virtual
clock so that the suite moves time instead of waiting. The suite runs as
``python -m pytest contracts`` in a child process, exactly as a user runs it, and
reports its clause verdicts through ``--conformance-json``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
OWNER_KEY, PEER_KEY, OUTSIDER_KEY = "alice-dev-key", "bob-dev-key", "carol-dev-key"
ORG, OUTSIDER_ORG = "org_abc123", "org_xyz789"
ALL_KEYS = (OWNER_KEY, PEER_KEY, OUTSIDER_KEY)
CREDENTIALS = (
    "--api-key", OWNER_KEY,
    "--peer-api-key", PEER_KEY,
    "--org-id", ORG,
    "--outsider-api-key", OUTSIDER_KEY,
    "--outsider-org-id", OUTSIDER_ORG,
)  # fmt: skip
SUITE_TIMEOUT_SECONDS = 240


def _child_env() -> dict[str, str]:
    """This environment minus anything that would steer the suite somewhere else."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FOCUS_", "PYTEST_"))}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
    return env


@dataclass(frozen=True)
class SuiteRun:
    returncode: int
    output: str
    report: dict[str, Any]

    @property
    def verdicts(self) -> dict[str, str]:
        return {c["clause"]: c["verdict"] for c in self.report.get("clauses", [])}

    def explain(self) -> str:
        """The end of the suite's output, for a failing assertion."""
        return f"exit code {self.returncode}; verdicts {self.verdicts}\n{self.output[-4000:]}"


def suite_command(base_url: str | None, *args: str, credentials: bool = True) -> list[str]:
    command = [sys.executable, "-m", "pytest", "contracts", "-p", "no:cacheprovider", "-q"]
    if base_url is not None:
        command += ["--base-url", base_url, *(CREDENTIALS if credentials else ())]
    return command + list(args)


def run_suite(base_url: str | None, *args: str, credentials: bool = True) -> SuiteRun:
    """The whole suite, or the part ``args`` selects, against ``base_url`` (None: the bundled mock)."""
    with tempfile.TemporaryDirectory() as scratch:
        report_path = Path(scratch) / "conformance.json"
        command = suite_command(
            base_url, *args, "--conformance-json", str(report_path), credentials=credentials
        )
        done = subprocess.run(
            command,
            cwd=ROOT,
            env=_child_env(),
            capture_output=True,
            text=True,
            timeout=SUITE_TIMEOUT_SECONDS,
            check=False,
        )
        report = json.loads(report_path.read_text()) if report_path.exists() else {}
    return SuiteRun(done.returncode, done.stdout + done.stderr, report)


def start_suite(base_url: str, *args: str) -> subprocess.Popen[str]:
    """The suite as a running child process, for tests that interrupt it."""
    return subprocess.Popen(
        suite_command(base_url, *args),
        cwd=ROOT,
        env=_child_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
