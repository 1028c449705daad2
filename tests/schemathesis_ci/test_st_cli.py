"""The ``st`` command, as a CI job would run it, against a real focus-mock: zero failures.

Every phase (examples, coverage, fuzzing, stateful), every check (``--checks
all``), four times the contract suite's default examples per operation, and two
identities of one organization given as Web Fuzzing Commons users, so that
``object_level_authorization`` replays Alice's reads of her own sessions as Bob.
The organization in every path is pinned through a ``schemathesis.toml``, so
generated requests reach real sessions instead of bouncing off ``403``. In the
mock's world the first segment is ready the instant a session starts, so the
spec's Get -> Promote link has a segment to promote without moving the clock.

Success is judged three ways: the exit code, the JUnit report, and the mock's
journal, which must show Bob's probe of Alice's session refused (so the
authorization check did run) and no answer to Bob for a session he does not own.
"""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from typing import Any

import yaml
from live_mock import LiveMock

from mockserver.config import DEFAULT_CONFIG_DATA
from mockserver.spec import spec_path

MAX_EXAMPLES = 100  # the contract suite runs 25 per operation
SEED = 1
RUN_SECONDS = 240
IDENTITIES = {"alice": "alice-dev-key", "bob": "bob-dev-key"}
ORGANIZATION = "org_abc123"
SESSION_OPERATIONS = ("getFocusSession", "endFocusSession", "promoteFocusSegment")


def _write_inputs(folder: Path) -> tuple[Path, Path]:
    """The mock's world, the WFC users and the Schemathesis configuration, in ``folder``."""
    world = {**DEFAULT_CONFIG_DATA, "timings": {"first_segment_seconds": 0, "segment_interval_seconds": 10}}
    (folder / "world.yaml").write_text(yaml.safe_dump(world), encoding="utf-8")
    users = [
        {"name": name, "fixedHeaders": [{"name": "X-API-Key", "value": key}]}
        for name, key in IDENTITIES.items()
    ]
    (folder / "users.json").write_text(json.dumps({"auth": users}), encoding="utf-8")
    config = folder / "schemathesis.toml"
    config.write_text(
        "[auth.wfc]\n"
        f"path = {json.dumps(str(folder / 'users.json'))}\n"
        f"peers = {json.dumps(list(IDENTITIES))}\n\n"
        "[parameters]\n"
        f'"path.organization_id" = "{ORGANIZATION}"\n',
        encoding="utf-8",
    )
    return folder / "world.yaml", config


def _run_st(base_url: str, config: Path, folder: Path) -> tuple[subprocess.CompletedProcess[str], Path]:
    junit = folder / "junit.xml"
    command = [
        *(sys.executable, "-m", "schemathesis.cli"),
        *("--config-file", str(config), "run", str(spec_path()), "--url", base_url),
        *("--checks", "all", "--phases", "examples,coverage,fuzzing,stateful"),
        *("--max-examples", str(MAX_EXAMPLES), "--seed", str(SEED), "--generation-database", "none"),
        *("--report", "junit", "--report-junit-path", str(junit), "--no-color"),
    ]
    finished = subprocess.run(
        command, cwd=folder, capture_output=True, text=True, timeout=RUN_SECONDS, stdin=subprocess.DEVNULL
    )
    return finished, junit


def _junit_totals(junit: Path) -> dict[str, int]:
    suites = ElementTree.parse(junit).getroot()
    return {name: int(suites.get(name, "0")) for name in ("tests", "failures", "errors")}


def _bobs_answers(journal: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        e for e in journal["entries"] if e["user_id"] == "usr_bob" and e["operation"] in SESSION_OPERATIONS
    ]


def test_schemathesis_finds_nothing_with_every_check_and_two_identities(tmp_path: Path) -> None:
    world, config = _write_inputs(tmp_path)
    with LiveMock("--clock", "virtual", "--config", str(world)) as mock:
        finished, junit = _run_st(mock.base_url, config, tmp_path)
        with mock.client() as client:
            journal = client.get("/__mock/journal", params={"limit": 1000}).json()
            owners = {
                s["session_id"]: s["owner_id"] for s in client.get("/__mock/sessions").json()["sessions"]
            }

    shown = finished.stdout[-6000:] + finished.stderr[-2000:]
    assert finished.returncode == 0, f"st exited with {finished.returncode}:\n{shown}"
    totals = _junit_totals(junit)
    assert totals["failures"] == totals["errors"] == 0, (totals, shown)
    assert totals["tests"] >= 5, f"four operations and the stateful run were expected: {totals}"
    assert "Stateful" in finished.stdout and "No issues found" in finished.stdout, shown

    bob = _bobs_answers(journal)
    assert any(e["operation"] == "getFocusSession" and e["status"] == 404 for e in bob), (
        "no object_level_authorization probe by Bob reached the mock"
    )
    for entry in bob:
        if 200 <= (entry["status"] or 0) < 300:
            session_id = entry["path"].split("/")[6]
            assert owners.get(session_id) == "usr_bob", (
                f"Bob was answered for a session he does not own: {entry}"
            )
