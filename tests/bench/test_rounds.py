"""Folding rounds: medians for figures, sums for counts, the order turning each round."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parents[2] / "bench"


def _bench_package() -> None:
    """``bench`` is not installed with the project: load it from the checkout, without putting the
    checkout on ``sys.path`` (where it would shadow the installed ``mockserver``)."""
    if "bench.rounds" in sys.modules:
        return
    spec = importlib.util.spec_from_file_location(
        "bench", BENCH / "__init__.py", submodule_search_locations=[str(BENCH)]
    )
    assert spec is not None and spec.loader is not None
    package = importlib.util.module_from_spec(spec)
    sys.modules["bench"] = package
    spec.loader.exec_module(package)


_bench_package()

from bench.report import evaluate_targets, spread_table  # noqa: E402
from bench.rounds import fold_load, fold_section, turned  # noqa: E402


def load(rps: float, p99: float, errors: dict[str, int] | None = None) -> dict[str, Any]:
    errors = errors or {}
    return {
        "driver": "wrk",
        "requests": int(rps * 10),
        "seconds": 10.0,
        "rps": rps,
        "p99_ms": p99,
        "errors": errors,
        "error_count": sum(errors.values()),
        "connections": 32,
    }


def server(label: str, rps: float, p99: float, first: float = 0.3, **ops: dict[str, Any]) -> dict[str, Any]:
    return {
        "label": label,
        "first_answer_s": first,
        "rss_idle_mb": 40.0,
        "ops": {"get": load(rps, p99), **ops},
    }


def test_each_round_starts_one_further_and_wraps() -> None:
    servers = ["mock", "prism", "starlette"]
    assert [turned(servers, r) for r in range(4)] == [
        ["mock", "prism", "starlette"],
        ["prism", "starlette", "mock"],
        ["starlette", "mock", "prism"],
        ["mock", "prism", "starlette"],
    ]
    assert turned([], 2) == []


def test_a_load_is_the_median_of_its_rounds_with_counts_summed() -> None:
    folded = fold_load([load(5000, 12.0), load(9000, 8.0, {"timeout": 2}), load(6000, 30.0)])
    assert folded["rps"] == 6000
    assert folded["p99_ms"] == 12.0
    assert folded["requests"] == 50000 + 90000 + 60000
    assert folded["error_count"] == 2
    assert folded["errors"] == {"timeout": 2}
    assert folded["rps_spread"] == [5000, 9000]
    assert folded["p99_ms_spread"] == [8.0, 30.0]
    assert folded["rounds"] == 3


def test_one_slow_round_does_not_decide_a_ratio() -> None:
    """A slow spell in one round, on one server, is outvoted by the other rounds."""
    rounds = [
        {"mock": server("focus-mock", 3000, 20.0), "starlette": server("starlette", 8000, 9.0)},
        {"mock": server("focus-mock", 6000, 9.0), "starlette": server("starlette", 8200, 8.0)},
        {"mock": server("focus-mock", 6200, 8.5), "starlette": server("starlette", 7800, 8.5)},
    ]
    section = fold_section(rounds)
    assert section["mock"]["ops"]["get"]["rps"] == 6000
    verdicts = {v.name: v for v in evaluate_targets({"compare": section})}
    assert verdicts["get throughput >= 0.6x bare Starlette"].verdict == "PASS"
    assert verdicts["get p99 <= 10 ms at 32 connections"].verdict == "PASS"


def test_an_error_in_any_round_fails_the_target() -> None:
    failing = {"get": load(6000, 8.0, {"status": 1})}
    rounds = [
        {"mock": server("focus-mock", 6000, 8.0), "starlette": server("starlette", 8000, 8.0)},
        {"mock": server("focus-mock", 6000, 8.0, **failing), "starlette": server("starlette", 8000, 8.0)},
    ]
    verdicts = {v.name: v for v in evaluate_targets({"compare": fold_section(rounds)})}
    assert verdicts["get throughput >= 0.6x bare Starlette"].verdict == "FAIL"
    assert verdicts["get throughput >= 0.6x bare Starlette"].why == "1 failed requests"


def test_skipped_servers_stay_skipped_and_columns_keep_the_first_rounds_order() -> None:
    skipped = {"label": "prism silent", "skipped": "node not found"}
    rounds = [
        {"mock": server("focus-mock", 6000, 8.0), "prism-silent": skipped},
        {"prism-silent": skipped, "mock": server("focus-mock", 7000, 8.0)},
    ]
    section = fold_section(rounds)
    assert list(section) == ["mock", "prism-silent"]
    assert section["prism-silent"] == skipped
    assert section["mock"]["first_answer_s"] == 0.3
    table = spread_table(section, ("get",))
    assert table is not None
    assert "6,000-7,000" in table
    assert "prism silent" not in table


def test_a_single_round_prints_no_spread() -> None:
    assert spread_table(fold_section([{"mock": server("focus-mock", 6000, 8.0)}]), ("get",)) is None
