"""The ledger's SQLite store: a versioned schema, WAL mode, and one transaction per update.

The database is the campaign's memory: one row per person (keyed by the canonical 18-digit ID),
their current status and unit, the latest snapshot of every input (the province's list, the survey
rows, the registration/payment facts, the follow-up contacts) and an append-only change log. Every
update runs inside a single ``BEGIN IMMEDIATE … COMMIT``: a failed or killed run leaves the previous
state untouched (SQLite's journal rolls it back), and only one writer can hold the ledger at a time.

The SQL is kept portable (TEXT/INTEGER columns, no SQLite-only types or upserts in the schema
proper) so that the same statements can run on PostgreSQL for a prefecture-wide ledger
(docs/scale.md). The append-only rule on ``changes`` is enforced by triggers, which are the one
SQLite-specific part and are listed separately.

Schema versions are applied in order by :func:`migrate`; ``schema_migrations`` records each one, so
an older ledger is brought forward on open and a newer one is refused with a message.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from coverage_xl.errors import InputError, OutputError

DEFAULT_NAME = "台账.sqlite"
BUSY_SECONDS = 30.0  # a second writer waits this long for the first to finish, then gives up

# Each migration is a list of statements; the index + 1 is the schema version it produces.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE runs (
            run_id INTEGER PRIMARY KEY,
            started_at TEXT NOT NULL,
            as_of TEXT NOT NULL,
            campaign_year INTEGER NOT NULL,
            tool_version TEXT NOT NULL,
            changes INTEGER NOT NULL DEFAULT 0)""",
        # Every input file (kind, name, content hash) the ledger has read, once; changes cite it by id.
        """CREATE TABLE input_files (
            source_id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,
            name TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            UNIQUE (kind, name, sha256))""",
        """CREATE TABLE run_inputs (
            run_id INTEGER NOT NULL REFERENCES runs(run_id),
            source_id INTEGER NOT NULL REFERENCES input_files(source_id),
            rows INTEGER NOT NULL,
            PRIMARY KEY (run_id, source_id))""",
        # The current snapshot of each input kind: its files and a fingerprint of them, so that an input
        # given again unchanged is neither read nor rewritten.
        """CREATE TABLE snapshots (
            kind TEXT PRIMARY KEY,
            fingerprint TEXT NOT NULL,
            run_id INTEGER NOT NULL)""",
        """CREATE TABLE sources (
            kind TEXT NOT NULL,
            name TEXT NOT NULL,
            source_id INTEGER NOT NULL REFERENCES input_files(source_id),
            PRIMARY KEY (kind, name))""",
        # Snapshots are read whole, never searched: no indexes (they would double their size).
        """CREATE TABLE list_people (
            id TEXT NOT NULL,
            name TEXT NOT NULL,
            unit TEXT NOT NULL,
            village TEXT NOT NULL,
            address TEXT NOT NULL,
            file TEXT NOT NULL,
            row_number INTEGER NOT NULL)""",
        """CREATE TABLE survey_rows (
            unit TEXT NOT NULL,
            file TEXT NOT NULL,
            row_number INTEGER NOT NULL,
            id TEXT NOT NULL,
            name TEXT NOT NULL,
            address TEXT NOT NULL,
            category TEXT NOT NULL,
            willing TEXT NOT NULL,
            cross_unit INTEGER NOT NULL)""",
        """CREATE TABLE facts (
            id TEXT NOT NULL,
            registered INTEGER NOT NULL,
            drawing INTEGER NOT NULL,
            paid INTEGER NOT NULL,
            registration_file TEXT NOT NULL,
            payment_file TEXT NOT NULL)""",
        # Follow-up entries read back from the towns' returns; kept across weeks (记录有痕).
        """CREATE TABLE contacts (
            id TEXT NOT NULL,
            contact_date TEXT NOT NULL,
            method TEXT NOT NULL,
            result TEXT NOT NULL,
            reason TEXT NOT NULL,
            signed TEXT NOT NULL,
            remark TEXT NOT NULL,
            unit TEXT NOT NULL,
            file TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            sheet TEXT NOT NULL,
            row_number INTEGER NOT NULL,
            run_id INTEGER NOT NULL,
            PRIMARY KEY (id, contact_date, method, result, reason, signed, remark))""",
        # One row per person. survey_units lists every unit whose counted survey rows hold them; with
        # unit (the list's, for people nobody surveyed) it gives the per-unit memberships.
        """CREATE TABLE people (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            unit TEXT NOT NULL,
            village TEXT NOT NULL,
            address TEXT NOT NULL,
            status TEXT NOT NULL,
            settled INTEGER NOT NULL,
            off_list INTEGER NOT NULL,
            cross_unit_duplicate INTEGER NOT NULL,
            duplicate_insurance INTEGER NOT NULL,
            on_list INTEGER NOT NULL,
            survey_units TEXT NOT NULL,
            registered INTEGER NOT NULL,
            drawing INTEGER NOT NULL,
            paid INTEGER NOT NULL,
            signed INTEGER NOT NULL,
            unreachable_recorded INTEGER NOT NULL,
            last_contact TEXT NOT NULL,
            first_run INTEGER NOT NULL,
            last_change_run INTEGER NOT NULL,
            last_change_date TEXT NOT NULL)""",
        """CREATE TABLE changes (
            change_id INTEGER PRIMARY KEY,
            run_id INTEGER NOT NULL REFERENCES runs(run_id),
            as_of TEXT NOT NULL,
            id TEXT NOT NULL,
            unit TEXT NOT NULL,
            field TEXT NOT NULL,
            old_value TEXT NOT NULL,
            new_value TEXT NOT NULL,
            source_id INTEGER REFERENCES input_files(source_id))""",
        # The change log as people read it: each change with the kind, name and SHA-256 of its input.
        """CREATE VIEW change_log AS
            SELECT c.change_id, c.run_id, c.as_of, c.id, c.unit, c.field, c.old_value, c.new_value,
                   COALESCE(f.kind, '') AS source_kind, COALESCE(f.name, '') AS source_file,
                   COALESCE(f.sha256, '') AS source_sha256
            FROM changes c LEFT JOIN input_files f ON f.source_id = c.source_id""",
        # Per-unit counts of each run's as-of date, for 台账汇总 week over week.
        """CREATE TABLE unit_counts (
            as_of TEXT NOT NULL,
            unit TEXT NOT NULL,
            measure TEXT NOT NULL,
            count INTEGER NOT NULL,
            run_id INTEGER NOT NULL,
            PRIMARY KEY (as_of, unit, measure))""",
        # SQLite-specific: the change log is append-only. (PostgreSQL: a rule or REVOKE UPDATE, DELETE.)
        """CREATE TRIGGER changes_no_update BEFORE UPDATE ON changes
            BEGIN SELECT RAISE(ABORT, 'the change log is append-only'); END""",
        """CREATE TRIGGER changes_no_delete BEFORE DELETE ON changes
            BEGIN SELECT RAISE(ABORT, 'the change log is append-only'); END""",
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)


def default_ledger_path(master: str | Path | None) -> Path:
    """``台账.sqlite`` beside the master workbook (or in the current folder)."""
    return (Path(master).parent if master else Path(".")) / DEFAULT_NAME


def schema_version(conn: sqlite3.Connection) -> int:
    has = conn.execute("SELECT name FROM sqlite_master WHERE type='table' AND name='schema_migrations'").fetchone()
    if not has:
        return 0
    row = conn.execute("SELECT MAX(version) FROM schema_migrations").fetchone()
    return int(row[0] or 0)


def migrate(conn: sqlite3.Connection) -> int:
    """Bring the schema to :data:`SCHEMA_VERSION`, one version per transaction; returns the version."""
    conn.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)")
    current = schema_version(conn)
    if current > SCHEMA_VERSION:
        raise InputError(f"台账数据库的版本（{current}）比本程序支持的（{SCHEMA_VERSION}）新，请升级 coverage-xl 后再用。")
    for version in range(current + 1, SCHEMA_VERSION + 1):
        with transaction(conn):
            for stmt in MIGRATIONS[version - 1]:
                conn.execute(stmt)
            conn.execute("INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)",
                         (version, dt.datetime.now().isoformat(timespec="seconds")))
    return SCHEMA_VERSION


def connect(path: str | Path, *, create: bool = True) -> sqlite3.Connection:
    """Open (or create) the ledger in WAL mode and migrate it. Autocommit mode: transactions are
    explicit (:func:`transaction`), so a statement never commits behind the caller's back."""
    path = Path(path)
    if not create and not path.is_file():
        raise InputError(f"找不到台账数据库“{path}”。请先运行 coverage-xl ledger update 建立台账。")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, isolation_level=None, timeout=BUSY_SECONDS)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
        migrate(conn)
    except sqlite3.DatabaseError as exc:
        raise OutputError(f"无法打开台账数据库“{path}”：{exc}（是否是台账文件？是否在网络共享文件夹中？）") from exc
    return conn


@contextlib.contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """``BEGIN IMMEDIATE`` … ``COMMIT``; any exception rolls everything back and is re-raised."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def checkpoint(conn: sqlite3.Connection) -> None:
    """Fold the write-ahead log into the database file and truncate it (after a large update)."""
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
