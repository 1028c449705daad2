"""Every committed benchmark run still prints, and its verdicts follow from its own figures.

The saved files are what ``bench/README.md`` quotes; if the report code changed how a target is
judged, or could no longer read an older file, the quoted verdicts would silently stop matching.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SAVED = sorted((ROOT / "bench" / "results").glob("*.json"))


def test_results_are_committed() -> None:
    assert SAVED, "bench/results/ holds no saved run"


@pytest.mark.parametrize("saved", SAVED, ids=[path.name for path in SAVED])
def test_saved_run_prints_the_verdicts_it_recorded(saved: Path) -> None:
    recorded = json.loads(saved.read_text(encoding="utf-8"))["targets"]
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--report", str(saved)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    printed = done.stdout.splitlines()
    for verdict in recorded:
        line = next((text for text in printed if text.startswith(verdict["target"])), None)
        assert line is not None, f"{verdict['target']!r} missing from the report"
        assert line[len(verdict["target"]) :].split()[0] == verdict["verdict"], line
    met = sum(verdict["verdict"] == "PASS" for verdict in recorded)
    assert f"{met} of {len(recorded)} targets met" in done.stdout
