"""A :class:`~mockserver.store.SessionStore` in a SQLite file, for ``focus-mock --state PATH``.

A restart must lose nothing the mock has acknowledged, so every write commits
before the method returns (and so before the ``201`` leaves). The database runs
in WAL mode with ``synchronous=FULL``: each commit is on disk, not just in the
OS cache, which is what survives a SIGKILL *and* a power cut. One connection
serves all threads, behind a lock, so every method stays atomic like the
in-memory store's.

Stored facts only mean the same thing under the same clock and world: a
session started at a virtual clock's time is somewhere else entirely on the wall
clock, and one of an organization the configuration no longer has is capped at
a quota of nothing. So the file also records which clock, organizations and timings wrote
it, and a start with others is refused while the file holds anything.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path

from .config import Config
from .store import QuotaChange, Revisions, SessionRecord, session_row

SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id      TEXT NOT NULL UNIQUE,
    organization_id TEXT NOT NULL,
    owner_id        TEXT NOT NULL,
    goal            TEXT NOT NULL,
    engine          TEXT NOT NULL,
    target_minutes  INTEGER NOT NULL,
    started_at      REAL NOT NULL,
    ended_at        REAL,
    promoted        TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX IF NOT EXISTS sessions_by_org ON sessions (organization_id, seq);
CREATE TABLE IF NOT EXISTS quota_changes (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id TEXT NOT NULL,
    at              REAL NOT NULL,
    segment_quota   INTEGER NOT NULL,
    sessions_before INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""

COLUMNS = (
    "session_id, organization_id, owner_id, goal, engine, target_minutes, started_at, ended_at, promoted"
)
SCHEMA_VERSION = "2"
# Format 1 kept one quota per organization, with no time: it held from the beginning.
MIGRATE_FROM_1 = """
INSERT INTO quota_changes (organization_id, at, segment_quota, sessions_before)
    SELECT organization_id, -9e999, segment_quota, 0 FROM quotas ORDER BY organization_id;
DROP TABLE quotas;
"""


class StateFileError(RuntimeError):
    """The state file cannot be opened or was written by something else."""


def _record(row: tuple) -> SessionRecord:
    session_id, org, owner, goal, engine, minutes, started, ended, promoted = row
    return SessionRecord(
        session_id=session_id,
        organization_id=org,
        owner_id=owner,
        goal=goal,
        engine=engine,
        target_minutes=minutes,
        started_at=started,
        ended_at=ended,
        promoted=frozenset(json.loads(promoted)),
    )


class SqliteStore:
    """Sessions, quota overrides and the virtual clock's reading, in one SQLite file."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._revisions = Revisions()  # changes made through this object; start from 0 on every open
        try:
            self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute("PRAGMA busy_timeout=5000")
            self._db.executescript(SCHEMA)
            with self._transaction():
                self._check_version()
        except sqlite3.DatabaseError as exc:
            raise StateFileError(f"cannot use {self.path} as a state file: {exc}") from None

    def _check_version(self) -> None:
        row = self._db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        if row is None:
            self._db.execute("INSERT INTO meta VALUES ('schema_version', ?)", (SCHEMA_VERSION,))
        elif row[0] == "1":
            for statement in MIGRATE_FROM_1.split(";")[:-1]:
                self._db.execute(statement)
            self._db.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (SCHEMA_VERSION,))
        elif row[0] != SCHEMA_VERSION:
            raise StateFileError(
                f"{self.path} has state format {row[0]}; this focus-mock reads {SCHEMA_VERSION}"
            )

    def check_written_with(self, clock_kind: str, config: Config) -> None:
        """Refuse to go on with another clock or world than the one that wrote the file's contents.

        An empty file (new, or after a reset) simply takes on the new ones.
        """
        now = written_with(clock_kind, config)
        with self._lock, self._transaction():
            rows = self._db.execute("SELECT key, value FROM meta WHERE key LIKE 'written_with.%'").fetchall()
            before = {key.removeprefix("written_with."): value for key, value in rows}
            holds = self._db.execute(
                "SELECT EXISTS (SELECT 1 FROM sessions) OR EXISTS (SELECT 1 FROM quota_changes)"
            ).fetchone()[0]
            changed = [name for name in now if name in before and before[name] != now[name]]
            if changed and holds:
                then = "; ".join(before[name] for name in changed)
                instead = "; ".join(now[name] for name in changed)
                raise StateFileError(
                    f"{self.path} was written with {then}, but this start has {instead}. "
                    "Start focus-mock with the same --clock and --config as before, "
                    f"or delete {self.path} (or choose another --state) to start afresh"
                )
            for name, value in now.items():
                self._db.execute(
                    "INSERT INTO meta VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    (f"written_with.{name}", value),
                )

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- sessions ---------------------------------------------------------------

    def add(self, record: SessionRecord) -> None:
        row = session_row(record)
        with self._lock, self._transaction():
            try:
                self._db.execute(
                    f"INSERT INTO sessions ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (*row[:-1], json.dumps(row[-1])),
                )
            except sqlite3.IntegrityError:
                raise KeyError(f"duplicate session id {record.session_id}") from None
            self._revisions.bump(record.organization_id)

    def _get(self, session_id: str) -> SessionRecord | None:
        row = self._db.execute(
            f"SELECT {COLUMNS} FROM sessions WHERE session_id = ?", (session_id,)
        ).fetchone()
        return None if row is None else _record(row)

    def _require(self, session_id: str) -> SessionRecord:
        record = self._get(session_id)
        if record is None:
            raise KeyError(session_id)
        return record

    def get(self, session_id: str) -> SessionRecord | None:
        with self._lock:
            return self._get(session_id)

    def in_organization(self, organization_id: str) -> list[SessionRecord]:
        with self._lock:
            rows = self._db.execute(
                f"SELECT {COLUMNS} FROM sessions WHERE organization_id = ? ORDER BY seq", (organization_id,)
            ).fetchall()
        return [_record(row) for row in rows]

    def all(self) -> list[SessionRecord]:
        with self._lock:
            rows = self._db.execute(f"SELECT {COLUMNS} FROM sessions ORDER BY seq").fetchall()
        return [_record(row) for row in rows]

    def end(self, session_id: str, at: float) -> SessionRecord:
        with self._lock, self._transaction():
            self._require(session_id)
            changed = self._db.execute(
                "UPDATE sessions SET ended_at = ? WHERE session_id = ? AND ended_at IS NULL", (at, session_id)
            ).rowcount
            record = self._require(session_id)
            if changed:
                self._revisions.bump(record.organization_id)
            return record

    def promote(self, session_id: str, index: int) -> SessionRecord:
        with self._lock, self._transaction():
            record = self._require(session_id)
            if index not in record.promoted:
                promoted = json.dumps(sorted(record.promoted | {index}))
                self._db.execute(
                    "UPDATE sessions SET promoted = ? WHERE session_id = ?", (promoted, session_id)
                )
            return self._require(session_id)

    def reschedule(self, session_id: str, started_at: float) -> SessionRecord:
        with self._lock, self._transaction():
            self._require(session_id)
            self._db.execute(
                "UPDATE sessions SET started_at = ? WHERE session_id = ?", (started_at, session_id)
            )
            record = self._require(session_id)
            self._revisions.bump(record.organization_id)
            return record

    # -- quotas and clock ---------------------------------------------------------

    def quotas(self) -> dict[str, int]:
        with self._lock:
            rows = self._db.execute(
                "SELECT organization_id, segment_quota FROM quota_changes ORDER BY seq"
            ).fetchall()
        return dict(rows)  # the latest change of each organization wins

    def quota_changes(self, organization_id: str) -> list[QuotaChange]:
        with self._lock:
            rows = self._db.execute(
                "SELECT at, segment_quota, sessions_before FROM quota_changes "
                "WHERE organization_id = ? ORDER BY seq",
                (organization_id,),
            ).fetchall()
        return [QuotaChange(*row) for row in rows]

    def set_quota(self, organization_id: str, segment_quota: int, at: float) -> None:
        with self._lock, self._transaction():
            self._db.execute(
                "INSERT INTO quota_changes (organization_id, at, segment_quota, sessions_before) "
                "SELECT ?, ?, ?, COUNT(*) FROM sessions WHERE organization_id = ?",
                (organization_id, at, segment_quota, organization_id),
            )
            self._revisions.bump(organization_id)

    def clock_now(self) -> float | None:
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE key = 'clock_now'").fetchone()
        return None if row is None else float(row[0])

    def save_clock(self, now: float) -> None:
        with self._lock, self._transaction():
            self._db.execute(
                "INSERT INTO meta VALUES ('clock_now', ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (repr(float(now)),),
            )

    def clear(self) -> None:
        with self._lock, self._transaction():
            self._db.execute("DELETE FROM sessions")
            self._db.execute("DELETE FROM quota_changes")
            self._revisions.bump_all()

    def revision(self, organization_id: str) -> int:
        return self._revisions[organization_id]


def written_with(clock_kind: str, config: Config) -> dict[str, str]:
    """What stored sessions depend on, each as the words that tell a user which option to repeat."""
    timings = config.timings
    return {
        "clock": f"--clock {clock_kind}",
        "organizations": "organizations " + ", ".join(sorted(o.id for o in config.organizations)),
        "timings": (
            f"segments first after {timings.first_segment_seconds:g}s, "
            f"then every {timings.segment_interval_seconds:g}s"
        ),
    }


class _Transaction:
    """BEGIN IMMEDIATE on enter, COMMIT on a clean exit, ROLLBACK on an exception."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> sqlite3.Connection:
        self._db.execute("BEGIN IMMEDIATE")
        return self._db

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self._db.execute("ROLLBACK" if exc_type else "COMMIT")
