"""``--seed`` makes the generated requests (Hypothesis and Schemathesis alike) the same from run to run."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import httpx
from live_mock import served
from teeth.variants import faithful

from .running import run_gate

JOURNAL_LIMIT = 1000
# Ids the target makes up differ between runs; what the suite generated does not.
MADE_UP_IDS = re.compile(r"m(focus|seg)_[0-9a-f]{12}")


def requests_sent(workdir: Path, seed: str) -> Counter[tuple[str, str, int]]:
    """(method, path, status) of every API request of a gate run with ``seed``, on a fresh mock."""
    workdir.mkdir()
    with served(faithful()) as base_url:
        run = run_gate(workdir, "--base-url", base_url, "--seed", seed, "--max-examples", "5", reports=False)
        assert run.returncode == 0, run.explain()
        journal = httpx.get(f"{base_url}/__mock/journal", params={"limit": JOURNAL_LIMIT}, timeout=10).json()
    entries = next(value for value in journal.values() if isinstance(value, list))
    assert 0 < len(entries) < JOURNAL_LIMIT, "the journal must hold the whole run"
    return Counter((e["method"], MADE_UP_IDS.sub("<id>", e["path"]), e["status"]) for e in entries)


def test_the_same_seed_sends_the_same_requests(tmp_path: Path) -> None:
    """Unseeded, two runs differ in dozens of generated requests (odd ids, bodies, methods)."""
    first = requests_sent(tmp_path / "first", "101")
    again = requests_sent(tmp_path / "again", "101")
    assert sum(status == 422 for _, _, status in first.elements()) > 10, (
        "too few generated requests to compare"
    )
    assert first == again, sorted(((first - again) + (again - first)).items())[:20]
