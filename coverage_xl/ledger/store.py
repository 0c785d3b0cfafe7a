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
        """CREATE TABLE run_inputs (
            run_id INTEGER NOT NULL REFERENCES runs(run_id),
            kind TEXT NOT NULL,
            name TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            rows INTEGER NOT NULL,
            PRIMARY KEY (run_id, kind, name))""",
        # The input files each current snapshot came from (replaced when a kind is given again).
        """CREATE TABLE sources (
            kind TEXT NOT NULL,
            name TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            run_id INTEGER NOT NULL,
            PRIMARY KEY (kind, name))""",
        """CREATE TABLE list_people (
            id TEXT PRIMARY KEY,
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
            cross_unit INTEGER NOT NULL,
            PRIMARY KEY (unit, file, row_number))""",
        "CREATE INDEX survey_rows_id ON survey_rows (id)",
        """CREATE TABLE facts (
            id TEXT PRIMARY KEY,
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
        "CREATE INDEX people_unit ON people (unit, status)",
        # Per-unit membership: the units whose counts include a person (own survey rows, or the list's
        # unit for a person nobody surveyed).
        """CREATE TABLE memberships (
            unit TEXT NOT NULL,
            id TEXT NOT NULL,
            PRIMARY KEY (unit, id))""",
        """CREATE TABLE changes (
            change_id INTEGER PRIMARY KEY,
            run_id INTEGER NOT NULL REFERENCES runs(run_id),
            as_of TEXT NOT NULL,
            id TEXT NOT NULL,
            unit TEXT NOT NULL,
            field TEXT NOT NULL,
            old_value TEXT NOT NULL,
            new_value TEXT NOT NULL,
            source_kind TEXT NOT NULL,
            source_file TEXT NOT NULL,
            source_sha256 TEXT NOT NULL)""",
        "CREATE INDEX changes_id ON changes (id)",
        "CREATE INDEX changes_as_of ON changes (as_of)",
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
        conn = sqlite3.connect(path, isolation_level=None, timeout=30)
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
