"""Tables and the PASS/FAIL verdicts, computed from the results dictionary alone.

Working from the same dictionary that is written to JSON means any saved run
can be printed again (``python bench/run.py --report FILE``) and two runs
compared by reading their files.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

Results = dict[str, Any]
OPERATIONS = ("get", "end", "start")

OURS, PRISM, PRISM_SILENT, CEILING = "mock", "prism", "prism-silent", "starlette"
SMALL, LARGE = "10", "100000"


# -- formatting ---------------------------------------------------------------


def _num(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "-"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.{digits}f}"


def _ratio(ours: float | None, theirs: float | None) -> str:
    if ours is None or theirs in (None, 0):
        return "-"
    return f"{ours / theirs:.2f}x"


def render_table(header: Sequence[str], rows: Sequence[Sequence[str]], align: str = "") -> str:
    """Plain columns; ``align`` has one ``l`` or ``r`` per column (default: first left, rest right)."""
    align = align or "l" + "r" * (len(header) - 1)
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]

    def line(row: Sequence[str]) -> str:
        cells = zip(row, widths, align, strict=True)
        return "  ".join(str(c).ljust(w) if a == "l" else str(c).rjust(w) for c, w, a in cells).rstrip()

    return "\n".join([line(header), "  ".join("-" * w for w in widths), *(line(r) for r in rows)])


# -- reading one server's figures ---------------------------------------------


def _op(server: dict[str, Any] | None, op: str, key: str) -> float | None:
    if not server or server.get("skipped"):
        return None
    result = server.get("ops", {}).get(op)
    return None if result is None else result.get(key)


def _value(server: dict[str, Any] | None, key: str) -> float | None:
    if not server or server.get("skipped"):
        return None
    return server.get(key)


# -- the comparison table -----------------------------------------------------

_METRICS: list[tuple[str, str, Callable[[float | None], str], bool]] = [
    # label suffix, result key, formatter, higher is better
    ("req/s", "rps", lambda v: _num(v, 0), True),
    ("p50 ms", "p50_ms", _num, False),
    ("p99 ms", "p99_ms", _num, False),
    ("errors", "error_count", lambda v: _num(v, 0), False),
]


def comparison_table(section: dict[str, Any]) -> str:
    keys = list(section)
    ours = section.get(OURS)
    header = ["", *(section[k]["label"] for k in keys), "ours/prism", "ours/prism silent", "ours/starlette"]
    rows: list[list[str]] = []
    for op in OPERATIONS:
        for suffix, key, fmt, _ in _METRICS:
            row = [f"{op} {suffix}", *(fmt(_op(section[k], op, key)) for k in keys)]
            if key == "error_count":
                row += ["", "", ""]
            else:
                row += [
                    _ratio(_op(ours, op, key), _op(section.get(o), op, key))
                    for o in (PRISM, PRISM_SILENT, CEILING)
                ]
            rows.append(row)
    for label, key in (
        ("RSS idle MB", "rss_idle_mb"),
        ("RSS after load MB", "rss_after_mb"),
        ("first answer s", "first_answer_s"),
    ):
        digits = 2 if key == "first_answer_s" else 1
        row = [label, *(_num(_value(section[k], key), digits) for k in keys)]
        row += [
            _ratio(_value(ours, key), _value(section.get(o), key)) for o in (PRISM, PRISM_SILENT, CEILING)
        ]
        rows.append(row)
    return render_table(header, rows)


def spread_table(section: dict[str, Any], ops: Sequence[str]) -> str | None:
    """Lowest and highest req/s of each server over the rounds; None after a single round."""
    measured = {k: v for k, v in section.items() if not v.get("skipped")}
    if max((v.get("rounds", 1) for v in measured.values()), default=1) < 2:
        return None
    header = ["req/s over the rounds", *(v["label"] for v in measured.values())]
    rows = []
    for op in ops:
        cells = []
        for server in measured.values():
            spread = (server.get("ops", {}).get(op) or {}).get("rps_spread")
            cells.append("-" if not spread else f"{_num(spread[0], 0)}-{_num(spread[1], 0)}")
        rows.append([op, *cells])
    return render_table(header, rows)


def simple_table(section: dict[str, Any], ops: Sequence[str]) -> str:
    """One row per server: memory, then rate and latency of each operation."""
    header = ["", "RSS idle MB", "RSS after MB"]
    for op in ops:
        header += [f"{op} req/s", f"{op} p50 ms", f"{op} p99 ms", f"{op} errors"]
    rows = []
    for server in section.values():
        row = [server["label"], _num(_value(server, "rss_idle_mb")), _num(_value(server, "rss_after_mb"))]
        for op in ops:
            row += [
                _num(_op(server, op, "rps"), 0),
                _num(_op(server, op, "p50_ms")),
                _num(_op(server, op, "p99_ms")),
                _num(_op(server, op, "error_count"), 0),
            ]
        rows.append(row)
    return render_table(header, rows)


def contracts_table(section: dict[str, Any]) -> str:
    rows = []
    for run in section.values():
        if run.get("skipped"):
            rows.append([run["label"], "-", "-", run["skipped"]])
        else:
            rows.append([run["label"], _num(run["wall_s"]), str(run["exit_code"]), run.get("summary", "")])
    return render_table(["", "wall s", "exit", "notes"], rows, align="lrrl")


# -- targets ------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    name: str
    measured: str
    verdict: str  # PASS, FAIL or SKIP
    why: str = ""

    def to_json(self) -> dict[str, str]:
        return {"target": self.name, "measured": self.measured, "verdict": self.verdict, "why": self.why}


def _errors_of(server: dict[str, Any] | None, op: str) -> int:
    return int(_op(server, op, "error_count") or 0)


def _check(
    name: str,
    measured: float | None,
    passes: Callable[[float], bool],
    shown: str,
    errors: int = 0,
    missing: str = "not measured",
) -> Verdict:
    if measured is None:
        return Verdict(name, "-", "SKIP", missing)
    if errors:
        return Verdict(name, shown, "FAIL", f"{errors} failed requests")
    return Verdict(name, shown, "PASS" if passes(measured) else "FAIL")


def evaluate_targets(results: Results) -> list[Verdict]:
    compare = results.get("compare", {})
    scale = results.get("scale", {})
    ours = compare.get(OURS)
    connections = results.get("meta", {}).get("connections", 32)
    verdicts: list[Verdict] = []
    for op in OPERATIONS:
        rps = _op(ours, op, "rps")
        errors = _errors_of(ours, op)
        for other, factor, what in (
            (PRISM_SILENT, 2.5, "Prism static (silent)"),
            (CEILING, 0.6, "bare Starlette"),
        ):
            theirs = _op(compare.get(other), op, "rps")
            ratio = None if rps is None or not theirs else rps / theirs
            missing = (compare.get(other) or {}).get("skipped") or "not measured"
            verdicts.append(
                _check(
                    f"{op} throughput >= {factor}x {what}",
                    ratio,
                    lambda r, f=factor: r >= f,
                    f"{_ratio(rps, theirs)} ({_num(rps, 0)} vs {_num(theirs, 0)} req/s)",
                    errors,
                    missing,
                )
            )
    for op in OPERATIONS:
        p99 = _op(ours, op, "p99_ms")
        verdicts.append(
            _check(
                f"{op} p99 <= 10 ms at {connections} connections",
                p99,
                lambda v: v <= 10,
                f"{_num(p99)} ms",
                _errors_of(ours, op),
            )
        )
    ttfa = _value(ours, "first_answer_s")
    verdicts.append(_check("time to first answer <= 0.5 s", ttfa, lambda v: v <= 0.5, f"{_num(ttfa, 2)} s"))
    idle = _value(ours, "rss_idle_mb")
    verdicts.append(_check("idle RSS <= 50 MB", idle, lambda v: v <= 50, f"{_num(idle)} MB"))
    verdicts.append(_scale_latency(scale.get(SMALL), scale.get(LARGE)))
    rss = [_value(scale.get(LARGE), k) for k in ("rss_idle_mb", "rss_after_mb")]
    peak = max((r for r in rss if r is not None), default=None)
    verdicts.append(_check("100,000 sessions: RSS <= 150 MB", peak, lambda v: v <= 150, f"{_num(peak)} MB"))
    return verdicts


def _scale_latency(small: dict[str, Any] | None, large: dict[str, Any] | None) -> Verdict:
    """get p99 with 100,000 sessions against 10; over one connection if the loaded run was skipped."""
    name = "100,000 sessions: get p99 within 20 % of 10 sessions"
    op, how = "get", ""
    if ((large or {}).get("ops", {}).get("get") or {}).get("skipped"):
        op, how = "get@1", " over one connection (the 32-connection load was not run)"
    before, after = _op(small, op, "p99_ms"), _op(large, op, "p99_ms")
    growth = None if before is None or after is None or not before else after / before
    shown = f"{_num(after)} vs {_num(before)} ms{how} ({_ratio(after, before)})"
    return _check(name, growth, lambda g: g <= 1.2, shown, _errors_of(large, op))


def verdict_table(verdicts: Sequence[Verdict]) -> str:
    rows = [[v.name, v.verdict, v.measured, v.why] for v in verdicts]
    return render_table(["target", "verdict", "measured", "why"], rows, align="llll")


# -- the whole report ---------------------------------------------------------


def render(results: Results) -> str:
    meta = results.get("meta", {})
    parts = [
        f"focus-mock benchmark  {meta.get('started_at', '')}  commit {meta.get('commit', '?')}",
        f"driver {meta.get('driver')}  {meta.get('connections')} connections  "
        f"{meta.get('seconds')} s per load after {meta.get('warmup_seconds')} s warm-up  "
        f"{_rounds(meta)}"
        f"{meta.get('cpus')} CPUs  {meta.get('python')}",
        f"uvicorn {meta.get('uvicorn')} (loop {meta.get('uvicorn_loop')}, http {meta.get('uvicorn_http')})  "
        f"starlette {meta.get('starlette')}  prism {meta.get('prism')}  "
        f"load average at start {meta.get('loadavg_at_start')}, at end {meta.get('loadavg_at_end')}",
        *([f"note: {meta['note']}"] if meta.get("note") else []),
    ]
    for key, title in (
        ("compare", "Throughput, latency, memory, start-up"),
        ("validation", "Validation cost"),
    ):
        section = results.get(key)
        if section:
            table = comparison_table(section) if key == "compare" else simple_table(section, ("get",))
            parts += ["", f"== {title}", table, *_notes(section)]
            spread = spread_table(section, OPERATIONS) if key == "compare" else None
            parts += [] if spread is None else ["", spread]
    if results.get("scale"):
        parts += [
            "",
            "== Scale (stored sessions; get@1 = one connection, nothing queued ahead)",
            simple_table(results["scale"], ("get", "end", "get@1")),
            *_notes(results["scale"]),
        ]
        spread = spread_table(results["scale"], ("get", "end"))
        parts += [] if spread is None else ["", spread]
    if results.get("contracts"):
        parts += ["", "== Contract suites against a local mock", contracts_table(results["contracts"])]
    if results.get("profile"):
        parts += ["", "== Profile of focus-mock under load", *profile_lines(results["profile"])]
    for name, error in results.get("errors", {}).items():
        parts += ["", f"== {name}: not completed: {error}"]
    verdicts = evaluate_targets(results)
    results["targets"] = [v.to_json() for v in verdicts]
    parts += ["", "== Targets", verdict_table(verdicts)]
    passed = sum(v.verdict == "PASS" for v in verdicts)
    parts.append(f"{passed} of {len(verdicts)} targets met")
    return "\n".join(parts)


def _rounds(meta: dict[str, Any]) -> str:
    """How the compare and scale figures were taken: a run before rounds existed had one."""
    rounds = meta.get("rounds", 1)
    return f"medians of {rounds} rounds  " if rounds > 1 else ""


def _notes(section: dict[str, Any]) -> list[str]:
    lines = []
    for server in section.values():
        text = server.get("skipped") or server.get("note")
        if text:
            lines.append(f"  {server['label']}: {text}")
        for op, result in server.get("ops", {}).items():
            if result.get("skipped"):
                lines.append(f"  {server['label']}, {op}: skipped, {result['skipped']}")
    return lines


def profile_lines(profile: dict[str, Any], top: int = 12) -> list[str]:
    lines: list[str] = []
    for op, found in profile.items():
        if found.get("skipped"):
            lines.append(f"{op}: {found['skipped']}")
            continue
        rps, sessions = _num(found.get("rps"), 0), found.get("sessions", "?")
        lines.append(
            f"-- {op} ({found['tool']}, {found['samples']} samples, {sessions} sessions started first, "
            f"{rps} req/s while profiled)"
        )
        rows = [[a["name"], f"{a['self_pct']:.1f}"] for a in found["areas"][:top]]
        lines += [render_table(["area (self time)", "%"], rows), ""]
        for title, key in (("project function (inclusive)", "project"), ("function (self time)", "self")):
            rows = [[f["name"], f"{f['total_pct']:.1f}", f"{f['self_pct']:.1f}"] for f in found[key][:top]]
            lines += [render_table([title, "total %", "self %"], rows), ""]
    return lines
