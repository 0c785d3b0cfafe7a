"""``update_ledger``: read the inputs given, recompute every person, and record what changed.

One call is one run and one transaction. The inputs are read first (outside the transaction: that
is where the time goes and where bad files are found); then, in a single ``BEGIN IMMEDIATE``:
the snapshot of each input kind given is replaced (kinds not given keep last week's), every person
is recomputed from all snapshots (:mod:`coverage_xl.ledger.compute`), compared with the stored
person, and each difference becomes one row of the append-only change log, citing the input file
(name and SHA-256) whose fact decided it. Any failure rolls the whole run back; the same inputs run
again find no difference and write no change.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from coverage_xl import __version__
from coverage_xl import exports as ex
from coverage_xl.errors import InputError, OutputError
from coverage_xl.findings import FileReport
from coverage_xl.ledger import inputs as li
from coverage_xl.ledger.compute import BOOL_FIELDS, PEOPLE_FIELDS, Computed, compute
from coverage_xl.ledger.followups import CONTACT_COLUMNS, read_followups
from coverage_xl.ledger.statuses import StatusBook, load_statuses
from coverage_xl.ledger.store import checkpoint, connect, transaction
from coverage_xl.ledger.summary import json_summary, measures, unit_counts
from coverage_xl.survey import sha256_of
from coverage_xl.units import Unit, default_units
from coverage_xl.validate import spreadsheet_files

FACTS = li.FACTS
# Fields whose change is logged, and the input kind whose file is cited for it.
LOGGED_FIELDS = ("status", "settled", "unit", "off_list", "cross_unit_duplicate", "duplicate_insurance",
                 "last_contact")
_STATUS_SOURCE = {"paid": li.PAYMENT, "drawing": li.REGISTRATION, "registered_unpaid": li.REGISTRATION,
                  "not_surveyed": li.LIST}
_FIELD_SOURCE = {"off_list": li.LIST, "cross_unit_duplicate": li.SURVEY, "duplicate_insurance": li.SURVEY,
                 "last_contact": li.FOLLOWUP}
_SOURCE_COLUMN = {li.LIST: "list_file", li.SURVEY: "survey_file", li.REGISTRATION: "registration_file",
                  li.PAYMENT: "payment_file", li.FOLLOWUP: "followup_file"}


@dataclass
class UpdateResult:
    ledger: Path
    run_id: int
    as_of: dt.date
    campaign_year: int
    changes: int
    people: int
    per_unit: dict[str, dict[str, int]]
    inputs: list[li.InputFile] = field(default_factory=list)
    followup_reports: list[FileReport] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # inputs that could not be used (Chinese)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # counts a clerk should see (rows without an ID …)

    def summary(self) -> dict[str, Any]:
        return json_summary(self.as_of, self.per_unit, self.people, self.changes)


@dataclass
class _Given:
    """One input kind given on this run: its files (hashed) and their fingerprint."""

    kind: str
    files: list[tuple[Path, str]]  # (path, sha256)
    fingerprint: str
    unchanged: bool = False  # the same files as the stored snapshot: not read, not rewritten


@dataclass
class _Read:
    given: dict[str, _Given] = field(default_factory=dict)
    list_input: li.ListInput | None = None
    survey: li.SurveyInput | None = None
    facts: li.FactsInput | None = None
    followups: Any = None


def _as_list(v: str | Path | Iterable[str | Path] | None) -> list[Path]:
    if v is None:
        return []
    if isinstance(v, str | Path):
        return [Path(v)]
    return [Path(p) for p in v]


def _given(kind: str, files: list[Path], extra: str = "") -> _Given:
    hashed = []
    for f in files:
        if not f.is_file():
            raise InputError(f"找不到{li.KIND_LABELS[kind]}文件“{f}”。")
        hashed.append((f, sha256_of(f)))
    text = "\n".join(sorted(f"{p.name}\t{h}" for p, h in hashed)) + f"\n{extra}"
    return _Given(kind, hashed, hashlib.sha256(text.encode("utf-8")).hexdigest())


def _rows(frame: pd.DataFrame) -> list[tuple[Any, ...]]:
    """Plain Python rows for executemany (numpy scalars and pandas' iterators are slow or unbindable)."""
    cols = []
    for c in frame.columns:
        values = frame[c].to_numpy()
        cols.append(values.astype(int).tolist() if values.dtype == bool else values.tolist())
    return list(zip(*cols, strict=True)) if cols else []


def _frame(conn: sqlite3.Connection, table: str, columns: Iterable[str]) -> pd.DataFrame:
    cols = list(columns)
    rows = conn.execute(f"SELECT {', '.join(cols)} FROM {table}").fetchall()
    return pd.DataFrame(rows, columns=cols)


def _replace(conn: sqlite3.Connection, table: str, frame: pd.DataFrame) -> None:
    cols = list(frame.columns)
    conn.execute(f"DELETE FROM {table}")
    conn.executemany(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})", _rows(frame))


def _source_id(conn: sqlite3.Connection, kind: str, name: str, sha: str) -> int:
    conn.execute("INSERT INTO input_files (kind, name, sha256) VALUES (?, ?, ?) "
                 "ON CONFLICT (kind, name, sha256) DO NOTHING", (kind, name, sha))
    return int(conn.execute("SELECT source_id FROM input_files WHERE kind = ? AND name = ? AND sha256 = ?",
                            (kind, name, sha)).fetchone()[0])


def _record_inputs(conn: sqlite3.Connection, run_id: int, kind: str, files: list[tuple[Path, str, int]],
                   replace: bool) -> None:
    """Journal this run's files (rows read; 0 when the input was unchanged and not read again);
    ``replace``: they are now the current snapshot of ``kind`` (``sources``)."""
    if replace:
        conn.execute("DELETE FROM sources WHERE kind = ?", (kind,))
    for path, sha, rows in files:
        sid = _source_id(conn, kind, path.name, sha)
        conn.execute("INSERT INTO run_inputs (run_id, source_id, rows) VALUES (?, ?, ?) "
                     "ON CONFLICT (run_id, source_id) DO NOTHING", (run_id, sid, rows))
        if replace:
            conn.execute("INSERT INTO sources (kind, name, source_id) VALUES (?, ?, ?) "
                         "ON CONFLICT (kind, name) DO UPDATE SET source_id = excluded.source_id", (kind, path.name, sid))


def _set_snapshot(conn: sqlite3.Connection, g: _Given, run_id: int) -> None:
    conn.execute("DELETE FROM snapshots WHERE kind = ?", (g.kind,))
    conn.execute("INSERT INTO snapshots (kind, fingerprint, run_id) VALUES (?, ?, ?)", (g.kind, g.fingerprint, run_id))


def _clean(read: _Read, kind: str) -> bool:
    """False when this kind's input had a file that could not be used (a unit with two files, an
    unreadable export)."""
    if kind == li.SURVEY and read.survey is not None:
        missing = {u.name for u in read.survey.batch.missing_units()}
        return all(name in missing for name in read.survey.batch.unit_problems())
    if kind == FACTS and read.facts is not None:
        return not read.facts.problems
    return True


def _text(field_name: str, value: object) -> str:
    if field_name in BOOL_FIELDS:
        return "1" if value else "0"
    return "" if value is None else str(value)


def _diff(old: pd.DataFrame, new: Computed, run_id: int, as_of: dt.date, source_ids: dict[tuple[str, str], int]
          ) -> tuple[list[tuple[Any, ...]], pd.DataFrame]:
    """Change-log rows, and the new people rows that differ from the stored ones (to be written)."""
    people = new.people
    merged = people.merge(old, on="id", how="outer", suffixes=("", "_old"), indicator="where")
    # Only rows that are new, gone, or differ in some field are looked at one by one.
    both = (merged["where"] == "both").to_numpy()
    differs = ~both
    for fname in PEOPLE_FIELDS[1:]:
        a, b = merged[fname], merged[f"{fname}_old"]
        if fname in BOOL_FIELDS:
            a, b = a.fillna(False).astype(bool), b.fillna(False).astype(bool)
        else:
            a, b = a.fillna("").astype(str), b.fillna("").astype(str)
        differs |= both & (a.to_numpy() != b.to_numpy())
    todo = merged[differs]
    src = new.sources.set_index("id").reindex(todo["id"]).fillna("")
    files = {kind: dict(zip(src.index, src[col], strict=True)) for kind, col in _SOURCE_COLUMN.items()}
    rows: list[tuple[Any, ...]] = []
    day = as_of.isoformat()

    def cite(pid: str, kind: str) -> int | None:
        return source_ids.get((kind, files[kind].get(pid, "")))

    def status_kind(status: str) -> str:
        return _STATUS_SOURCE.get(status, li.SURVEY)

    changed_ids: set[str] = set()
    for rec in todo.itertuples(index=False):
        r = rec._asdict()
        pid, where = r["id"], r["where"]
        if where == "left_only":  # a new person
            changed_ids.add(pid)
            rows.append((run_id, day, pid, r["unit"], "status", "", r["status"], cite(pid, status_kind(r["status"]))))
            continue
        if where == "right_only":  # no longer on the list nor in any survey
            rows.append((run_id, day, pid, r["unit_old"], "status", r["status_old"], "", None))
            continue
        changed_ids.add(pid)
        for fname in LOGGED_FIELDS:
            a, b = _text(fname, r[fname]), _text(fname, r[f"{fname}_old"])
            if a == b:
                continue
            if fname == "status":
                kind = status_kind(r["status"])
            elif fname == "settled":
                kind = status_kind(r["status"]) if r["status"] != r["status_old"] else li.FOLLOWUP
            elif fname == "unit":
                kind = li.LIST if r["on_list"] else li.SURVEY
            elif fname == "duplicate_insurance" and r["registered"] != r["registered_old"]:
                kind = li.REGISTRATION
            else:
                kind = _FIELD_SOURCE[fname]
            rows.append((run_id, day, pid, r["unit"], fname, b, a, cite(pid, kind)))
    return rows, people[people["id"].isin(changed_ids)]


def _read_inputs(conn: sqlite3.Connection, lists: list[Path], survey: Path | list[Path] | None,
                 registrations: list[Path], payments: list[Path], followups: Path | list[Path] | None,
                 as_of: dt.date, year: int, units: tuple[Unit, ...]) -> _Read:
    """Hash what was given; read only the kinds whose files differ from the stored snapshot."""
    r = _Read()
    stored = dict(conn.execute("SELECT kind, fingerprint FROM snapshots").fetchall())
    if bool(registrations) != bool(payments):
        raise InputError("参保登记导出和缴费导出须一起提供（已缴费须以已登记为前提）：台账未更新。")
    if lists:
        r.given[li.LIST] = _given(li.LIST, lists)
    if survey is not None:
        folders = [survey] if isinstance(survey, Path) else survey
        found = [f for p in folders for f in (spreadsheet_files(p) if p.is_dir() else [p])]
        r.given[li.SURVEY] = _given(li.SURVEY, found)
    if registrations:
        files = ex.export_files(registrations) + ex.export_files(payments)
        r.given[FACTS] = _given(FACTS, files, extra=f"{year}\n{len(ex.export_files(registrations))}")
    for g in r.given.values():
        g.unchanged = stored.get(g.kind) == g.fingerprint
    if lists and not r.given[li.LIST].unchanged:
        r.list_input = li.read_province_list(lists, units)
    if survey is not None and not r.given[li.SURVEY].unchanged:
        r.survey = li.read_survey(survey, as_of, units)
        if not r.survey.files:
            raise InputError(f"“{survey}”中没有可计入的摸底表（附件3）：台账未更新。")
    if registrations and not r.given[FACTS].unchanged:
        r.facts = li.read_facts(registrations, payments, year)
    if followups is not None:
        r.followups = read_followups(followups, as_of, units)
    return r


def update_ledger(ledger: str | Path, *, lists: str | Path | Iterable[str | Path] | None = None,
                  survey: str | Path | Iterable[str | Path] | None = None,
                  registrations: str | Path | Iterable[str | Path] | None = None,
                  payments: str | Path | Iterable[str | Path] | None = None,
                  followups: str | Path | Iterable[str | Path] | None = None,
                  as_of: dt.date | None = None, campaign_year: int | None = None,
                  statuses: str | Path | StatusBook | None = None,
                  units: tuple[Unit, ...] | None = None) -> UpdateResult:
    """Update the ledger at ``ledger`` (created on first use) from the inputs given; see the module doc.

    An input given with exactly the files (names and contents) of the stored snapshot is not read
    again. Raises :class:`InputError` (a list or survey that cannot be used, no input at all on the
    first run) or :class:`OutputError` (the database cannot be written); the ledger is then unchanged.
    Export files that cannot be used are reported in ``problems`` and the others still count."""
    as_of = as_of or dt.date.today()
    year = campaign_year or as_of.year
    units = units or default_units()
    book = statuses if isinstance(statuses, StatusBook) else load_statuses(statuses)
    survey_arg = survey if survey is None or isinstance(survey, str | Path) else [Path(p) for p in survey]
    if isinstance(survey_arg, str):
        survey_arg = Path(survey_arg)
    followup_arg = followups if followups is None or isinstance(followups, str | Path) else [Path(p) for p in followups]
    ledger = Path(ledger)
    conn = connect(ledger)
    try:
        read = _read_inputs(conn, _as_list(lists), survey_arg, _as_list(registrations), _as_list(payments),
                            followup_arg, as_of, year, units)
        result = _apply(conn, ledger, read, as_of, year, book, units)
        if result.changes > 10_000:
            checkpoint(conn)
        return result
    except sqlite3.Error as exc:
        why = "另一处正在更新台账（同一时间只能有一处更新），请稍后再试" if "locked" in str(exc) else str(exc)
        raise OutputError(f"台账“{ledger}”更新失败，已全部撤销，台账保持更新前的状态：{why}") from exc
    finally:
        conn.close()


def _apply(conn: sqlite3.Connection, ledger: Path, read: _Read, as_of: dt.date, year: int, book: StatusBook,
           units: tuple[Unit, ...]) -> UpdateResult:
    result_inputs: list[li.InputFile] = []
    problems: list[str] = []
    warnings: list[str] = []
    notes: list[str] = []
    with transaction(conn):
        first_run = conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 0
        if first_run and li.LIST not in read.given and li.SURVEY not in read.given:
            raise InputError("第一次建立台账须提供省下发核实名单（--list）或摸底表文件夹（--survey）。")
        stored = dict(conn.execute("SELECT kind, fingerprint FROM snapshots").fetchall())
        if any(g.unchanged and stored.get(g.kind) != g.fingerprint for g in read.given.values()):
            raise InputError("台账在读取输入期间被另一次更新改动（同一时间只能有一处更新台账），请重新运行。")
        cur = conn.execute("INSERT INTO runs (started_at, as_of, campaign_year, tool_version) VALUES (?, ?, ?, ?)",
                           (dt.datetime.now().isoformat(timespec="seconds"), as_of.isoformat(), year, __version__))
        run_id = int(cur.lastrowid)
        for g in read.given.values():
            if g.unchanged:
                kinds = (li.REGISTRATION, li.PAYMENT) if g.kind == FACTS else (g.kind,)
                label = "、".join(li.KIND_LABELS[k] for k in kinds)
                notes.append(f"{label}与上次相同，未重新读取")
                unchanged = [(p, h, 0) for p, h in g.files]
                for kind in kinds:
                    known = {n for (n,) in conn.execute("SELECT name FROM sources WHERE kind = ?", (kind,))}
                    _record_inputs(conn, run_id, kind, [f for f in unchanged if f[0].name in known], replace=False)
            elif _clean(read, g.kind):
                _set_snapshot(conn, g, run_id)
            else:  # an input with a problem is read again next time, so the problem is reported again
                conn.execute("DELETE FROM snapshots WHERE kind = ?", (g.kind,))
        if read.list_input is not None:
            _replace(conn, "list_people", read.list_input.people)
            files = read.list_input.files
            _record_inputs(conn, run_id, li.LIST, [(f.path, f.sha256, f.rows) for f in files], replace=True)
            result_inputs += files
            if read.list_input.unkeyed_rows:
                notes.append(f"省名单中有{read.list_input.unkeyed_rows}行没有身份证号码，未计入台账")
            if read.list_input.no_unit:
                notes.append(f"省名单中有{read.list_input.no_unit}人无法识别所属单位（既无乡镇列也无法从户籍地址识别）")
        if read.survey is not None:
            _replace(conn, "survey_rows", read.survey.rows)
            files = read.survey.files
            _record_inputs(conn, run_id, li.SURVEY, [(f.path, f.sha256, f.rows) for f in files], replace=True)
            result_inputs += files
            missing = {u.name for u in read.survey.batch.missing_units()}
            for name, why in read.survey.batch.unit_problems().items():
                (notes if name in missing else problems).append(f"{name}：{why}")
            if read.survey.unkeyed_rows:
                notes.append(f"摸底表中有{read.survey.unkeyed_rows}行没有身份证号码，未计入台账")
        if read.facts is not None:
            _replace(conn, "facts", read.facts.facts)
            for kind in (li.REGISTRATION, li.PAYMENT):
                _record_inputs(conn, run_id, kind, [(f.path, f.sha256, f.rows) for f in read.facts.files
                                                    if f.kind == kind], replace=True)
            result_inputs += read.facts.files
            problems += read.facts.problems
            warnings += read.facts.warnings
        reports: list[FileReport] = []
        if read.followups is not None:
            fu = read.followups
            reports = fu.reports
            _record_inputs(conn, run_id, li.FOLLOWUP, [(p, digest, n) for p, digest, n in fu.files], replace=True)
            result_inputs += [li.InputFile(li.FOLLOWUP, p, digest, n) for p, digest, n in fu.files]
            conn.executemany(
                f"INSERT INTO contacts ({', '.join(CONTACT_COLUMNS)}, run_id) VALUES ({', '.join('?' * len(CONTACT_COLUMNS))}, ?) "
                "ON CONFLICT (id, contact_date, method, result, reason, signed, remark) DO NOTHING",
                [(*t, run_id) for t in _rows(fu.contacts)])

        list_people = _frame(conn, "list_people", li.LIST_COLUMNS)
        computed = compute(list_people, _frame(conn, "survey_rows", li.SURVEY_COLUMNS),
                           _frame(conn, "facts", li.FACT_COLUMNS), _frame(conn, "contacts", CONTACT_COLUMNS),
                           book, units)
        old = _frame(conn, "people", PEOPLE_FIELDS)
        for col in BOOL_FIELDS:
            old[col] = old[col].astype(bool)
        source_ids = {(k, n): i for k, n, i in conn.execute("SELECT kind, name, source_id FROM sources")}
        changes, changed = _diff(old, computed, run_id, as_of, source_ids)
        conn.executemany("INSERT INTO changes (run_id, as_of, id, unit, field, old_value, new_value, source_id) "
                         "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", changes)
        gone = set(old["id"]) - set(computed.people["id"])
        logged = {c[2] for c in changes}
        kept = {pid: (first, run, day) for pid, first, run, day in
                conn.execute("SELECT id, first_run, last_change_run, last_change_date FROM people")}
        rows = []
        for rec in _rows(changed):
            pid = rec[0]
            first, last_run, last_day = kept.get(pid, (run_id, run_id, as_of.isoformat()))
            if pid in logged:
                last_run, last_day = run_id, as_of.isoformat()
            rows.append((*rec, first, last_run, last_day))
        conn.executemany("DELETE FROM people WHERE id = ?", [(i,) for i in sorted(gone)])
        conn.executemany("DELETE FROM people WHERE id = ?", [(i,) for i in changed["id"]])
        conn.executemany(
            f"INSERT INTO people ({', '.join(PEOPLE_FIELDS)}, first_run, last_change_run, last_change_date) "
            f"VALUES ({', '.join('?' * (len(PEOPLE_FIELDS) + 3))})", rows)
        per_unit = unit_counts(computed.people, computed.memberships, list_people["unit"], book, units)
        counts = {(u, m): row[m] for u, row in per_unit.items() for m in measures(book)}
        stored_counts = {(u, m): n for u, m, n in conn.execute(
            "SELECT unit, measure, count FROM unit_counts WHERE as_of = ?", (as_of.isoformat(),))}
        if counts != stored_counts:
            conn.execute("DELETE FROM unit_counts WHERE as_of = ?", (as_of.isoformat(),))
            conn.executemany("INSERT INTO unit_counts (as_of, unit, measure, count, run_id) VALUES (?, ?, ?, ?, ?)",
                             [(as_of.isoformat(), u, m, n, run_id) for (u, m), n in counts.items()])
        conn.execute("UPDATE runs SET changes = ? WHERE run_id = ?", (len(changes), run_id))
    return UpdateResult(ledger, run_id, as_of, year, len(changes), len(computed.people), per_unit, result_inputs,
                        reports, problems, warnings, notes)
