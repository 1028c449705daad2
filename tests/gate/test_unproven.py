"""A clause skipped, or only partly tested, is not proven: the gate fails on it unless ``--allow-skipped``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from live_mock import served
from teeth.variants import faithful

from contracts.gate.suite import unproven_clauses

from .running import CREDENTIALS, run_gate

STARVED = ("--level", "documented", "--max-sessions", "1", "--seed", "3")
NO_OUTSIDER = {k: v for k, v in CREDENTIALS.items() if "OUTSIDER" not in k}
OUTSIDER_SKIP = "needs --outsider-api-key (a user of another organization)"
CLOCK_SKIP = "running an organization's quota out needs a target with a virtual clock"


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


def test_clauses_partly_skipped_for_want_of_an_outsider_key_are_partial_and_fail_the_gate(
    tmp_path: Path,
) -> None:
    """D3 and D10 each have a test needing a user of another organization: the rest passing proves neither."""
    with served(faithful()) as base_url:
        run = run_gate(tmp_path, "--base-url", base_url, "--level", "documented", credentials=NO_OUTSIDER)
    assert run.returncode == 1, run.explain()
    document = run.json()
    verdicts = {c["clause"]: c["verdict"] for c in document["clauses"]}
    assert {c for c, v in verdicts.items() if v != "passed"} == {"D3", "D10"}, verdicts
    assert verdicts["D3"] == verdicts["D10"] == "partial"
    assert document["summary"] == {"passed": 10, "partial": 2, "failed": 0, "skipped": 0, "not run": 0}
    assert document["test_summary"]["skipped"] == 2 and document["test_summary"]["failed"] == 0
    message = document["message"]
    assert message.startswith("not proven: 2 selected clauses skipped or only partly tested:"), message
    assert f"D3 (1 of 2 tests skipped: {OUTSIDER_SKIP})" in message, message
    assert "D10 (1 of " in message and "--allow-skipped" in message, message
    assert run.json()["result"] == "not conformant" and message in run.stdout
    assert run.junit().find("testsuite").get("skipped") == "2"  # type: ignore[union-attr]
    assert "| D3 | documented | ⚠️ partial | 1/2 (1 skipped) |" in run.markdown()


def test_allow_skipped_accepts_partly_tested_clauses(tmp_path: Path) -> None:
    with served(faithful()) as base_url:
        run = run_gate(
            tmp_path,
            "--base-url",
            base_url,
            "--level",
            "documented",
            "--allow-skipped",
            credentials=NO_OUTSIDER,
        )
    assert run.returncode == 0, run.explain()
    assert run.json()["summary"]["partial"] == 2 and "message" not in run.json()


def clause_entry(clause: str, *outcomes: tuple[str, str]) -> dict[str, Any]:
    tests = [{"nodeid": f"t::{i}", "outcome": o, "reason": r} for i, (o, r) in enumerate(outcomes)]
    verdicts = {o for o, _ in outcomes}
    verdict = "partial" if verdicts == {"passed", "skipped"} else verdicts.pop()
    return {"clause": clause, "verdict": verdict, "tests": tests}


REAL_CLOCK_RUN = {
    "clock": "real",
    "clauses": [
        clause_entry("D5", ("passed", ""), ("skipped", f"Skipped: {CLOCK_SKIP}")),
        clause_entry("I8", ("skipped", f"Skipped: {CLOCK_SKIP}")),
        clause_entry("I9", ("passed", "")),
    ],
}


def test_on_a_real_clock_the_message_says_to_gate_on_the_documented_level() -> None:
    message = unproven_clauses(REAL_CLOCK_RUN)
    assert message.startswith(
        "not proven: 2 selected clauses skipped or only partly tested: "
        f"D5 (1 of 2 tests skipped: {CLOCK_SKIP}); I8 ({CLOCK_SKIP}). "
    ), message
    assert "a real deployment has not: gate such a deployment with --level documented" in message
    assert message.endswith("Otherwise, give what they need, or pass --allow-skipped to accept them untested")


def test_a_run_whose_every_clause_passed_is_proven() -> None:
    assert unproven_clauses({"clock": "real", "clauses": [clause_entry("D1", ("passed", ""))]}) == ""
