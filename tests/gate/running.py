"""Running ``focus-contract`` as CI does: its own process, outside the checkout, keys in the environment."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
OWNER_KEY, PEER_KEY, OUTSIDER_KEY = "alice-dev-key", "bob-dev-key", "carol-dev-key"
ALL_KEYS = (OWNER_KEY, PEER_KEY, OUTSIDER_KEY)
CREDENTIALS = {
    "FOCUS_API_KEY": OWNER_KEY,
    "FOCUS_PEER_API_KEY": PEER_KEY,
    "FOCUS_ORG_ID": "org_abc123",
    "FOCUS_OUTSIDER_API_KEY": OUTSIDER_KEY,
    "FOCUS_OUTSIDER_ORG_ID": "org_xyz789",
}
GATE_TIMEOUT_SECONDS = 180


def installed_script() -> Path | None:
    """The ``focus-contract`` console script of this environment, if the project is installed."""
    script = Path(sys.executable).parent / "focus-contract"
    return script if script.exists() else None


def gate_command() -> list[str]:
    script = installed_script()
    return [str(script)] if script is not None else [sys.executable, "-m", "contracts.gate"]


def clean_environment(**extra: str) -> dict[str, str]:
    """This environment without anything that would steer the gate, plus ``extra``."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("FOCUS_", "PYTEST_", "GITHUB_")) and k != "PYTHONPATH"
    }
    if installed_script() is None:  # not installed: the checkout must be importable
        env["PYTHONPATH"] = str(ROOT)
    env.update(extra)
    return env


@dataclass(frozen=True)
class GateRun:
    returncode: int
    stdout: str
    stderr: str
    reports: Path

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def json(self) -> dict[str, Any]:
        return json.loads((self.reports / "conformance.json").read_text(encoding="utf-8"))

    def junit(self) -> ET.Element:
        return ET.parse(self.reports / "conformance.xml").getroot()

    def markdown(self) -> str:
        return (self.reports / "conformance.md").read_text(encoding="utf-8")

    def explain(self) -> str:
        return f"exit code {self.returncode}\n{self.output[-5000:]}"


def run_gate(
    workdir: Path,
    *args: str,
    credentials: dict[str, str] | None = None,
    reports: bool = True,
    timeout: float = GATE_TIMEOUT_SECONDS,
    **env: str,
) -> GateRun:
    """``focus-contract ARGS`` with ``workdir`` as its working directory (a place outside the checkout)."""
    report_args = []
    if reports:
        report_args = [
            "--junit", "reports/conformance.xml",
            "--json", "reports/conformance.json",
            "--markdown", "reports/conformance.md",
        ]  # fmt: skip
    done = subprocess.run(
        [*gate_command(), *args, *report_args],
        cwd=workdir,
        env=clean_environment(**(CREDENTIALS if credentials is None else credentials), **env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return GateRun(done.returncode, done.stdout, done.stderr, workdir / "reports")
