"""``python -m mockserver`` as a user runs it: a real server on a free loopback port.

Every server is stopped by the test that started it (SIGINT, then a kill if it
does not go). Readiness is found by polling; the only waiting is on the
process itself, so no test sleeps.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from live_mock import free_port
from world import ALICE, BOB, CAROL, ORG, OTHER_ORG, key, session_path, sessions_path

from mockserver.cli import main

REPO = Path(__file__).resolve().parent.parent
STARTUP_SECONDS = 20
STOP_SECONDS = 10
POLL_SECONDS = 0.05
ACCESS_LINE = re.compile(
    r"focus_mock\.access (?P<method>[A-Z]+) (?P<path>\S+) (?P<status>\d{3}) "
    r"(?P<ms>\d+\.\d)ms (?P<trace>req_[A-Za-z0-9]+)(?: forced by (?P<forced>\S+))?$"
)


class MockProcess:
    """One ``python -m mockserver`` process and what it printed."""

    def __init__(self, *args: str) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1"}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "mockserver", "--host", "127.0.0.1", "--port", str(self.port), *args],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.stdout = ""
        self.stderr = ""

    def wait_until_ready(self) -> None:
        """Poll until the mock answers; waiting is done on the process, which also catches an early exit."""
        for _ in range(int(STARTUP_SECONDS / POLL_SECONDS)):
            try:
                httpx.get(self.base_url + "/__mock/clock", timeout=1, trust_env=False).raise_for_status()
                return
            except httpx.TransportError:
                pass
            try:
                self.process.wait(timeout=POLL_SECONDS)
            except subprocess.TimeoutExpired:
                continue
            self.collect()
            pytest.fail(f"focus-mock exited with {self.process.returncode} before serving:\n{self.stderr}")
        pytest.fail("focus-mock did not answer in time")

    def interrupt(self) -> int:
        """Ctrl-C, as a user stops it; the exit code once it has gone."""
        self.process.send_signal(signal.SIGINT)
        self.collect()
        return self.process.returncode

    def collect(self) -> None:
        try:
            out, err = self.process.communicate(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            out, err = self.process.communicate()
        self.stdout += out
        self.stderr += err

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.collect()

    def access_lines(self) -> list[re.Match[str]]:
        return [m for line in self.stderr.splitlines() if (m := ACCESS_LINE.search(line))]


@pytest.fixture
def run_mock() -> Iterator[type[MockProcess]]:
    started: list[MockProcess] = []

    class Tracked(MockProcess):
        def __init__(self, *args: str) -> None:
            super().__init__(*args)
            started.append(self)

    yield Tracked
    for mock in started:
        mock.stop()


def test_the_banner_lists_every_key_and_organization(run_mock: type[MockProcess]) -> None:
    mock = run_mock()
    mock.wait_until_ready()
    assert mock.interrupt() == 0
    assert mock.base_url in mock.stdout
    for api_key in (ALICE, BOB, CAROL):
        assert api_key in mock.stdout
    for org in (ORG, OTHER_ORG):
        assert org in mock.stdout
    assert "clock: real" in mock.stdout


def test_one_access_line_per_request_without_the_api_key(run_mock: type[MockProcess]) -> None:
    mock = run_mock()
    mock.wait_until_ready()
    with httpx.Client(base_url=mock.base_url, headers=key(ALICE), trust_env=False) as client:
        answers = [
            client.post(sessions_path(), json={"goal": "focus", "target_minutes": 4}),
            client.get(session_path("mfocus_000000000000")),
            client.get("/nowhere", headers={"X-API-Key": "not-a-valid-key"}),
            client.post(sessions_path(), content=b"{", headers={"content-type": "application/json"}),
            client.get(session_path("mfocus_000000000000"), headers={"Prefer": "code=500"}),
        ]
    assert mock.interrupt() == 0

    lines = mock.access_lines()
    readiness = [m for m in lines if m["path"] == "/__mock/clock"]
    api = [m for m in lines if m["path"] != "/__mock/clock"]
    assert readiness
    assert [(m["method"], m["path"], int(m["status"]), m["trace"]) for m in api] == [
        (a.request.method, a.request.url.path, a.status_code, a.headers["x-request-id"]) for a in answers
    ]
    assert [m["forced"] for m in api] == [None, None, None, None, "Prefer"]  # a forced 500 says so
    for secret in (ALICE, "not-a-valid-key"):
        assert secret not in mock.stderr


def test_sigint_stops_it_promptly_with_exit_code_0(run_mock: type[MockProcess]) -> None:
    mock = run_mock()
    mock.wait_until_ready()
    assert mock.interrupt() == 0
    assert "Traceback" not in mock.stderr


def test_a_bad_config_file_exits_2_naming_the_field(run_mock: type[MockProcess], tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "organizations:\n  - id: org_one\nusers:\n"
        "  - id: usr_a\n    api_key: key-aaaa-1234\n    organizations: [org_two]\n",
        encoding="utf-8",
    )
    mock = run_mock("--config", str(bad))
    mock.collect()
    assert mock.process.returncode == 2
    assert "users[0].organizations[0]" in mock.stderr
    assert "org_two" in mock.stderr
    assert "Traceback" not in mock.stderr


def test_a_missing_config_file_exits_2(run_mock: type[MockProcess], tmp_path: Path) -> None:
    mock = run_mock("--config", str(tmp_path / "nowhere.yaml"))
    mock.collect()
    assert mock.process.returncode == 2
    assert "nowhere.yaml" in mock.stderr


def test_a_virtual_clock_is_driven_over_http(run_mock: type[MockProcess]) -> None:
    mock = run_mock("--clock", "virtual", "--quiet")
    mock.wait_until_ready()
    with httpx.Client(base_url=mock.base_url, headers=key(ALICE), trust_env=False) as client:
        session = client.post(sessions_path(), json={"goal": "focus", "target_minutes": 60}).json()
        before = client.get("/__mock/clock").json()
        advanced = client.post("/__mock/clock/advance", json={"seconds": 13})
        after = client.get(session_path(session["session_id"])).json()
    assert mock.interrupt() == 0

    assert before["kind"] == "virtual"
    assert advanced.status_code == 200
    assert advanced.json()["epoch_seconds"] == before["epoch_seconds"] + 13
    assert after["ready_count"] == 2
    assert after["segments"][0]["ready_at"] == session["next_ready_at"]
    assert after["segments"][0]["audio_url"].startswith(mock.base_url + "/")
    assert not mock.access_lines(), "--quiet still logged requests"


@pytest.mark.parametrize("port", ["70000", "-1", "65536", "http"])
def test_a_port_out_of_range_is_a_usage_error(port: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Regression: 70000 printed the banner, then an OverflowError traceback."""
    with pytest.raises(SystemExit) as stopped:
        main(["--port", port])
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert "argument --port:" in err and "Traceback" not in err


def test_a_busy_port_is_one_line_and_no_banner(capsys: pytest.CaptureFixture[str]) -> None:
    """Regression: the banner said "listening" before uvicorn failed with [Errno 98]."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["--host", "127.0.0.1", "--port", str(port)]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err == f"focus-mock: port {port} is in use; pick another with --port\n"


def test_port_0_announces_the_port_it_got() -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "mockserver", "--host", "127.0.0.1", "--port", "0", "--quiet"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()  # the banner is printed once the port is bound
        found = re.search(r"listening on http://127\.0\.0\.1:(\d+) ", first)
        assert found and found[1] != "0", first
        answer = httpx.get(
            f"http://127.0.0.1:{found[1]}/__mock/clock", timeout=STARTUP_SECONDS, trust_env=False
        )
        assert answer.status_code == 200
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.communicate(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()


def test_the_access_log_shows_no_key_sent_in_a_path(run_mock: type[MockProcess]) -> None:
    mock = run_mock()
    mock.wait_until_ready()
    with httpx.Client(base_url=mock.base_url, trust_env=False) as client:
        answer = client.get(f"/v1/music/{BOB}/focus/sessions?api_key={ALICE}", headers=key("typo-key-123456"))
    assert mock.interrupt() == 0
    (line,) = [m for m in mock.access_lines() if m["trace"] == answer.headers["x-request-id"]]
    assert line["path"] == "/v1/music/REDACTED/focus/sessions"
    for secret in (ALICE, BOB, "typo-key-123456"):
        assert secret not in mock.stderr
