"""A skipped MUST clause is not proven: the gate fails on it unless given ``--allow-skipped``."""

from __future__ import annotations

from pathlib import Path

from live_mock import served
from teeth.variants import faithful

from .running import run_gate

STARVED = ("--level", "documented", "--max-sessions", "1", "--seed", "3")


def test_clauses_skipped_for_want_of_sessions_fail_the_gate_and_every_report_names_them(
    tmp_path: Path,
) -> None:
    with served(faithful()) as base_url:
        run = run_gate(tmp_path, "--base-url", base_url, *STARVED)
    assert run.returncode == 1, run.explain()
    document = run.json()
    skipped = [c["clause"] for c in document["clauses"] if c["verdict"] == "skipped"]
    assert skipped and document["exit_code"] == 1 and document["summary"]["failed"] == 0
    message = document["message"]
    assert message.startswith("not proven:") and "--max-sessions 1" in message, message
    assert all(f"{clause} (" in message for clause in skipped), message
    assert message in run.markdown() and "not proven:" in run.stdout
    assert "## Focus Sessions conformance: not conformant" in run.markdown()


def test_allow_skipped_lets_the_same_run_pass(tmp_path: Path) -> None:
    with served(faithful()) as base_url:
        run = run_gate(tmp_path, "--base-url", base_url, *STARVED, "--allow-skipped")
    assert run.returncode == 0, run.explain()
    document = run.json()
    assert document["summary"]["skipped"] > 0 and "message" not in document
