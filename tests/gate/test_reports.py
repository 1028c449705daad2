"""The report formats on their own: well-formed whatever the failure text, and never a key."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from contracts.gate.outcome import ExitCode, Outcome
from contracts.gate.reports import junit_report, markdown_report, write_reports

SECRET = "owner-secret-key"


def test_result(nodeid: str, outcome: str, reason: str = "", **extra: Any) -> dict[str, Any]:
    return {"nodeid": nodeid, "outcome": outcome, "reason": reason, **extra}


test_result.__test__ = False  # type: ignore[attr-defined]  # a builder, not a test

FAILING = test_result(
    "contracts/test_end.py::test_D6_x",
    "failed",
    "D6: a reason with | a pipe, ``` backticks and the key " + SECRET,
    evidence="named in the failure",
    request={"method": "POST", "url": "http://h/v1/x/end", "headers": {}, "body": None},
    response={"status": 404, "headers": {}, "body": "{}"},
    curl='curl -i -X POST http://h/v1/x/end -H "X-API-Key: $FOCUS_API_KEY"',
)
SUITE = {
    "clauses": [
        {"clause": "D1", "level": "documented", "title": "End | ends", "verdict": "passed",
         "tests": [test_result("t::a", "passed")]},
        {"clause": "D6", "level": "documented", "title": "End is idempotent", "verdict": "failed",
         "tests": [FAILING, test_result("t::b", "passed")]},
        {"clause": "I8", "level": "inferred", "title": "Quota", "verdict": "skipped",
         "tests": [test_result("t::c", "skipped", "needs --outsider-org-id")]},
        {"clause": "I9", "level": "inferred", "title": "No oracle", "verdict": "not run",
         "tests": [test_result("t::d", "not run")]},
        {"clause": "I10", "level": "inferred", "title": "Non-member", "verdict": "partial",
         "tests": [test_result("t::e", "passed"),
                   test_result("t::f", "skipped", "Skipped: needs --outsider-api-key")]},
    ]
}  # fmt: skip


def failed_outcome() -> Outcome:
    return Outcome(ExitCode.CLAUSE_FAILED, "http://h", "all", 99, "", SUITE, 1.5)


def test_junit_counts_each_clause_once_and_carries_the_failure_and_its_curl() -> None:
    root = ET.fromstring(junit_report(failed_outcome(), [SECRET]))
    suite = root.find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped"), suite.get("errors")) == (
        "5",
        "1",
        "3",
        "0",
    )
    failure = root.find(".//testcase[@name='D6: End is idempotent']/failure")
    assert failure is not None and "$FOCUS_API_KEY" in (failure.text or "")
    assert failure.get("message", "").startswith("D6: a reason")
    skipped = root.find(".//testcase[@name='I8: Quota']/skipped")
    assert skipped is not None and "needs --outsider-org-id" in skipped.get("message", "")


def test_junit_counts_a_partly_tested_clause_as_skipped_and_says_why_and_counts_the_tests() -> None:
    root = ET.fromstring(junit_report(failed_outcome(), [SECRET]))
    partial = root.find(".//testcase[@name='I10: Non-member']/skipped")
    assert partial is not None
    assert partial.get("message") == "partial: 1 of 2 tests skipped: needs --outsider-api-key"
    properties = {p.get("name"): p.get("value") for p in root.iter("property")}
    assert (properties["tests_passed"], properties["tests_skipped"], properties["tests_failed"]) == (
        "3",
        "2",
        "1",
    )


def test_markdown_keeps_its_table_and_code_blocks_intact_whatever_the_text() -> None:
    markdown = markdown_report(failed_outcome(), [SECRET])
    assert "| D1 | documented | ✅ passed | 1/1 | End \\| ends |" in markdown
    assert "| I9 | inferred | ⏸️ not run | 0/1 | No oracle |" in markdown
    assert "| I10 | inferred | ⚠️ partial | 1/2 (1 skipped) | Non-member |" in markdown
    assert "1 failed, 1 passed, 1 partial, 1 skipped, 1 not run of 5 clauses." in markdown
    assert "````text\nD6: a reason with | a pipe, ``` backticks" in markdown  # a fence longer than ```
    assert "```bash\ncurl -i -X POST" in markdown
    assert "`--seed 99`" in markdown


def test_no_format_shows_a_key(tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    write_reports(
        failed_outcome(),
        [SECRET],
        json_path=str(tmp_path / "r.json"),
        junit_path=str(tmp_path / "r.xml"),
        markdown_path=str(tmp_path / "r.md"),
        step_summary=str(summary),
    )
    for name in ("r.json", "r.xml", "r.md", "summary.md"):
        text = (tmp_path / name).read_text(encoding="utf-8")
        assert SECRET not in text and "[redacted]" in text, name
    document = json.loads((tmp_path / "r.json").read_text())
    assert document["summary"] == {"passed": 1, "partial": 1, "failed": 1, "skipped": 1, "not run": 1}
    assert document["test_summary"] == {"passed": 3, "failed": 1, "error": 0, "skipped": 2, "not run": 1}


def test_an_untested_target_is_one_error_case_in_junit() -> None:
    outcome = Outcome(ExitCode.UNREACHABLE, "http://h", "documented", 1, "cannot reach http://h: refused")
    root = ET.fromstring(junit_report(outcome, []))
    cases = list(root.iter("testcase"))
    assert len(cases) == 1 and cases[0].find("error") is not None
    assert root.find("testsuite").get("errors") == "1"  # type: ignore[union-attr]
    assert "**Nothing was tested:** cannot reach http://h: refused" in markdown_report(outcome, [])
