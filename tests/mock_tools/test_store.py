"""One contract for every store: the in-memory default and the SQLite file behave the same."""

from __future__ import annotations

import gc
import math
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from mockserver.sqlite_store import SqliteStore, StateFileError
from mockserver.store import MemoryStore, QuotaChange, SessionRecord, SessionStore


def _record(n: int, org: str = "org_a", **changes: object) -> SessionRecord:
    fields: dict = {
        "session_id": f"mfocus_{n:012x}",
        "organization_id": org,
        "owner_id": "usr_a",
        "goal": "focus",
        "engine": "studio",
        "target_minutes": 60,
        "started_at": 1000.0 + n,
    }
    return SessionRecord(**(fields | changes))


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SessionStore]:
    if request.param == "memory":
        yield MemoryStore()
    else:
        sqlite = SqliteStore(tmp_path / "state.db")
        yield sqlite
        sqlite.close()


def test_add_then_get_returns_an_equal_record(store: SessionStore) -> None:
    record = _record(1, ended_at=1234.567, promoted=frozenset({0, 3}))
    store.add(record)
    assert store.get(record.session_id) == record
    assert store.get("mfocus_ffffffffffff") is None


def test_duplicate_ids_are_refused(store: SessionStore) -> None:
    store.add(_record(1))
    with pytest.raises(KeyError):
        store.add(_record(1, owner_id="usr_b"))
    assert store.get(_record(1).session_id) == _record(1)


def test_listing_keeps_the_order_of_storage(store: SessionStore) -> None:
    """The quota ledger breaks ties by storage order, so every store must keep it."""
    for n, org in [(5, "org_a"), (2, "org_b"), (9, "org_a"), (1, "org_a")]:
        store.add(_record(n, org))
    assert [r.session_id for r in store.in_organization("org_a")] == [
        _record(n).session_id for n in (5, 9, 1)
    ]
    assert [r.session_id for r in store.all()] == [_record(n).session_id for n in (5, 2, 9, 1)]
    assert store.in_organization("org_none") == []


def test_the_first_end_wins(store: SessionStore) -> None:
    """D6: ending again changes nothing."""
    store.add(_record(1))
    assert store.end(_record(1).session_id, 1500.0).ended_at == 1500.0
    assert store.end(_record(1).session_id, 1600.0).ended_at == 1500.0
    assert store.get(_record(1).session_id).ended_at == 1500.0  # type: ignore[union-attr]


def test_promote_is_idempotent(store: SessionStore) -> None:
    """I3."""
    store.add(_record(1))
    store.promote(_record(1).session_id, 2)
    assert store.promote(_record(1).session_id, 2).promoted == frozenset({2})
    assert store.promote(_record(1).session_id, 0).promoted == frozenset({0, 2})


def test_reschedule_moves_only_the_start(store: SessionStore) -> None:
    store.add(_record(1, promoted=frozenset({1})))
    moved = store.reschedule(_record(1).session_id, 10.5)
    assert moved == _record(1, started_at=10.5, promoted=frozenset({1}))
    assert store.get(_record(1).session_id) == moved


@pytest.mark.parametrize("method", ["end", "promote", "reschedule"])
def test_changing_an_unknown_session_is_a_key_error(store: SessionStore, method: str) -> None:
    with pytest.raises(KeyError):
        getattr(store, method)("mfocus_ffffffffffff", 1)


def test_quota_overrides(store: SessionStore) -> None:
    assert store.quotas() == {}
    store.set_quota("org_a", 5, 1000.0)
    store.set_quota("org_b", 0, 1000.0)
    store.set_quota("org_a", 7, 1001.0)
    assert store.quotas() == {"org_a": 7, "org_b": 0}


def test_quota_changes_are_kept_in_order_with_when_and_after_which_sessions(store: SessionStore) -> None:
    """I8: a quota change holds from its place in history, so the store keeps every one of them."""
    store.set_quota("org_a", 5, 1000.0)
    store.add(_record(1))
    store.add(_record(2, "org_b"))
    store.add(_record(3))
    store.set_quota("org_a", 0, 1003.5)
    store.set_quota("org_a", 9, 1003.5)
    assert store.quota_changes("org_a") == [
        QuotaChange(1000.0, 5, 0),
        QuotaChange(1003.5, 0, 2),
        QuotaChange(1003.5, 9, 2),
    ]
    assert store.quota_changes("org_b") == []


def test_clock_reading(store: SessionStore) -> None:
    assert store.clock_now() is None
    store.save_clock(1_782_639_000.125)
    assert store.clock_now() == 1_782_639_000.125


def test_clear_forgets_sessions_and_quotas_but_not_the_clock(store: SessionStore) -> None:
    store.add(_record(1))
    store.set_quota("org_a", 3, 41.0)
    store.save_clock(42.0)
    store.clear()
    assert (store.all(), store.in_organization("org_a"), store.get(_record(1).session_id)) == ([], [], None)
    assert (store.quotas(), store.quota_changes("org_a")) == ({}, [])
    assert store.clock_now() == 42.0
    store.add(_record(1))  # the id is free again


def test_the_revision_counts_each_change_the_time_model_reads(store: SessionStore) -> None:
    """The quota ledger is cached per organization and trusted only while its revision stands."""
    first = _record(1)
    assert store.revision("org_a") == 0
    steps = [
        (lambda: store.add(first), 1),
        (lambda: store.end(first.session_id, 1500.0), 1),
        (lambda: store.end(first.session_id, 1600.0), 0),  # the first end won: nothing changed
        (lambda: store.promote(first.session_id, 0), 0),  # promotion is not read by the time model
        (lambda: store.reschedule(first.session_id, 900.0), 1),
        (lambda: store.set_quota("org_a", 5, 1700.0), 1),
        (lambda: store.add(_record(2, "org_b")), 0),  # another organization
        (lambda: store.save_clock(2000.0), 0),
        (lambda: store.clear(), 1),
    ]
    for change, growth in steps:
        before = store.revision("org_a")
        change()
        assert store.revision("org_a") == before + growth
    assert store.revision("org_never_seen") == 1, "a clear changes every organization"


def test_concurrent_writers_lose_nothing(store: SessionStore) -> None:
    def write(first: int) -> None:
        for n in range(first, first + 25):
            store.add(_record(n))
            store.promote(_record(n).session_id, 1)

    threads = [threading.Thread(target=write, args=(k * 100,)) for k in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(store.all()) == 100
    assert all(r.promoted == frozenset({1}) for r in store.all())


# -- SQLite only ----------------------------------------------------------------


def test_sqlite_reopened_has_everything(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    first = SqliteStore(path)
    first.add(_record(1))
    first.add(_record(2, ended_at=2000.0))
    first.promote(_record(1).session_id, 4)
    first.set_quota("org_a", 9, 4000.5)
    first.save_clock(5000.25)
    first.close()
    again = SqliteStore(path)
    assert again.all() == [_record(1, promoted=frozenset({4})), _record(2, ended_at=2000.0)]
    assert (again.quotas(), again.clock_now()) == ({"org_a": 9}, 5000.25)
    assert again.quota_changes("org_a") == [QuotaChange(4000.5, 9, 2)]


def test_sqlite_reads_a_format_1_file_its_quotas_holding_from_the_beginning(tmp_path: Path) -> None:
    """Format 1 kept one quota per organization and no time; it applied to all history, and still does."""
    path = tmp_path / "state.db"
    with sqlite3.connect(path) as db:
        db.executescript(
            "CREATE TABLE quotas (organization_id TEXT PRIMARY KEY, segment_quota INTEGER NOT NULL);"
            "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
            "INSERT INTO quotas VALUES ('org_b', 4), ('org_a', 12);"
            "INSERT INTO meta VALUES ('schema_version', '1');"
        )
    store = SqliteStore(path)
    assert store.quotas() == {"org_a": 12, "org_b": 4}
    assert store.quota_changes("org_a") == [QuotaChange(-math.inf, 12, 0)]
    store.close()
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == ("2",)


def test_sqlite_writes_are_durable_before_returning(tmp_path: Path) -> None:
    """WAL with synchronous=FULL, and a second connection sees a write as soon as add() returns."""
    path = tmp_path / "state.db"
    store = SqliteStore(path)
    store.add(_record(1))
    with sqlite3.connect(path) as other:
        assert other.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert other.execute("SELECT session_id FROM sessions").fetchall() == [(_record(1).session_id,)]
    assert store._db.execute("PRAGMA synchronous").fetchone() == (2,)  # 2 = FULL


def test_sqlite_refuses_a_file_that_is_not_a_state_file(tmp_path: Path) -> None:
    junk = tmp_path / "notes.txt"
    junk.write_text("this is not a database, just some words that fill the header page" * 20)
    with pytest.raises(StateFileError, match=r"notes\.txt"):
        SqliteStore(junk)


def test_sqlite_refuses_a_state_file_of_another_format(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    SqliteStore(path).close()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(StateFileError, match="format 99"):
        SqliteStore(path)


def test_memory_store_sessions_add_nothing_for_the_garbage_collector_to_walk() -> None:
    """Kept as records (an object and its __dict__ each, at least), stored sessions were walked
    by every full collection: under a stream of starts each walk paused the server 20-30 ms,
    doubling start's p99 latency."""
    store = MemoryStore()
    store.add(_record(0))
    gc.collect()
    before = len(gc.get_objects())
    for n in range(1, 3001):
        store.add(_record(n, ended_at=2000.0 + n if n % 2 else None))
    store.end(_record(2).session_id, 5000.0)
    store.promote(_record(4).session_id, 0)
    gc.collect()
    assert len(gc.get_objects()) - before < 100  # was 6,000 more
    assert store.get(_record(4).session_id) == _record(4, promoted=frozenset({0}))
    assert store.get(_record(2).session_id) == _record(2, ended_at=5000.0)
