"""The CI examples in ``examples/github-actions`` work: their run steps are run here against local mocks."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from live_mock import LiveMock, free_port, served
from teeth.variants import missing_field

from .running import CREDENTIALS, ROOT, clean_environment, installed_script
from .workflow import explain, load, run_job

EXAMPLES = ROOT / "examples" / "github-actions"
INSTALL_STEP = frozenset({"install-focus-contract"})
STOP_SECONDS = 10


def runner_environment(workdir: Path) -> dict[str, str]:
    """What the runner provides: the installed tools on PATH, a step summary file."""
    bin_dir = str(Path(sys.executable).parent)
    return clean_environment(
        PATH=os.pathsep.join([bin_dir, os.environ.get("PATH", "")]),
        GITHUB_STEP_SUMMARY=str(workdir / "step-summary.md"),
        GITHUB_WORKSPACE=str(workdir),
    )


def checkout(tmp_path: Path) -> Path:
    """A stand-in for actions/checkout: a working directory with the project's examples in it."""
    workdir = tmp_path / "workspace"
    workdir.mkdir()
    (workdir / "examples").symlink_to(ROOT / "examples", target_is_directory=True)
    return workdir


def require_installed() -> None:
    if installed_script() is None:
        pytest.skip("the console scripts are not installed in this environment (pip install -e .)")


def provider_gate(tmp_path: Path, staging_url: str) -> tuple[list, Path]:
    workflow = load(EXAMPLES / "provider-gate.yml")
    assert workflow["jobs"]["production"]["needs"] == "conformance", "production must wait for the gate"
    workdir = checkout(tmp_path)
    given = {
        "STAGING_URL": staging_url,
        "FOCUS_ORG_ID": CREDENTIALS["FOCUS_ORG_ID"],
        "FOCUS_API_KEY": CREDENTIALS["FOCUS_API_KEY"],
        "FOCUS_PEER_API_KEY": CREDENTIALS["FOCUS_PEER_API_KEY"],
        "FOCUS_OUTSIDER_API_KEY": CREDENTIALS["FOCUS_OUTSIDER_API_KEY"],
        "FOCUS_OUTSIDER_ORG_ID": CREDENTIALS["FOCUS_OUTSIDER_ORG_ID"],
    }
    results = run_job(
        workflow["jobs"]["conformance"],
        workdir=workdir,
        base_env=runner_environment(workdir),
        given=given,
        skip_ids=INSTALL_STEP,
    )
    return results, workdir


def test_the_provider_gate_passes_a_conformant_staging_and_keeps_its_reports(tmp_path: Path) -> None:
    require_installed()
    with LiveMock("--clock", "virtual") as staging:
        results, workdir = provider_gate(tmp_path, staging.base_url)
    assert [r.returncode for r in results] == [0], explain(results)
    report = json.loads((workdir / "reports" / "conformance.json").read_text(encoding="utf-8"))
    assert report["level"] == "documented" and report["exit_code"] == 0
    assert {c["verdict"] for c in report["clauses"]} == {"passed"}, report["summary"]
    assert (workdir / "reports" / "conformance.xml").exists()
    assert "## Focus Sessions conformance: conformant" in (workdir / "step-summary.md").read_text()


def test_the_provider_gate_stops_the_deploy_when_staging_breaks_a_documented_clause(tmp_path: Path) -> None:
    require_installed()
    with served(missing_field()) as staging_url:
        results, workdir = provider_gate(tmp_path, staging_url)
    assert [r.returncode for r in results] == [1], explain(results)
    summary = (workdir / "step-summary.md").read_text(encoding="utf-8")
    assert "| D8 | documented | ❌ failed |" in summary


def _stop(pid_file: Path) -> None:
    """Stop a background mock a failed run left behind (the workflow's own stop step normally does)."""
    if not pid_file.exists():
        return
    pid = int(pid_file.read_text().strip())
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + STOP_SECONDS
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)


def _node_major() -> int:
    node = shutil.which("node")
    if node is None:
        return 0
    version = subprocess.run([node, "--version"], capture_output=True, text=True, check=False).stdout
    found = re.match(r"v(\d+)", version.strip())
    return int(found.group(1)) if found else 0


def test_the_frontend_tests_run_against_a_focus_mock_started_in_the_background(tmp_path: Path) -> None:
    require_installed()
    if _node_major() < 18:
        pytest.skip("the example frontend's tests need Node.js 18 or later")
    if shutil.which("curl") is None:
        pytest.skip("the example waits for the mock with curl")
    workflow = load(EXAMPLES / "frontend-against-mock.yml")
    job = workflow["jobs"]["test"]
    workdir = checkout(tmp_path)
    port = free_port()
    given = {"FOCUS_MOCK_PORT": str(port), "FOCUS_API_BASE": f"http://127.0.0.1:{port}"}
    try:
        results = run_job(
            job, workdir=workdir, base_env=runner_environment(workdir), given=given, skip_ids=INSTALL_STEP
        )
    finally:
        _stop(workdir / "focus-mock.pid")
    assert [r.returncode for r in results] == [0, 0, 0, 0], explain(results)
    frontend = next(r for r in results if r.name == "Frontend tests")
    assert re.search(r"^# pass 3$", frontend.output, re.MULTILINE), frontend.output
    assert re.search(r"^# fail 0$", frontend.output, re.MULTILINE), frontend.output


PINNED_INSTALL = re.compile(r'"focus-contract @ git\+https://[^"@\s]+@[^"@\s/]+"')


@pytest.mark.parametrize("name", ["provider-gate.yml", "frontend-against-mock.yml"])
def test_the_examples_install_focus_contract_only_from_a_pinned_source(name: str) -> None:
    """Not on PyPI: a bare ``pip install focus-contract`` would fetch whatever owns the name there."""
    job_steps = [step for job in load(EXAMPLES / name)["jobs"].values() for step in job["steps"]]
    installs = [
        step for step in job_steps if "focus-contract" in step.get("run", "") and "pip" in step["run"]
    ]
    assert installs, f"{name} does not install focus-contract"
    for step in installs:
        assert step.get("id") in INSTALL_STEP, f"{name}: the tests skip the install step by its id"
        assert PINNED_INSTALL.search(step["run"]), f"{name}: unpinned install: {step['run']!r}"
        unpinned = PINNED_INSTALL.sub("", step["run"])
        assert "focus-contract" not in unpinned, f"{name}: unpinned install: {step['run']!r}"
