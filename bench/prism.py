"""Stoplight Prism, the reference mock: installed on demand into ``bench/.prism``.

Prism needs Node.js; where ``node`` or ``npm`` is missing the harness skips
its rows and says why instead of failing the run.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

PRISM_DIR = Path(__file__).resolve().parent / ".prism"
PRISM_PACKAGE = "@stoplight/prism-cli"
PRISM_VERSION = "5.16.0"
INSTALL_TIMEOUT_S = 600


@dataclass(frozen=True)
class Prism:
    """A usable Prism: the command that runs it and the version installed."""

    command: tuple[str, ...]
    version: str

    def mock(self, spec: Path, port: int, *, silent: bool) -> list[str]:
        """Static mock (answers from the spec's examples), no error answers for violations."""
        args = [*self.command, "mock", "-h", "127.0.0.1", "-p", str(port), "--errors=false"]
        if silent:
            args += ["--verboseLevel", "silent"]
        return [*args, str(spec)]


def _installed(node: str) -> Prism | None:
    entry = PRISM_DIR / "node_modules" / ".bin" / "prism"
    manifest = PRISM_DIR / "node_modules" / PRISM_PACKAGE / "package.json"
    if not (entry.exists() and manifest.exists()):
        return None
    version = json.loads(manifest.read_text(encoding="utf-8"))["version"]
    return Prism(command=(node, str(entry.resolve())), version=version)


def ensure_prism(version: str = PRISM_VERSION) -> Prism | str:
    """The installed Prism, installing it first if needed; or a sentence saying why not."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        return "Node.js (node and npm) not found on PATH: Prism rows skipped"
    found = _installed(node)
    if found is not None and found.version == version:
        return found
    print(f"installing {PRISM_PACKAGE}@{version} into {PRISM_DIR} ...", flush=True)
    command = [
        npm,
        "install",
        "--prefix",
        str(PRISM_DIR),
        "--no-audit",
        "--no-fund",
        "--loglevel=error",
        f"{PRISM_PACKAGE}@{version}",
    ]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=INSTALL_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return f"npm install {PRISM_PACKAGE}@{version} took over {INSTALL_TIMEOUT_S}s: Prism rows skipped"
    found = _installed(node)
    if result.returncode != 0 or found is None:
        tail = (result.stderr or result.stdout).strip().splitlines()[-3:]
        return f"npm install {PRISM_PACKAGE}@{version} failed ({' / '.join(tail)}): Prism rows skipped"
    return found
