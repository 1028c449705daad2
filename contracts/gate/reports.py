"""An outcome as the formats CI reads: JUnit XML, JSON, Markdown, and a few lines for the log.

JUnit has one test case per clause (named ``D6: End is idempotent``): that is what
the gate judges, and the suite's own test ids are not unique for Schemathesis'
per-operation tests. A failed clause's ``<failure>`` lists each failing test with
its reason and a ``curl`` that repeats the request that proved it. A clause only
partly tested (some of its tests skipped) is ``<skipped>`` there, as JUnit has no
"partly": it is not proven, and its message says how many tests were skipped and why. Every text
written passes through :func:`redact` with the run's API keys, whatever the
suite already masked.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..redaction import redact
from ..report import FAILED, NOT_RUN, PARTIAL, PASSED, SKIPPED, skip_reasons
from .outcome import LEVELS, VERDICTS, ExitCode, Outcome

MARKDOWN_FAILURES = 25  # failing tests spelled out; GitHub caps a step summary at 1 MiB
CONSOLE_FAILURES = 10
VERDICT_MARKS = {
    PASSED: "✅ passed",
    PARTIAL: "⚠️ partial",
    FAILED: "❌ failed",
    SKIPPED: "⏭️ skipped",
    NOT_RUN: "⏸️ not run",
}
UNPROVEN = (PARTIAL, SKIPPED, NOT_RUN)  # verdicts JUnit shows as skipped


def skipped_count(clause: dict[str, Any]) -> int:
    return sum(t["outcome"] == SKIPPED for t in clause["tests"])


def unproven_message(clause: dict[str, Any]) -> str:
    """Why a clause is not proven: its verdict, how many of its tests were skipped, and why."""
    verdict, reasons = clause["verdict"], skip_reasons(clause["tests"])
    if verdict == PARTIAL:
        verdict += f": {skipped_count(clause)} of {len(clause['tests'])} tests skipped"
    return verdict + (f": {'; '.join(reasons)}" if reasons else "")


def _write(path: str | Path, text: str) -> None:
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")


# -- JSON -----------------------------------------------------------------------------


def json_report(outcome: Outcome, secrets: Iterable[str]) -> str:
    return redact(json.dumps(outcome.as_dict(), indent=2, ensure_ascii=False), list(secrets)) + "\n"


# -- JUnit ----------------------------------------------------------------------------


def _failure_text(clause: dict[str, Any]) -> str:
    parts = []
    for test in _failing(clause):
        lines = [f"{test['nodeid']} ({test['outcome']})", test["reason"]]
        if test.get("curl"):
            lines.append(f"reproduce: {test['curl']}")
        parts.append("\n".join(lines))
    return "\n\n".join(parts)


def _tests_text(clause: dict[str, Any]) -> str:
    return "\n".join(f"{t['outcome']:<12} {t['nodeid']}" for t in clause["tests"])


def junit_report(outcome: Outcome, secrets: Iterable[str]) -> str:
    counts = outcome.counts
    skipped = sum(counts[name] for name in UNPROVEN)
    errors = 0 if outcome.tested else 1
    cases = len(outcome.clauses) or 1
    attributes = {
        "name": f"focus-contract ({outcome.level})",
        "tests": str(cases),
        "failures": str(counts[FAILED]),
        "errors": str(errors),
        "skipped": str(skipped),
        "time": f"{outcome.duration:.3f}",
    }
    root = ET.Element("testsuites", attributes)
    suite = ET.SubElement(root, "testsuite", attributes)
    properties = ET.SubElement(suite, "properties")
    for name, value in (
        ("target", outcome.target),
        ("level", outcome.level),
        ("seed", outcome.seed),
        ("exit_code", outcome.exit_code),
        *((f"tests_{name.replace(' ', '_')}", n) for name, n in outcome.test_counts.items()),
    ):
        ET.SubElement(properties, "property", {"name": name, "value": "" if value is None else str(value)})
    classname = f"focus-contract.{outcome.level}"
    if not outcome.tested:
        case = ET.SubElement(suite, "testcase", {"classname": classname, "name": "target"})
        error = ET.SubElement(case, "error", {"message": outcome.headline(), "type": outcome.state})
        error.text = outcome.message
    for clause in outcome.clauses:
        case = ET.SubElement(
            suite, "testcase", {"classname": f"{classname}.{clause['level']}", "name": _clause_name(clause)}
        )
        if clause["verdict"] == FAILED:
            failing = _failing(clause)
            first = failing[0]["reason"].splitlines()[0] if failing and failing[0]["reason"] else "failed"
            failure = ET.SubElement(case, "failure", {"message": first, "type": "ClauseFailed"})
            failure.text = _failure_text(clause)
        elif clause["verdict"] in UNPROVEN:
            ET.SubElement(case, "skipped", {"message": unproven_message(clause)})
        ET.SubElement(case, "system-out").text = _tests_text(clause)
    ET.indent(root)
    text = ET.tostring(root, encoding="unicode", xml_declaration=True)
    return redact(text, list(secrets)) + "\n"


def _clause_name(clause: dict[str, Any]) -> str:
    return f"{clause['clause']}: {clause['title']}"


# -- Markdown -------------------------------------------------------------------------


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _fenced(text: str, language: str = "text") -> str:
    """A code block whose fence is longer than any run of backticks inside it."""
    longest = max((len(run) for run in text.split("\n") for run in _backtick_runs(run)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{language}\n{text}\n{fence}"


def _backtick_runs(line: str) -> list[str]:
    runs, current = [], ""
    for char in line:
        if char == "`":
            current += char
        elif current:
            runs.append(current)
            current = ""
    return [*runs, current] if current else runs


def _failing(clause: dict[str, Any]) -> list[dict[str, Any]]:
    return [t for t in clause["tests"] if t["outcome"] in (FAILED, "error")]


def _markdown_failure(test: dict[str, Any]) -> list[str]:
    lines = [f"`{test['nodeid']}`", "", _fenced(test["reason"] or test["outcome"]), ""]
    if test.get("curl"):
        request, response = test["request"], test["response"]
        lines += [
            f"The request that showed it ({test['evidence']}): `{request['method']} {request['url']}` "
            f"→ {response['status']}. To send it again, with the keys in the environment:",
            "",
            _fenced(test["curl"], "bash"),
            "",
        ]
    return lines


def markdown_report(outcome: Outcome, secrets: Iterable[str]) -> str:
    lines = [f"## Focus Sessions conformance: {outcome.state}", ""]
    facts = [f"`{outcome.target}`" if outcome.target else "no target", f"level **{outcome.level}**"]
    if outcome.level in LEVELS:
        facts[-1] += f" ({LEVELS[outcome.level]})"
    if outcome.seed is not None:
        facts.append(f"seed `{outcome.seed}`")
    facts.append(f"exit code {outcome.exit_code}")
    lines += [" · ".join(facts), ""]
    if not outcome.tested:
        lines += [
            f"**Nothing was tested:** {outcome.message}" if outcome.message else "Nothing was tested.",
            "",
        ]
        return redact("\n".join(lines), list(secrets))
    counts = outcome.counts
    order = (FAILED, *(name for name in VERDICTS if name != FAILED))
    summary = ", ".join(f"{counts[name]} {name}" for name in order if counts[name])
    lines += [f"{summary} of {len(outcome.clauses)} clauses.", ""]
    if outcome.message:
        lines += [f"**{outcome.message}**", ""]
    lines += ["| Clause | Level | Verdict | Tests passed | Clause says |", "|---|---|---|---|---|"]
    for clause in outcome.clauses:
        passed = sum(t["outcome"] == PASSED for t in clause["tests"])
        verdict = VERDICT_MARKS.get(clause["verdict"], clause["verdict"])
        tests = f"{passed}/{len(clause['tests'])}"
        if clause["verdict"] == PARTIAL:
            tests += f" ({skipped_count(clause)} skipped)"
        lines.append(
            f"| {clause['clause']} | {clause['level']} | {verdict} | {tests} | {_cell(clause['title'])} |"
        )
    lines.append("")
    room = MARKDOWN_FAILURES
    for clause in outcome.clauses_with(FAILED):
        if room <= 0:
            break
        lines += [f"### {clause['clause']} failed: {clause['title']}", ""]
        for test in _failing(clause)[:room]:
            lines += _markdown_failure(test)
        room -= len(_failing(clause))
    hidden = len(outcome.failures()) - MARKDOWN_FAILURES
    if hidden > 0:
        lines += [f"… and {hidden} more failing tests: see the JSON report.", ""]
    if outcome.failures() and outcome.seed is not None:
        lines += [f"Generated requests are sent again with `--seed {outcome.seed}`.", ""]
    return redact("\n".join(lines), list(secrets))


# -- the log --------------------------------------------------------------------------


def console_summary(outcome: Outcome, secrets: Iterable[str]) -> str:
    """What the gate prints last: the verdict, each failure with its curl, and how to rerun."""
    if not outcome.tested and outcome.message_printed:
        lines = [f"focus-contract: {outcome.state} (see the ERROR line above)"]
    else:
        lines = [f"focus-contract: {outcome.headline()}"]
    if outcome.tested:
        lines[0] += f" at level {outcome.level}"
        if outcome.message:
            lines.append(f"  {outcome.message}")
    failures = outcome.failures()
    for clause, test in failures[:CONSOLE_FAILURES]:
        lines.append(f"  {clause['clause']} {clause['title']}")
        lines.append(f"      {test['nodeid']}")
        if test["reason"]:
            lines.append(f"      {test['reason'].splitlines()[0]}")
        if test.get("curl"):
            lines.append(f"      reproduce: {test['curl']}")
    if len(failures) > CONSOLE_FAILURES:
        lines.append(
            f"  ... and {len(failures) - CONSOLE_FAILURES} more failing tests (see --json or --markdown)"
        )
    if outcome.seed is not None and outcome.exit_code == ExitCode.CLAUSE_FAILED:
        lines.append(
            f"seed {outcome.seed}: rerun with --seed {outcome.seed} to send the same generated requests"
        )
    return redact("\n".join(lines), list(secrets))


def write_reports(
    outcome: Outcome,
    secrets: Iterable[str],
    *,
    json_path: str | None,
    junit_path: str | None,
    markdown_path: str | None,
    step_summary: str | None,
) -> None:
    """Write each report asked for; append the Markdown to the GitHub step summary when there is one."""
    keys = list(secrets)
    if json_path:
        _write(json_path, json_report(outcome, keys))
    if junit_path:
        _write(junit_path, junit_report(outcome, keys))
    if markdown_path or step_summary:
        markdown = markdown_report(outcome, keys)
        if markdown_path:
            _write(markdown_path, markdown)
        if step_summary:
            with open(step_summary, "a", encoding="utf-8") as summary:
                summary.write(markdown + "\n")
