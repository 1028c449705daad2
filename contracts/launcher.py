"""The bundled mock: what ``pytest contracts`` tests when no ``--base-url`` is given.

It runs as a child process (``python -m mockserver``) on a free loopback port
with a virtual clock, so clauses about time need no waiting. Its world is the
mock's default configuration, from which the suite takes its callers.
"""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

from mockserver.config import Config, load_config

from .redaction import redact
from .settings import Caller

READY_TIMEOUT_SECONDS = 20.0
ATTEMPTS = 3  # a free port can be taken between choosing it and binding it


class LaunchError(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def default_callers() -> tuple[Caller, Caller, Caller | None]:
    """Owner, peer (same organization) and outsider (another one) from the mock's default world."""
    return callers_of(load_config(None))


def callers_of(config: Config) -> tuple[Caller, Caller, Caller | None]:
    owner_user = config.users[0]
    org = owner_user.organizations[0]
    peer_user = next((u for u in config.users[1:] if org in u.organizations), None)
    if peer_user is None:
        raise LaunchError(f"the mock's world has no second user in {org}")
    outsider_user = next((u for u in config.users if org not in u.organizations), None)
    outsider = None
    if outsider_user is not None:
        outsider = Caller("outsider", outsider_user.api_key, outsider_user.organizations[0])
    return Caller("owner", owner_user.api_key, org), Caller("peer", peer_user.api_key, org), outsider


def _child_env() -> dict[str, str]:
    """The child must import the same mockserver as this process, installed or from a checkout."""
    spec = importlib.util.find_spec("mockserver")
    if spec is None or spec.origin is None:
        raise LaunchError("the mockserver package is not importable")
    root = str(Path(spec.origin).resolve().parent.parent)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    return env


class BundledMock:
    def __init__(self) -> None:
        self.process: subprocess.Popen[bytes] | None = None
        self.base_url = ""
        # Open for the child's whole life; closed in stop().
        self._log = tempfile.TemporaryFile()  # noqa: SIM115

    def start(self) -> str:
        last_problem = ""
        for _ in range(ATTEMPTS):
            port = free_port()
            command = [sys.executable, "-m", "mockserver", "--host", "127.0.0.1", "--port", str(port)]
            self.process = subprocess.Popen(
                [*command, "--clock", "virtual", "--quiet"],
                stdin=subprocess.DEVNULL,
                stdout=self._log,
                stderr=subprocess.STDOUT,
                env=_child_env(),
            )
            self.base_url = f"http://127.0.0.1:{port}"
            problem = self._wait_until_ready()
            if problem is None:
                return self.base_url
            last_problem = problem
            self.stop()
        raise LaunchError(f"the bundled mock did not start: {last_problem}")

    def _wait_until_ready(self) -> str | None:
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                return f"it exited with code {self.process.returncode}: {self._tail()}"
            try:
                if requests.get(self.base_url + "/__mock/clock", timeout=1).status_code == 200:
                    return None
            except requests.RequestException:
                pass
            time.sleep(0.05)
        return f"it did not answer within {READY_TIMEOUT_SECONDS:g}s: {self._tail()}"

    def _tail(self) -> str:
        """The end of the mock's output, without the keys its banner lists."""
        self._log.seek(0)
        text = self._log.read().decode("utf-8", "replace").strip()
        return redact(text, [user.api_key for user in load_config(None).users])[-800:]

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)

    def close(self) -> None:
        self.stop()
        self._log.close()
