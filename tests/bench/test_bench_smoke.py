"""The benchmark harness runs end to end in its shortest form and prints its report.

Only that it works is checked, never how fast anything is: one mock, the
Python load generator, half a second per load, two rounds, no Prism.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_bench(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_short_run_prints_table_targets_and_writes_results(tmp_path: Path) -> None:
    output = tmp_path / "results.json"
    done = run_bench(
        "--sections", "compare", "--servers", "mock", "--driver", "python",
        "--duration", "0.5", "--warmup", "0", "--connections", "4", "--seed-sessions", "5", "--rounds", "2",
        "--output", str(output),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "== Throughput, latency, memory, start-up" in done.stdout
    for row in ("get req/s", "end p99 ms", "start errors", "RSS idle MB", "first answer s"):
        assert row in done.stdout
    assert "== round 2 of 2" in done.stdout
    assert "req/s over the rounds" in done.stdout
    assert "== Targets" in done.stdout
    assert "time to first answer <= 0.5 s" in done.stdout

    results = json.loads(output.read_text())
    mock = results["compare"]["mock"]
    assert set(mock["ops"]) == {"get", "end", "start"}
    assert mock["rounds"] == 2 and results["meta"]["rounds"] == 2
    assert all(op["requests"] > 0 and op["error_count"] == 0 for op in mock["ops"].values())
    assert {t["verdict"] for t in results["targets"]} <= {"PASS", "FAIL", "SKIP"}

    again = run_bench("--report", str(output))
    assert again.returncode == 0, again.stderr
    assert "get req/s" in again.stdout
