"""``focus-mock --state f.db``: a SIGKILL after a 201 loses nothing, progress and clock included.

Runs the real command in a child process on a free loopback port, kills it
with SIGKILL (no shutdown code runs) and starts it again on the same file.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from .conftest import ALICE, SESSIONS, free_port

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL (POSIX)")


def _without_port(session: dict) -> dict:
    """The session with audio URLs cut to their path: the restarted mock listens on another port."""
    segments = [s | {"audio_url": "/" + s["audio_url"].split("/", 3)[3]} for s in session["segments"]]
    return session | {"segments": segments}


@contextmanager
def focus_mock(*args: str) -> Iterator[tuple[httpx.Client, subprocess.Popen[bytes]]]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "mockserver", "--port", str(port), "--quiet", *args],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10)
    try:
        deadline = time.monotonic() + 30
        while True:  # wait for readiness: the loop ends as soon as the port answers
            try:
                client.get("/__mock/clock")
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"focus-mock did not start: {process.stderr.read()!r}") from None  # type: ignore[union-attr]
                time.sleep(0.05)
        yield client, process
    finally:
        client.close()
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)
        process.stderr.close()  # type: ignore[union-attr]


def test_sigkill_after_201_keeps_the_session_its_progress_and_the_clock(tmp_path: Path) -> None:
    state = str(tmp_path / "f.db")
    with focus_mock("--state", state, "--clock", "virtual") as (client, process):
        created = client.post(SESSIONS, json={"goal": "focus", "target_minutes": 60}, headers=ALICE)
        assert created.status_code == 201
        session_id = created.json()["session_id"]
        clock = client.post("/__mock/clock/advance", json={"seconds": 33.5}).json()
        first = client.get(f"{SESSIONS}/{session_id}", headers=ALICE).json()["segments"][0]["segment_id"]
        assert (
            client.post(f"{SESSIONS}/{session_id}/segments/{first}/promote", headers=ALICE).status_code == 200
        )
        client.put("/__mock/quotas/org_xyz789", json={"segment_quota": 7})
        before = _without_port(client.get(f"{SESSIONS}/{session_id}", headers=ALICE).json())
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    with focus_mock("--state", state, "--clock", "virtual") as (client, _):
        assert client.get("/__mock/clock").json() == clock
        after = client.get(f"{SESSIONS}/{session_id}", headers=ALICE)
        assert after.status_code == 200
        assert _without_port(after.json()) == before
        assert before["ready_count"] == 4 and before["segments"][0]["promoted"] is True
        quotas = client.get("/__mock/quotas").json()["organizations"]
        assert [q["segment_quota"] for q in quotas] == [10000, 7]


def test_without_state_a_restart_starts_empty(tmp_path: Path) -> None:
    with focus_mock("--clock", "virtual") as (client, process):
        session_id = client.post(SESSIONS, json={"goal": "focus", "target_minutes": 6}, headers=ALICE).json()[
            "session_id"
        ]
        os.kill(process.pid, signal.SIGKILL)
    with focus_mock("--clock", "virtual") as (client, _):
        assert client.get(f"{SESSIONS}/{session_id}", headers=ALICE).status_code == 404
