"""SIGKILL in the middle of a burst of writes to ``--state``: nothing answered 2xx is lost or half-written.

Threads start, promote and end sessions and move the virtual clock as fast as
the mock answers; the process is killed (no shutdown code runs) while they are
at it. The file must then open cleanly (SQLite's integrity check, every row
whole), and a mock restarted on it must show every acknowledged start with its
acknowledged fields, every acknowledged end as ended, every acknowledged
promote as promoted, and a clock no earlier than the last acknowledged reading.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from live_mock import LiveMock

from .crowd import ALPHA, BETA, CALLERS, Caller, session_path, sessions_path, write_config

WORKERS = 12
KILL_AFTER_ACKNOWLEDGED = 120


@dataclass
class Acknowledged:
    """What the mock answered 2xx to, before it died."""

    starts: dict[str, tuple[Caller, str, dict[str, Any]]] = field(default_factory=dict)
    ends: set[str] = field(default_factory=set)
    promotes: set[tuple[str, str]] = field(default_factory=set)
    clock: float = 0.0
    count: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    enough: threading.Event = field(default_factory=threading.Event)

    @contextmanager
    def recording(self) -> Iterator[None]:
        """Hold the lock while one acknowledged write is noted down, and count it."""
        with self.lock:
            yield
            self.count += 1
            if self.count >= KILL_AFTER_ACKNOWLEDGED:
                self.enough.set()


def _writer(base_url: str, caller: Caller, org: str, seen: Acknowledged) -> None:
    """Start, promote the first segment, end; again and again, until the mock is gone."""
    with httpx.Client(base_url=base_url, headers=caller.headers, timeout=10, trust_env=False) as client:
        n = 0
        try:
            while True:
                n += 1
                body = {"goal": "focus", "engine": f"w{n % 7}", "target_minutes": 10 + n % 50}
                started = client.post(sessions_path(org), json=body)
                assert started.status_code == 201, started.text
                session = started.json()
                session_id = session["session_id"]
                with seen.recording():
                    seen.starts[session_id] = (caller, org, session)
                path = session_path(org, session_id)
                for segment in session["segments"][:1]:
                    promoted = client.post(f"{path}/segments/{segment['segment_id']}/promote")
                    assert promoted.status_code == 200, promoted.text
                    with seen.recording():
                        seen.promotes.add((session_id, segment["segment_id"]))
                if n % 2:
                    ended = client.post(f"{path}/end")
                    assert ended.status_code == 200, ended.text
                    with seen.recording():
                        seen.ends.add(session_id)
        except httpx.TransportError:
            return  # the mock was killed: what was acknowledged so far is the record


def _clock_mover(base_url: str, seen: Acknowledged) -> None:
    with httpx.Client(base_url=base_url, timeout=10, trust_env=False) as client:
        try:
            while True:
                moved = client.post("/__mock/clock/advance", json={"seconds": 0.5})
                assert moved.status_code == 200, moved.text
                now = moved.json()["epoch_seconds"]
                with seen.recording():
                    seen.clock = max(seen.clock, now)
        except httpx.TransportError:
            return


def _burst_then_kill(mock: LiveMock) -> Acknowledged:
    seen = Acknowledged()
    writers = [(caller, org) for caller in CALLERS for org in caller.organizations] * 2
    with ThreadPoolExecutor(max_workers=WORKERS + 1) as pool:
        futures = [
            pool.submit(_writer, mock.base_url, caller, org, seen) for caller, org in writers[:WORKERS]
        ]
        futures.append(pool.submit(_clock_mover, mock.base_url, seen))
        assert seen.enough.wait(timeout=60), f"only {seen.count} writes were acknowledged"
        mock.kill()
        for future in futures:
            future.result(timeout=30)  # a worker's assertion error is the test's failure
    return seen


def _rows_are_whole(state: Path) -> int:
    """Open the file as SQLite would after a crash: integrity intact, no row half-written."""
    with sqlite3.connect(state) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        columns = "session_id, organization_id, owner_id, goal, engine, target_minutes, started_at, promoted"
        rows = db.execute(f"SELECT {columns} FROM sessions").fetchall()
    for row in rows:
        assert all(value is not None for value in row), row
        assert isinstance(json.loads(row[-1]), list), row
    return len(rows)


def test_sigkill_mid_burst_loses_nothing_acknowledged(tmp_path: Path) -> None:
    state = tmp_path / "state.db"
    args = ("--clock", "virtual", "--config", str(write_config(tmp_path)), "--state", str(state))
    with LiveMock(*args) as mock:
        seen = _burst_then_kill(mock)
    assert seen.starts and seen.ends and seen.promotes, "the burst wrote too little to judge"

    stored = _rows_are_whole(state)
    assert stored >= len(seen.starts)

    with LiveMock(*args) as restarted, restarted.client() as client:
        assert client.get("/__mock/clock").json()["epoch_seconds"] >= seen.clock
        listed = {s["session_id"]: s for s in client.get("/__mock/sessions").json()["sessions"]}
        for session_id, (caller, org, acknowledged) in seen.starts.items():
            read = client.get(session_path(org, session_id), headers=caller.headers)
            assert read.status_code == 200, f"acknowledged start {session_id} is gone: {read.text}"
            session = read.json()
            for name in ("goal", "engine", "target_minutes", "total_segments"):
                assert session[name] == acknowledged[name], (session_id, name)
            assert (listed[session_id]["owner_id"], listed[session_id]["organization_id"]) == (
                caller.user_id,
                org,
            )
            if session_id in seen.ends:
                assert session["status"] in ("ended", "stopped_cap"), session
                assert listed[session_id]["ended_at"] is not None
            promoted = {s["segment_id"] for s in session["segments"] if s["promoted"]}
            expected = {segment for sid, segment in seen.promotes if sid == session_id}
            assert expected <= promoted, (session_id, expected, promoted)
    assert {org for _, org, _ in seen.starts.values()} == {ALPHA, BETA}
