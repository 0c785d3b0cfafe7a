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
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from coverage_xl import __version__
from coverage_xl.errors import InputError, OutputError
from coverage_xl.findings import FileReport
from coverage_xl.ledger import inputs as li
from coverage_xl.ledger.compute import BOOL_FIELDS, PEOPLE_FIELDS, Computed, compute
from coverage_xl.ledger.followups import CONTACT_COLUMNS, read_followups
from coverage_xl.ledger.statuses import StatusBook, load_statuses
from coverage_xl.ledger.store import connect, transaction
from coverage_xl.ledger.summary import json_summary, measures, unit_counts
from coverage_xl.units import Unit, default_units

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
class _Read:
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


def _frame(conn: sqlite3.Connection, table: str, columns: Iterable[str]) -> pd.DataFrame:
    cols = list(columns)
    rows = conn.execute(f"SELECT {', '.join(cols)} FROM {table}").fetchall()
    return pd.DataFrame(rows, columns=cols)


def _replace(conn: sqlite3.Connection, table: str, frame: pd.DataFrame) -> None:
    cols = list(frame.columns)
    conn.execute(f"DELETE FROM {table}")
    conn.executemany(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                     frame.itertuples(index=False, name=None))


def _record_inputs(conn: sqlite3.Connection, run_id: int, kind: str, files: list[li.InputFile], replace: bool) -> None:
    """Journal this run's files; ``sources`` keeps the files of the current snapshot of ``kind`` (the run
    that first brought a file's present content stays its run, so the same inputs change nothing)."""
    if replace:
        names = [f.name for f in files]
        conn.execute(f"DELETE FROM sources WHERE kind = ? AND name NOT IN ({', '.join('?' * len(names))})",
                     (kind, *names))
    for f in files:
        conn.execute("INSERT INTO run_inputs (run_id, kind, name, sha256, rows) VALUES (?, ?, ?, ?, ?) "
                     "ON CONFLICT (run_id, kind, name) DO NOTHING", (run_id, kind, f.name, f.sha256, f.rows))
        conn.execute("INSERT INTO sources (kind, name, sha256, run_id) VALUES (?, ?, ?, ?) "
                     "ON CONFLICT (kind, name) DO UPDATE SET sha256 = excluded.sha256, run_id = excluded.run_id "
                     "WHERE sources.sha256 <> excluded.sha256", (kind, f.name, f.sha256, run_id))


def _text(field_name: str, value: object) -> str:
    if field_name in BOOL_FIELDS:
        return "1" if value else "0"
    return "" if value is None else str(value)


def _diff(old: pd.DataFrame, new: Computed, run_id: int, as_of: dt.date, digests: dict[tuple[str, str], str]
          ) -> tuple[list[tuple[Any, ...]], pd.DataFrame]:
    """Change-log rows, and the new people rows that differ from the stored ones (to be written)."""
    people = new.people
    src = new.sources.set_index("id")
    merged = people.merge(old, on="id", how="outer", suffixes=("", "_old"), indicator="where")
    rows: list[tuple[Any, ...]] = []

    def cite(pid: str, kind: str) -> tuple[str, str, str]:
        name = src.at[pid, _SOURCE_COLUMN[kind]] if pid in src.index else ""
        return kind, name, digests.get((kind, name), "")

    def status_kind(status: str) -> str:
        return _STATUS_SOURCE.get(status, li.SURVEY)

    changed_ids: set[str] = set()
    for rec in merged.itertuples(index=False):
        r = rec._asdict()
        pid, where = r["id"], r["where"]
        if where == "left_only":  # a new person
            changed_ids.add(pid)
            rows.append((run_id, as_of.isoformat(), pid, r["unit"], "status", "", r["status"],
                         *cite(pid, status_kind(r["status"]))))
            continue
        if where == "right_only":  # no longer on the list nor in any survey
            rows.append((run_id, as_of.isoformat(), pid, r["unit_old"], "status", r["status_old"], "",
                         li.LIST, "", ""))
            continue
        differs = False
        for fname in PEOPLE_FIELDS[1:]:
            a, b = _text(fname, r[fname]), _text(fname, r[f"{fname}_old"])
            if a == b:
                continue
            differs = True
            if fname not in LOGGED_FIELDS:
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
            rows.append((run_id, as_of.isoformat(), pid, r["unit"], fname, b, a, *cite(pid, kind)))
        if differs:
            changed_ids.add(pid)
    return rows, people[people["id"].isin(changed_ids)]


def _read_inputs(lists: list[Path], survey: Path | list[Path] | None, registrations: list[Path], payments: list[Path],
                 followups: Path | list[Path] | None, as_of: dt.date, year: int, units: tuple[Unit, ...]) -> _Read:
    r = _Read()
    if lists:
        r.list_input = li.read_province_list(lists, units)
    if survey is not None:
        r.survey = li.read_survey(survey, as_of, units)
        if not r.survey.files:
            raise InputError(f"“{survey}”中没有可计入的摸底表（附件3）：台账未更新。")
    if bool(registrations) != bool(payments):
        raise InputError("参保登记导出和缴费导出须一起提供（已缴费须以已登记为前提）：台账未更新。")
    if registrations or payments:
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

    Raises :class:`InputError` (a list or survey that cannot be used, no input at all on the first
    run) or :class:`OutputError` (the database cannot be written); the ledger is then unchanged.
    Export files that cannot be used are reported in ``problems`` and the others still count."""
    as_of = as_of or dt.date.today()
    year = campaign_year or as_of.year
    units = units or default_units()
    book = statuses if isinstance(statuses, StatusBook) else load_statuses(statuses)
    survey_arg = survey if survey is None or isinstance(survey, str | Path) else [Path(p) for p in survey]
    followup_arg = followups if followups is None or isinstance(followups, str | Path) else [Path(p) for p in followups]
    read = _read_inputs(_as_list(lists), survey_arg, _as_list(registrations), _as_list(payments), followup_arg,
                        as_of, year, units)
    ledger = Path(ledger)
    conn = connect(ledger)
    try:
        return _apply(conn, ledger, read, as_of, year, book, units)
    except sqlite3.Error as exc:
        raise OutputError(f"台账“{ledger}”更新失败，已全部撤销，台账保持更新前的状态：{exc}") from exc
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
        if first_run and read.list_input is None and read.survey is None:
            raise InputError("第一次建立台账须提供省下发核实名单（--list）或摸底表文件夹（--survey）。")
        cur = conn.execute("INSERT INTO runs (started_at, as_of, campaign_year, tool_version) VALUES (?, ?, ?, ?)",
                           (dt.datetime.now().isoformat(timespec="seconds"), as_of.isoformat(), year, __version__))
        run_id = int(cur.lastrowid)
        if read.list_input is not None:
            _replace(conn, "list_people", read.list_input.people)
            _record_inputs(conn, run_id, li.LIST, read.list_input.files, replace=True)
            result_inputs += read.list_input.files
            if read.list_input.unkeyed_rows:
                notes.append(f"省名单中有{read.list_input.unkeyed_rows}行没有身份证号码，未计入台账")
            if read.list_input.no_unit:
                notes.append(f"省名单中有{read.list_input.no_unit}人无法识别所属单位（既无乡镇列也无法从户籍地址识别）")
        if read.survey is not None:
            _replace(conn, "survey_rows", read.survey.rows)
            _record_inputs(conn, run_id, li.SURVEY, read.survey.files, replace=True)
            result_inputs += read.survey.files
            missing = {u.name for u in read.survey.batch.missing_units()}
            for name, why in read.survey.batch.unit_problems().items():
                (notes if name in missing else problems).append(f"{name}：{why}")
            if read.survey.unkeyed_rows:
                notes.append(f"摸底表中有{read.survey.unkeyed_rows}行没有身份证号码，未计入台账")
        if read.facts is not None:
            _replace(conn, "facts", read.facts.facts)
            for kind in (li.REGISTRATION, li.PAYMENT):
                _record_inputs(conn, run_id, kind, [f for f in read.facts.files if f.kind == kind], replace=True)
            result_inputs += read.facts.files
            problems += read.facts.problems
            warnings += read.facts.warnings
        reports: list[FileReport] = []
        if read.followups is not None:
            fu = read.followups
            reports = fu.reports
            files = [li.InputFile(li.FOLLOWUP, p, digest, n) for p, digest, n in fu.files]
            _record_inputs(conn, run_id, li.FOLLOWUP, files, replace=False)
            result_inputs += files
            conn.executemany(
                f"INSERT INTO contacts ({', '.join(CONTACT_COLUMNS)}, run_id) VALUES ({', '.join('?' * len(CONTACT_COLUMNS))}, ?) "
                "ON CONFLICT (id, contact_date, method, result, reason, signed, remark) DO NOTHING",
                [(*t, run_id) for t in fu.contacts.itertuples(index=False, name=None)])

        list_people = _frame(conn, "list_people", li.LIST_COLUMNS)
        computed = compute(list_people, _frame(conn, "survey_rows", li.SURVEY_COLUMNS),
                           _frame(conn, "facts", li.FACT_COLUMNS), _frame(conn, "contacts", CONTACT_COLUMNS),
                           book, units)
        old = _frame(conn, "people", PEOPLE_FIELDS)
        for col in BOOL_FIELDS:
            old[col] = old[col].astype(bool)
        digests = {(k, n): s for k, n, s in conn.execute("SELECT kind, name, sha256 FROM sources")}
        changes, changed = _diff(old, computed, run_id, as_of, digests)
        conn.executemany(
            "INSERT INTO changes (run_id, as_of, id, unit, field, old_value, new_value, source_kind, source_file,"
            " source_sha256) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", changes)
        gone = set(old["id"]) - set(computed.people["id"])
        logged = {c[2] for c in changes}
        kept = {pid: (first, run, day) for pid, first, run, day in
                conn.execute("SELECT id, first_run, last_change_run, last_change_date FROM people")}
        rows = []
        for rec in changed.itertuples(index=False, name=None):
            pid = rec[0]
            first, last_run, last_day = kept.get(pid, (run_id, run_id, as_of.isoformat()))
            if pid in logged:
                last_run, last_day = run_id, as_of.isoformat()
            rows.append((*(int(v) if isinstance(v, bool | np.bool_) else v for v in rec), first, last_run, last_day))
        conn.executemany("DELETE FROM people WHERE id = ?", [(i,) for i in sorted(gone)])
        conn.executemany("DELETE FROM people WHERE id = ?", [(i,) for i in changed["id"]])
        conn.executemany(
            f"INSERT INTO people ({', '.join(PEOPLE_FIELDS)}, first_run, last_change_run, last_change_date) "
            f"VALUES ({', '.join('?' * (len(PEOPLE_FIELDS) + 3))})", rows)
        _replace(conn, "memberships", computed.memberships)
        per_unit = unit_counts(computed.people, computed.memberships, list_people["unit"], book, units)
        conn.execute("DELETE FROM unit_counts WHERE as_of = ?", (as_of.isoformat(),))
        conn.executemany("INSERT INTO unit_counts (as_of, unit, measure, count, run_id) VALUES (?, ?, ?, ?, ?)",
                         [(as_of.isoformat(), u, m, row[m], run_id) for u, row in per_unit.items()
                          for m in measures(book)])
        conn.execute("UPDATE runs SET changes = ? WHERE run_id = ?", (len(changes), run_id))
    return UpdateResult(ledger, run_id, as_of, year, len(changes), len(computed.people), per_unit, result_inputs,
                        reports, problems, warnings, notes)
