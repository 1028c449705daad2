"""Hundreds of overlapping requests against a real focus-mock, then the invariants that must hold.

Four callers in two organizations start sessions, read them, end them (three
ends at once, plus a stranger's), promote segments and try each other's
sessions, while the virtual clock is moved and the quotas are read through the
control plane, all at the same time. Afterwards, from every answer each caller
recorded plus a final read of every session:

- every acknowledged start exists, with the fields it was acknowledged with (I1);
- every session is ended at most once in effect: all its ends agree, and a
  later read shows the same frozen session (D6, D9);
- ``ready_count`` never decreases for any observer (I7);
- no organization ever has more segments than its quota (I8);
- strangers changed nothing (D7, I10), and nothing answered 5xx.

It runs on the in-memory store and on the SQLite store (``--state``).
"""

from __future__ import annotations

import asyncio
import itertools
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from live_mock import LiveMock

from mockserver.spec import Spec

from .crowd import (
    ALPHA,
    ANN,
    BEN,
    BETA,
    CAT,
    DAN,
    QUOTAS,
    Caller,
    Record,
    Recorder,
    session_path,
    sessions_path,
    write_config,
)

SESSIONS_PER_CALLER = 5
CLOCK_STEPS = 24
# Who tries each owner's sessions: a member of the same organization (404) or a stranger to it (403).
STRANGERS = {(ANN, ALPHA): BEN, (BEN, ALPHA): CAT, (CAT, BETA): DAN, (DAN, ALPHA): ANN, (DAN, BETA): CAT}
OPERATIONS = {
    "start": ("startFocusSession", {201}),
    "get": ("getFocusSession", {200}),
    "end": ("endFocusSession", {200}),
    "promote": ("promoteFocusSegment", {200}),
    "foreign-get": ("getFocusSession", {403, 404}),
    "foreign-end": ("endFocusSession", {403, 404}),
    "foreign-promote": ("promoteFocusSegment", {403, 404}),
}


# The control plane's operations in the burst, and what each may answer (422: refused to lower a count, I7).
CONTROL = {"advance": {200}, "quotas": {200}, "list": {200}, "jump": {200, 422}, "set-quota": {200, 422}}


class Burst:
    """The overlapping workload: session lives, a clock mover and a quota watcher, all at once."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.recorder = Recorder(client)
        self.ticks = [asyncio.Event() for _ in range(CLOCK_STEPS)]
        self.quota_views: list[dict[str, Any]] = []
        self.started: dict[str, tuple[Caller, str, dict[str, Any]]] = {}

    async def run(self) -> None:
        lives = [
            self.life(owner, org, n, stranger)
            for (owner, org), stranger in STRANGERS.items()
            for n in range(SESSIONS_PER_CALLER)
        ]
        await asyncio.gather(*lives, self.move_clock(), self.watch_quotas(), self.tinker())

    async def move_clock(self) -> None:
        for step, tick in enumerate(self.ticks):
            await self.recorder.call(
                "clock", "advance", "POST", "/__mock/clock/advance", json={"seconds": 1 + step % 3}
            )
            tick.set()

    async def watch_quotas(self) -> None:
        for tick in self.ticks[::3]:
            await tick.wait()
            record = await self.recorder.call("quotas", "quotas", "GET", "/__mock/quotas")
            self.quota_views.append(record.body)

    async def tinker(self) -> None:
        """The control plane's tools at the same time: jump running Alpha sessions ahead, and try to
        lower Beta's quota below what it has made (refused) and to exactly that (allowed)."""
        call = self.recorder.call
        for tick in self.ticks[1::4]:
            await tick.wait()
            listed = await call("tinkerer", "list", "GET", "/__mock/sessions", params={"organization": ALPHA})
            running = [s for s in listed.body["sessions"] if s["status"] == "active"][:2]
            await asyncio.gather(
                *(
                    call(
                        "tinkerer",
                        "jump",
                        "POST",
                        f"/__mock/sessions/{s['session_id']}/jump",
                        json={"ready_count": min(s["ready_count"] + 2, s["total_segments"])},
                    )
                    for s in running
                )
            )
            quotas = await call("tinkerer", "quotas", "GET", "/__mock/quotas")
            used = next(q["used"] for q in quotas.body["organizations"] if q["organization_id"] == BETA)
            if used:
                for quota in (used - 1, used):
                    await call(
                        "tinkerer",
                        "set-quota",
                        "PUT",
                        f"/__mock/quotas/{BETA}",
                        json={"segment_quota": quota},
                    )

    async def life(self, owner: Caller, org: str, n: int, stranger: Caller) -> None:
        call = self.recorder.call
        await self.ticks[n * 2].wait()
        start = await call(
            owner.user_id,
            "start",
            "POST",
            sessions_path(org),
            json={"goal": "focus", "engine": f"e{n}", "target_minutes": 30 + 4 * n},
            headers=owner.headers,
        )
        if start.status != 201:
            return
        session_id = start.body["session_id"]
        self.started[session_id] = (owner, org, start.body)
        path = session_path(org, session_id)
        reads = await asyncio.gather(
            call(owner.user_id, "get", "GET", path, session_id, headers=owner.headers),
            call(owner.user_id, "get", "GET", path, session_id, headers=owner.headers),
            call(stranger.user_id, "foreign-get", "GET", path, session_id, headers=stranger.headers),
            call(
                stranger.user_id, "foreign-end", "POST", f"{path}/end", session_id, headers=stranger.headers
            ),
        )
        await self.ticks[min(n * 2 + 6, CLOCK_STEPS - 1)].wait()
        seen = await call(owner.user_id, "get", "GET", path, session_id, headers=owner.headers)
        segments = [
            s["segment_id"] for r in (*reads, seen) if r.operation == "get" for s in r.body["segments"]
        ]
        promotes = [f"{path}/segments/{segment}/promote" for segment in sorted(set(segments))[:2]]
        ends = 3 if n % 2 == 0 else 0  # half the sessions stay active and meet the quota
        await asyncio.gather(
            *(
                call(owner.user_id, "end", "POST", f"{path}/end", session_id, headers=owner.headers)
                for _ in range(ends)
            ),
            *(call(owner.user_id, "promote", "POST", p, session_id, headers=owner.headers) for p in promotes),
            *(
                call(stranger.user_id, "foreign-promote", "POST", p, session_id, headers=stranger.headers)
                for p in promotes
            ),
            call(owner.user_id, "get", "GET", path, session_id, headers=owner.headers),
            call(
                stranger.user_id, "foreign-end", "POST", f"{path}/end", session_id, headers=stranger.headers
            ),
        )
        if ends:  # D6: ending again once time has moved on changes nothing
            await self.ticks[min(n * 2 + 12, CLOCK_STEPS - 1)].wait()
            await call(owner.user_id, "end", "POST", f"{path}/end", session_id, headers=owner.headers)


def _run_burst(base_url: str) -> Burst:
    async def main() -> Burst:
        limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
        async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=20, trust_env=False) as client:
            burst = Burst(client)
            await burst.run()
            return burst

    return asyncio.run(main())


def _most_in_flight(records: list[Record]) -> int:
    events = sorted([(r.sent, 1) for r in records] + [(r.received, -1) for r in records])
    return max(itertools.accumulate(change for _, change in events))


@pytest.fixture(params=["memory", "sqlite"])
def mock(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LiveMock]:
    args = ["--clock", "virtual", "--config", str(write_config(tmp_path))]
    if request.param == "sqlite":
        args += ["--state", str(tmp_path / "state.db")]
    with LiveMock(*args) as live:
        yield live


def test_overlapping_requests_keep_every_invariant(mock: LiveMock, spec: Spec) -> None:
    burst = _run_burst(mock.base_url)
    records = burst.recorder.records
    assert len(records) >= 200, f"only {len(records)} requests"
    assert _most_in_flight(records) >= 20, "the requests hardly overlapped"

    with mock.client() as client:
        final = {
            session_id: client.get(session_path(org, session_id), headers=owner.headers)
            for session_id, (owner, org, _) in burst.started.items()
        }
        listed = {s["session_id"]: s for s in client.get("/__mock/sessions").json()["sessions"]}
        quotas = {q["organization_id"]: q for q in client.get("/__mock/quotas").json()["organizations"]}

    _every_answer_is_documented(records, spec)
    _every_acknowledged_start_exists(burst, final, listed)
    _ends_agree_and_happen_once(burst, final, listed)
    _ready_count_never_decreases(burst, final)
    _quotas_are_never_exceeded(burst, final, quotas)
    _promotes_stick(burst, final)
    assert mock.process is not None and mock.process.poll() is None, "the mock died"
    assert "Traceback" not in mock.log()


def _every_answer_is_documented(records: list[Record], spec: Spec) -> None:
    """No 5xx, and every answer is one its operation documents, in its documented shape."""
    for record in records:
        assert record.status < 500, record
        if record.operation in CONTROL:
            assert record.status in CONTROL[record.operation], record
            continue
        operation_id, statuses = OPERATIONS[record.operation]
        assert record.status in statuses, record
        pointer = spec.response_pointer(operation_id, record.status)
        assert pointer is not None
        problems = [e.message for e in spec.validator(pointer).iter_errors(record.body)]
        assert not problems, (record, problems)


def _every_acknowledged_start_exists(burst: Burst, final: dict[str, httpx.Response], listed: dict) -> None:
    """I1: each 201 names a session the owner can read, with the acknowledged fields; no phantom sessions."""
    assert set(listed) == set(burst.started), "the mock holds sessions nobody was told of, or lost some"
    for session_id, (owner, org, acknowledged) in burst.started.items():
        read = final[session_id]
        assert read.status_code == 200, read.text
        for name in ("session_id", "goal", "engine", "target_minutes", "total_segments"):
            assert read.json()[name] == acknowledged[name]
        assert (listed[session_id]["owner_id"], listed[session_id]["organization_id"]) == (owner.user_id, org)


def _ends_agree_and_happen_once(burst: Burst, final: dict[str, httpx.Response], listed: dict) -> None:
    """D6/D9: concurrent ends all answer the one frozen session; a stranger's end ends nothing."""
    ended = set()
    for session_id in burst.started:
        answers = [r.body for r in burst.recorder.of("end", session_id)]
        if not answers:
            assert listed[session_id]["ended_at"] is None, "a stranger's end ended the session"
            continue
        ended.add(session_id)
        frozen = _without_promotion(answers[0])
        assert all(_without_promotion(body) == frozen for body in answers), f"{session_id}: the ends disagree"
        assert frozen["status"] in ("ended", "stopped_cap")
        assert _without_promotion(final[session_id].json()) == frozen, f"{session_id} changed after its end"
        assert listed[session_id]["ended_at"] is not None
    assert ended, "no session was ended"


def _without_promotion(session: dict[str, Any]) -> dict[str, Any]:
    """The session minus what may still change after its end: promotion (I3 allows it after D1)."""
    segments = [{k: v for k, v in s.items() if k != "promoted"} for s in session["segments"]]
    return {**session, "segments": segments}


def _ready_count_never_decreases(burst: Burst, final: dict[str, httpx.Response]) -> None:
    """I7: an answer asked for after another one came back never shows fewer ready segments."""
    by_session: dict[str, list[Record]] = defaultdict(list)
    for record in burst.recorder.records:
        if record.ok and record.operation in ("get", "end"):
            by_session[record.session_id].append(record)
    for session_id, seen in by_session.items():
        for record in seen:
            body = record.body
            assert len(body["segments"]) <= body["ready_count"] <= body["total_segments"], body
        for earlier, later in itertools.permutations(seen, 2):
            if later.sent > earlier.received:
                assert later.body["ready_count"] >= earlier.body["ready_count"], (session_id, earlier, later)
        last_seen = max(r.body["ready_count"] for r in seen)
        assert final[session_id].json()["ready_count"] >= last_seen


def _quotas_are_never_exceeded(burst: Burst, final: dict[str, httpx.Response], quotas: dict) -> None:
    """I8: no organization is ever granted more segments than its quota, and the cap was really met."""
    for view in [*burst.quota_views, {"organizations": list(quotas.values())}]:
        for organization in view["organizations"]:
            assert organization["used"] <= organization["segment_quota"], organization
    granted: dict[str, int] = defaultdict(int)
    for session_id, (_, org, _) in burst.started.items():
        granted[org] += final[session_id].json()["ready_count"]
    for org, limit in QUOTAS.items():
        assert granted[org] <= limit, (org, granted[org])
        assert quotas[org]["used"] == granted[org], quotas[org]
    capped = [s for s, r in final.items() if r.json()["status"] == "stopped_cap"]
    assert capped, "no session met its organization's quota, so the cap was not exercised"
    assert BETA in {burst.started[s][1] for s in capped}


def _promotes_stick(burst: Burst, final: dict[str, httpx.Response]) -> None:
    """I3: a promote that answered 200 is visible on the session; a stranger's promote changes nothing."""
    promoted = {(r.session_id, r.body["segment_id"]) for r in burst.recorder.of("promote")}
    assert promoted, "no segment was promoted"
    for session_id, read in final.items():
        for segment in read.json()["segments"]:
            assert segment["promoted"] == ((session_id, segment["segment_id"]) in promoted), segment
