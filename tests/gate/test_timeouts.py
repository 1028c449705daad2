"""Timeouts are bounded up front, a silent target is named in time, Ctrl-C stops the probe."""

from __future__ import annotations

import signal
import socket
import subprocess
from pathlib import Path

import pytest

from .running import CREDENTIALS, clean_environment, gate_command, run_gate

KILL_BOUND_SECONDS = 60


@pytest.mark.parametrize("flag", ["--connect-timeout", "--request-timeout"])
@pytest.mark.parametrize("value", ["inf", "1e12", "nan", "601", "0"])
def test_an_unbounded_timeout_exits_2_with_one_line(tmp_path: Path, flag: str, value: str) -> None:
    run = run_gate(tmp_path, "--base-url", "http://127.0.0.1:9", flag, value, reports=False, timeout=30)
    assert run.returncode == 2, run.explain()
    assert f"argument {flag}: must be more than 0 and at most 600 seconds (got {value})" in run.stderr
    assert "Traceback" not in run.output and "INTERNALERROR" not in run.output


def test_a_target_that_accepts_and_never_answers_exits_3_naming_the_wait(tmp_path: Path) -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        run = run_gate(tmp_path, "--base-url", url, "--connect-timeout", "1", timeout=KILL_BOUND_SECONDS)
    assert run.returncode == 3, run.explain()
    assert f"cannot reach {url}: connected, but no answer within 1 s" in run.stderr
    assert "ConnectionError" not in run.output


def test_ctrl_c_during_the_probe_exits_130(tmp_path: Path) -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        silent.settimeout(KILL_BOUND_SECONDS)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        gate = subprocess.Popen(
            [*gate_command(), "--base-url", url, "--connect-timeout", "600", "--json", "report.json"],
            cwd=tmp_path,
            env=clean_environment(**CREDENTIALS),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        connection, _ = silent.accept()  # the probe is waiting for its answer now
        with connection:
            gate.send_signal(signal.SIGINT)
            output, _ = gate.communicate(timeout=KILL_BOUND_SECONDS)
    assert gate.returncode == 130, output
    assert "Traceback" not in output and "stopped by signal 2" in output
    assert (tmp_path / "report.json").exists()
