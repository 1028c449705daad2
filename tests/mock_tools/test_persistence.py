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
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from live_mock import free_port

from mockserver.cli import main
from mockserver.config import Config, Timings, load_config
from mockserver.sqlite_store import SqliteStore, StateFileError
from mockserver.store import SessionRecord

from .conftest import ALICE, SESSIONS, START

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


def _state_with_a_session(path: Path, clock_kind: str, config: Config) -> None:
    store = SqliteStore(path)
    store.check_written_with(clock_kind, config)
    store.add(SessionRecord("mfocus_0000000000a1", "org_xyz789", "usr_carol", "focus", "studio", 60, START))
    store.close()


def _one_organization(tmp_path: Path) -> Path:
    path = tmp_path / "world.yaml"
    path.write_text(
        "organizations: [{id: org_abc123}]\n"
        "users: [{id: usr_alice, api_key: alice-dev-key, organizations: [org_abc123]}]\n",
        encoding="utf-8",
    )
    return path


def test_another_clock_is_refused_saying_what_to_do(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Regression: --clock virtual, then real, silently moved every stored session decades."""
    state = tmp_path / "f.db"
    _state_with_a_session(state, "virtual", load_config(None))
    assert main(["--state", str(state), "--clock", "real"]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line == (
        f"focus-mock: {state} was written with --clock virtual, but this start has --clock real. "
        "Start focus-mock with the same --clock and --config as before, "
        f"or delete {state} (or choose another --state) to start afresh"
    )


def test_another_set_of_organizations_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Regression: sessions of an organization missing from the new config showed stopped_cap."""
    state = tmp_path / "f.db"
    _state_with_a_session(state, "virtual", load_config(None))
    assert (
        main(["--state", str(state), "--clock", "virtual", "--config", str(_one_organization(tmp_path))]) == 2
    )
    err = capsys.readouterr().err
    assert (
        "written with organizations org_abc123, org_xyz789, but this start has organizations org_abc123"
        in err
    )


def test_other_timings_are_refused(tmp_path: Path) -> None:
    state = tmp_path / "f.db"
    _state_with_a_session(state, "virtual", load_config(None))
    slower = replace(load_config(None), timings=Timings(3, 120))
    with pytest.raises(
        StateFileError, match=r"first after 3s, then every 10s, but this start has .* every 120s"
    ):
        SqliteStore(state).check_written_with("virtual", slower)


def test_the_same_clock_and_world_are_accepted(tmp_path: Path) -> None:
    state = tmp_path / "f.db"
    _state_with_a_session(state, "virtual", load_config(None))
    SqliteStore(state).check_written_with("virtual", load_config(None))


def test_an_empty_state_file_takes_on_a_new_clock_and_world(tmp_path: Path) -> None:
    """Nothing stored depends on them, e.g. after ``POST /__mock/reset``."""
    state = tmp_path / "f.db"
    _state_with_a_session(state, "virtual", load_config(None))
    store = SqliteStore(state)
    store.clear()
    store.check_written_with("real", load_config(None))
    store.close()
    _state_with_a_session(state, "real", load_config(None))
    with pytest.raises(StateFileError, match="written with --clock real"):
        SqliteStore(state).check_written_with("virtual", load_config(None))


def test_a_clean_stop_folds_the_write_ahead_log_back_into_the_state_file(tmp_path: Path) -> None:
    """Regression: after Ctrl-C, f.db-wal and f.db-shm stayed beside f.db; closing the store removes them."""
    state = tmp_path / "f.db"
    with focus_mock("--state", str(state), "--clock", "virtual") as (client, process):
        assert (
            client.post(SESSIONS, json={"goal": "focus", "target_minutes": 60}, headers=ALICE).status_code
            == 201
        )
        assert Path(f"{state}-wal").exists()
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0
    assert sorted(path.name for path in tmp_path.iterdir()) == ["f.db"]
    assert len(SqliteStore(str(state)).all()) == 1
