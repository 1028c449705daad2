"""``focus-contract`` against mocks: its exit codes, and reports a CI system can read."""

from __future__ import annotations

import json
import signal
import subprocess
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import httpx
import pytest
from live_mock import served
from teeth.variants import end_not_idempotent, faithful, service_of

from contracts.clauses import CLAUSES, DOCUMENTED
from contracts.launcher import free_port

from .running import (
    ALL_KEYS,
    CREDENTIALS,
    OWNER_KEY,
    clean_environment,
    gate_command,
    installed_script,
    run_gate,
)

CLOSED_PORT_BOUND_SECONDS = 10


def assert_no_key_in(*texts: str) -> None:
    for text in texts:
        for key in ALL_KEYS:
            assert key not in text, f"an API key was written:\n{text[:3000]}"


def cases_by_clause(root: ET.Element) -> dict[str, ET.Element]:
    return {case.get("name", "").split(":", 1)[0]: case for case in root.iter("testcase")}


def test_the_faithful_mock_is_conformant_and_every_report_is_written(tmp_path: Path) -> None:
    """Exit 0, from the installed script in a directory outside the checkout; all three reports valid."""
    if installed_script() is None:
        pytest.skip("focus-contract is not installed in this environment (pip install -e .)")
    summary = tmp_path / "step-summary.md"
    summary.write_text("earlier step\n", encoding="utf-8")
    with served(faithful()) as base_url:
        run = run_gate(
            tmp_path, "--base-url", base_url, "--seed", "20260701", GITHUB_STEP_SUMMARY=str(summary)
        )
    assert run.returncode == 0, run.explain()

    root = run.junit()
    suite = root.find("testsuite")
    assert suite is not None
    cases = cases_by_clause(root)
    assert set(cases) == set(CLAUSES)
    assert suite.get("tests") == str(len(CLAUSES)) and suite.get("failures") == "0", ET.tostring(suite)[:300]
    assert not [c for c in cases.values() if c.find("failure") is not None or c.find("error") is not None]
    properties = {p.get("name"): p.get("value") for p in root.iter("property")}
    assert properties["seed"] == "20260701" and properties["target"] == base_url

    document = run.json()
    assert document["exit_code"] == 0 and document["level"] == "all" and document["seed"] == 20260701
    assert {c["clause"]: c["verdict"] for c in document["clauses"]} == dict.fromkeys(CLAUSES, "passed")
    assert all(c["level"] in ("documented", "inferred") and c["tests"] for c in document["clauses"])
    assert document["sessions"]["left_active"] == []

    markdown = run.markdown()
    assert markdown.startswith("## Focus Sessions conformance: conformant")
    assert "| D6 | documented | ✅ passed |" in markdown
    assert summary.read_text(encoding="utf-8") == "earlier step\n" + markdown + "\n"
    assert f"conformant: {len(CLAUSES)} of {len(CLAUSES)} clauses passed" in run.stdout
    assert not list(tmp_path.glob(".hypothesis")) and not list(tmp_path.glob(".pytest_cache"))
    assert_no_key_in(run.output, markdown, (run.reports / "conformance.json").read_text())


def test_a_broken_clause_exits_1_and_every_report_names_it_with_the_request_that_proved_it(
    tmp_path: Path,
) -> None:
    with served(end_not_idempotent()) as base_url:
        run = run_gate(tmp_path, "--base-url", base_url, "--level", "documented", "--seed", "7")
        assert run.returncode == 1, run.explain()
        document = run.json()
        failed = [c for c in document["clauses"] if c["verdict"] == "failed"]
        assert [c["clause"] for c in failed] == ["D6"], document["summary"]
        proof = next(t for t in failed[0]["tests"] if t["outcome"] == "failed")
        # The curl line sends the same request, key from the environment: the broken mock fails it again.
        replay = subprocess.run(
            ["bash", "-c", proof["curl"].replace("curl -i", "curl -s -o /dev/null -w '%{http_code}'", 1)],
            env=clean_environment(FOCUS_API_KEY=OWNER_KEY),
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    assert {c["level"] for c in document["clauses"]} == {DOCUMENTED}
    assert document["level"] == "documented" and document["exit_code"] == 1
    assert proof["request"]["method"] == "POST" and proof["request"]["url"].endswith("/end")
    assert proof["request"]["headers"]["X-API-Key"] == "[redacted]"
    assert proof["response"]["status"] == 404 and "RESOURCE_NOT_FOUND" in proof["response"]["body"]
    assert '"X-API-Key: $FOCUS_API_KEY"' in proof["curl"]
    assert replay.stdout == "404", replay

    markdown = run.markdown()
    assert "## Focus Sessions conformance: not conformant" in markdown
    assert "| D6 | documented | ❌ failed |" in markdown
    assert "### D6 failed: End is idempotent" in markdown and proof["curl"] in markdown

    cases = cases_by_clause(run.junit())
    assert set(cases) == {c for c in CLAUSES if c.startswith("D")}
    assert cases["D6"].find("failure") is not None
    assert [name for name, case in cases.items() if case.find("failure") is not None] == ["D6"]

    assert "seed 7" in run.stdout and f"reproduce: {proof['curl']}" in run.stdout
    assert_no_key_in(run.output, markdown, (run.reports / "conformance.json").read_text())


def test_a_closed_port_exits_3_at_once_with_the_reason_in_the_reports(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"  # free: nothing listens there
    run = run_gate(tmp_path, "--base-url", url, timeout=CLOSED_PORT_BOUND_SECONDS)
    assert run.returncode == 3, run.explain()
    assert f"cannot reach {url}" in run.stderr
    assert run.json()["message"].startswith(f"cannot reach {url}")
    error = run.junit().find("testsuite/testcase/error")
    assert error is not None and f"cannot reach {url}" in (error.text or "")
    assert "Nothing was tested" in run.markdown()


def test_a_refused_key_exits_3(tmp_path: Path) -> None:
    with served(faithful()) as base_url:
        run = run_gate(
            tmp_path, "--base-url", base_url, credentials={**CREDENTIALS, "FOCUS_API_KEY": "not-a-key-here"}
        )
    assert run.returncode == 3, run.explain()
    assert "refused the key given as --api-key (401)" in run.json()["message"]
    assert run.output.count("refused the key given as --api-key") == 1, run.output
    assert "not tested: target unreachable or credentials rejected" in run.stderr
    assert "not-a-key-here" not in run.output + (run.reports / "conformance.json").read_text()


def test_the_help_names_the_lint_command_and_how_to_call_it(tmp_path: Path) -> None:
    run = run_gate(tmp_path, "--help", reports=False, timeout=30)
    assert run.returncode == 0, run.explain()
    assert "focus-contract lint [--spec PATH]" in run.stdout
    assert "focus-contract lint --help" in run.stdout
    assert "--level documented" in run.stdout and "virtual clock" in run.stdout


def test_lint_after_options_says_it_must_come_first(tmp_path: Path) -> None:
    run = run_gate(tmp_path, "--base-url", "http://127.0.0.1:9", "lint", reports=False, timeout=30)
    assert run.returncode == 2, run.explain()
    assert "'lint' is a command and must come first, as in `focus-contract lint ...`" in run.stderr
    assert "unrecognized arguments" not in run.stderr


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--level", "sometimes"], "invalid choice: 'sometimes'"),
        (["--max-sessions", "0"], "must be greater than 0"),
        (["--seed", "abc"], "'abc' is not a whole number"),
        (["--no-such-option"], "unrecognized arguments: --no-such-option"),
        (["--base-ur", "http://127.0.0.1:9"], "unrecognized arguments"),
    ],
    ids=["level", "max-sessions", "seed", "unknown", "abbreviated"],
)
def test_a_bad_option_exits_2_before_anything_is_sent(tmp_path: Path, args: list[str], says: str) -> None:
    run = run_gate(tmp_path, *args, "--base-url", "http://127.0.0.1:9", reports=False, timeout=30)
    assert run.returncode == 2, run.explain()
    assert says in run.stderr
    assert "Traceback" not in run.output


@pytest.mark.parametrize(
    ("args", "credentials", "says"),
    [
        ([], CREDENTIALS, "--base-url URL is required (or $FOCUS_BASE_URL)"),
        (["--base-url", ""], CREDENTIALS, "--base-url is empty"),
        (["--base-url", "127.0.0.1:4010"], CREDENTIALS, "must be an http(s) URL"),
        (["--base-url", "http://127.0.0.1:9"], {}, "missing --api-key (or $FOCUS_API_KEY)"),
        (
            ["--base-url", "http://127.0.0.1:9", "--peer-api-key", OWNER_KEY],
            CREDENTIALS,
            "--peer-api-key must belong to another user",
        ),
    ],
    ids=["no-url", "empty-url", "no-scheme", "no-credentials", "same-keys"],
)
def test_a_configuration_mistake_exits_2_and_says_what_to_fix(
    tmp_path: Path, args: list[str], credentials: dict[str, str], says: str
) -> None:
    run = run_gate(tmp_path, *args, credentials=credentials, timeout=30)
    assert run.returncode == 2, run.explain()
    assert says in run.stderr
    assert says in run.json()["message"]
    assert "Traceback" not in run.output
    assert_no_key_in(run.output)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_sigterm_or_sighup_is_passed_on_and_every_session_is_ended_before_the_gate_exits(
    tmp_path: Path, signum: signal.Signals
) -> None:
    app = faithful()
    store = service_of(app).store
    with served(app) as base_url:
        # Slow Gets, so that the run is caught in the middle.
        armed = httpx.post(
            f"{base_url}/__mock/faults", json={"operation": "getFocusSession", "delay_ms": 150}, timeout=10
        )
        assert armed.status_code in (200, 201), armed.text
        gate = subprocess.Popen(
            [*gate_command(), "--base-url", base_url, "--json", "report.json"],
            cwd=tmp_path,
            env=clean_environment(**CREDENTIALS),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        deadline = time.monotonic() + 60
        while not [r for r in store.all() if r.ended_at is None] and gate.poll() is None:
            assert time.monotonic() < deadline, "the run never had a session open to interrupt"
            time.sleep(0.02)
        gate.send_signal(signum)
        output, _ = gate.communicate(timeout=60)
    assert gate.returncode == 128 + signum, output
    assert store.all() and [r.session_id for r in store.all() if r.ended_at is None] == [], output
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert report["result"] == "interrupted" and report["summary"]["not run"] > 0, report["summary"]
    assert report["message"].endswith("every session it started was ended")


def test_an_unwritable_report_path_exits_2_before_the_run(tmp_path: Path) -> None:
    run = run_gate(
        tmp_path, "--base-url", "http://127.0.0.1:9", "--junit", str(tmp_path), reports=False, timeout=30
    )
    assert run.returncode == 2, run.explain()
    assert f"cannot write {tmp_path}" in run.stderr and "testing" not in run.stdout


@pytest.mark.parametrize(
    ("variable", "flag", "value"),
    [
        ("FOCUS_API_KEY", "--api-key", f"{OWNER_KEY}\n"),
        ("FOCUS_API_KEY", "--api-key", f" {OWNER_KEY}"),
        ("FOCUS_PEER_API_KEY", "--peer-api-key", "bob-dev\tkey"),
        ("FOCUS_OUTSIDER_API_KEY", "--outsider-api-key", "carol-dev-key\r"),
    ],
    ids=["trailing-newline", "leading-space", "tab", "carriage-return"],
)
def test_a_key_with_whitespace_exits_2_naming_its_variable(
    tmp_path: Path, variable: str, flag: str, value: str
) -> None:
    run = run_gate(tmp_path, "--base-url", "http://127.0.0.1:9", credentials={**CREDENTIALS, variable: value})
    assert run.returncode == 2, run.explain()
    assert f"the key given as {flag} (or ${variable}) has surrounding whitespace" in run.stderr
    assert "Traceback" not in run.output and value.strip() not in run.output


def test_a_password_in_the_base_url_is_masked_in_the_output_and_every_report(tmp_path: Path) -> None:
    with served(faithful()) as base_url:
        with_password = base_url.replace("http://", "http://tester:secretpw@", 1)
        run = run_gate(tmp_path, "--base-url", with_password, "--level", "documented", "--max-sessions", "2")
    reports = [
        run.markdown(),
        (run.reports / "conformance.json").read_text(),
        ET.tostring(run.junit()).decode(),
    ]
    for text in (run.output, *reports):
        assert "secretpw" not in text and "tester" not in text, text[:3000]
    assert "[redacted]@127.0.0.1" in run.stdout
    assert run.json()["target"] == base_url.replace("http://", "http://[redacted]@", 1)


@pytest.mark.parametrize("suffix", ["?tenant=a", "#top"], ids=["query", "fragment"])
def test_a_base_url_with_a_query_or_fragment_exits_2(tmp_path: Path, suffix: str) -> None:
    run = run_gate(tmp_path, "--base-url", f"http://u:secretpw@127.0.0.1:9{suffix}", timeout=30)
    assert run.returncode == 2, run.explain()
    assert "--base-url must not have a query string or fragment" in run.stderr
    assert "secretpw" not in run.output + run.markdown() + run.json()["message"]
