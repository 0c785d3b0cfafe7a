"""What the ledger's exports show, read back from the database (no drawing here).

Each function answers one question a clerk or the bureau asks of the ledger: a unit's people with
their status and last change, the per-unit counts of every as-of date (week over week), the change
log of a date range, and the lists the notice asks for (未摸底, 名单外, 登记未缴费, 重复参保, 代缴
对象, 即将到龄). Labels come from the status file; IDs are returned in full and masked by the job
unless the user asked for them unmasked.

A city's ledger is about 120,000 people and as many change-log rows, so the people are never all
in memory at once: each list is one query (selected and sorted by SQLite) whose rows are made into
records as the sheet is drawn; only the small per-unit counts are a DataFrame.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from coverage_xl import idcard
from coverage_xl.errors import InputError
from coverage_xl.ledger.statuses import FLAG_CODES, StatusBook
from coverage_xl.ledger.store import connect
from coverage_xl.ledger.summary import LIST_TOTAL, SETTLED, UNKNOWN_UNIT, measures
from coverage_xl.tables import find_column, find_id_column, read_table
from coverage_xl.units import Unit

ASSISTED_KINDS = ("建档立卡", "低保", "特困", "重度残疾")
DEFAULT_AGE_MONTHS = 3
LEDGER_SUFFIXES = (".sqlite", ".sqlite3", ".db")
PEOPLE_COLUMNS = ("id", "name", "unit", "village", "address", "status", "settled", "off_list", "cross_unit_duplicate",
                  "duplicate_insurance", "last_contact", "last_change_date", "survey_units")
Record = dict[str, Any]

# Made once per export in the connection's temporary database: per person, the latest status change
# (for the 最近变更 column), and per unit, the people it counts (a unit's 台账 is then one indexed join).
_TEMP_TABLES = (
    "CREATE TEMP TABLE last_status (id TEXT PRIMARY KEY, as_of TEXT, old_value TEXT, new_value TEXT) WITHOUT ROWID",
    """INSERT INTO temp.last_status SELECT c.id, c.as_of, c.old_value, c.new_value FROM changes c JOIN
       (SELECT id, MAX(change_id) AS last FROM changes WHERE field = 'status' GROUP BY id) m ON c.change_id = m.last""",
    "CREATE TEMP TABLE membership (unit TEXT NOT NULL, id TEXT NOT NULL, PRIMARY KEY (unit, id)) WITHOUT ROWID",
)
_SELECT = (f"SELECT {', '.join('p.' + c for c in PEOPLE_COLUMNS)}, "
           "COALESCE(s.as_of, ''), COALESCE(s.old_value, ''), COALESCE(s.new_value, '') ")
_LAST = "LEFT JOIN temp.last_status s ON s.id = p.id"
_BY_UNIT = "p.unit, p.village, p.address, p.name, p.id"


@dataclass
class LedgerView:
    """The ledger as the exports need it: the as-of dates and per-unit counts in memory, the people
    queried list by list through an open connection (close it, or use the view as a context manager)."""

    path: Path
    dates: list[str]  # as-of dates with counts, oldest first
    counts: pd.DataFrame  # as_of, unit, measure, count
    book: StatusBook
    conn: sqlite3.Connection = field(repr=False)
    _ready: bool = field(default=False, repr=False)
    _labels: dict[str, str] = field(default_factory=dict, repr=False)

    def __enter__(self) -> LedgerView:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.conn.close()

    @property
    def as_of(self) -> dt.date:
        return dt.date.fromisoformat(self.dates[-1])

    def counts_on(self, day: str) -> dict[str, dict[str, int]]:
        c = self.counts[self.counts["as_of"] == day]
        out: dict[str, dict[str, int]] = {}
        for unit, measure, n in zip(c["unit"], c["measure"], c["count"], strict=True):
            out.setdefault(unit, {})[measure] = int(n)
        return out

    def _prepare(self) -> None:
        """The temporary tables, once: memberships are every unit whose survey rows hold a person, or
        the list's unit for someone nobody surveyed — the memberships the per-unit counts were made of."""
        if self._ready:
            return
        for stmt in _TEMP_TABLES:
            self.conn.execute(stmt)
        rows = self.conn.execute("SELECT id, unit, survey_units FROM people")
        self.conn.executemany("INSERT OR IGNORE INTO temp.membership (unit, id) VALUES (?, ?)", (
            (u or UNKNOWN_UNIT, pid) for pid, unit, surveyed in rows for u in (surveyed.split("、") if surveyed else [unit])))
        self._ready = True

    def _label(self, code: str) -> str:
        """``book.label`` for each person's status, flags and last change, looked up once per code."""
        if code not in self._labels:
            self._labels[code] = self.book.label(code)
        return self._labels[code]

    def units_in_ledger(self, units: tuple[Unit, ...]) -> list[str]:
        """The units with people in the ledger: Annex 1 order, then the others by name."""
        self._prepare()
        have = {u for (u,) in self.conn.execute("SELECT DISTINCT unit FROM temp.membership")}
        names = [u.name for u in units if u.name in have]
        return names + sorted(have - set(names))

    def unit_people(self, unit: str) -> list[Record]:
        """The people counted in ``unit`` (its own survey rows + the list's unsurveyed), by village
        (people without a village last), then address, name and ID."""
        self._prepare()
        rows = self.conn.execute(
            f"{_SELECT} FROM temp.membership m JOIN people p ON p.id = m.id {_LAST} WHERE m.unit = ? "
            "ORDER BY p.village = '', p.village, p.address, p.name, p.id", (unit,))
        return [self._record(row) for row in rows]

    def people(self, where: str = "", params: dict[str, Any] | tuple = ()) -> list[Record]:
        """Records of the people a ``WHERE … ORDER BY …`` clause (on ``people p``) selects."""
        self._prepare()
        return [self._record(row) for row in self.conn.execute(f"{_SELECT} FROM people p {_LAST} {where}", params)]

    def _record(self, row: tuple) -> Record:
        rec = dict(zip(PEOPLE_COLUMNS, row, strict=False))
        label = self._label
        rec["status_label"] = label(rec["status"])
        rec["flags"] = "、".join(label(f) for f in FLAG_CODES if rec[f])
        day, old, new = row[len(PEOPLE_COLUMNS):]
        rec["last_change"] = f"{day} {label(old) if old else '（新增）'}→{label(new)}" if day else ""
        return rec


def open_view(path: str | Path, book: StatusBook) -> LedgerView:
    conn = connect(path, create=False)
    try:
        counts = pd.DataFrame(conn.execute("SELECT as_of, unit, measure, count FROM unit_counts").fetchall(),
                              columns=["as_of", "unit", "measure", "count"])
        empty = conn.execute("SELECT NOT EXISTS (SELECT 1 FROM people)").fetchone()[0]
    except BaseException:
        conn.close()
        raise
    if empty or counts.empty:
        conn.close()
        raise InputError(f"台账“{path}”中还没有任何人员。请先运行 coverage-xl ledger update。")
    return LedgerView(Path(path), sorted(counts["as_of"].unique()), counts, book, conn)


def summary_table(view: LedgerView, units: tuple[Unit, ...], day: str | None = None) -> pd.DataFrame:
    """台账汇总: one row per unit (Annex 1 order), the status counts, flags, settled, 销号率, list total;
    then 合计 (the sum of the rows)."""
    day = day or view.dates[-1]
    per_unit = view.counts_on(day)
    names = [u.name for u in units] + [u for u in per_unit if u not in {x.name for x in units}]
    cols = measures(view.book)
    rows = [[name, *(per_unit.get(name, {}).get(m, 0) for m in cols)] for name in names]
    frame = pd.DataFrame(rows, columns=["unit", *cols])
    total = frame[cols].sum()
    frame.loc[len(frame)] = ["合计", *(int(total[c]) for c in cols)]
    frame["people"] = frame[list(view.book.codes)].sum(axis=1)
    frame["settled_rate"] = [s / n if n else float("nan") for s, n in zip(frame[SETTLED], frame["people"], strict=True)]
    return frame


def week_over_week(view: LedgerView, units: tuple[Unit, ...], weeks: int = 6) -> pd.DataFrame:
    """Per unit, settled and 销号率 on each of the last ``weeks`` as-of dates, and the change since the
    previous one."""
    dates = view.dates[-weeks:]
    rows = []
    tables = {d: summary_table(view, units, d).set_index("unit") for d in dates}
    for unit in tables[dates[-1]].index:
        row: dict[str, object] = {"unit": unit}
        for d in dates:
            t = tables[d]
            row[f"{d}|settled"] = int(t.at[unit, SETTLED]) if unit in t.index else 0
            row[f"{d}|rate"] = t.at[unit, "settled_rate"] if unit in t.index else float("nan")
        last, prev = dates[-1], dates[-2] if len(dates) > 1 else None
        row["change"] = row[f"{last}|settled"] - (row[f"{prev}|settled"] if prev else 0)
        rows.append(row)
    return pd.DataFrame(rows)


CHANGE_COLUMNS = ("as_of", "unit", "name", "id", "field", "old_value", "new_value", "source_kind", "source_file",
                  "source_sha256", "run_id")
_CHANGES = ("FROM change_log c LEFT JOIN people p ON p.id = c.id WHERE c.as_of >= ? AND c.as_of <= ?")


def change_log(view: LedgerView, start: dt.date | None, end: dt.date | None) -> tuple[int, Iterator[Record]]:
    """The change log between two as-of dates (inclusive), oldest first, with each person's name:
    how many rows, and the rows as they are read."""
    bounds = ((start or dt.date.min).isoformat(), (end or dt.date.max).isoformat())
    n = view.conn.execute("SELECT COUNT(*) FROM changes WHERE as_of >= ? AND as_of <= ?", bounds).fetchone()[0]
    rows = view.conn.execute(
        "SELECT c.as_of, c.unit, COALESCE(p.name, ''), c.id, c.field, c.old_value, c.new_value, c.source_kind,"
        f" c.source_file, c.source_sha256, c.run_id {_CHANGES} ORDER BY c.change_id", bounds)
    return n, (dict(zip(CHANGE_COLUMNS, row, strict=True)) for row in rows)


def signed_ids(path: str | Path) -> set[str]:
    """The people with a signed 意愿书 recorded in the ledger (for the progress definition ``signed``)."""
    conn = connect(path, create=False)
    try:
        return {pid for (pid,) in conn.execute("SELECT id FROM people WHERE signed = 1")}
    finally:
        conn.close()


def with_status(view: LedgerView, status: str) -> list[Record]:
    return view.people(f"WHERE p.status = ? ORDER BY {_BY_UNIT}", (status,))


def with_flag(view: LedgerView, flag: str) -> list[Record]:
    if flag not in FLAG_CODES:
        raise ValueError(flag)
    return view.people(f"WHERE p.{flag} ORDER BY {_BY_UNIT}")


def turning_sixty(view: LedgerView, as_of: dt.date, months: int = DEFAULT_AGE_MONTHS) -> list[Record]:
    """People who turn 60 after ``as_of`` and within ``months`` months (每月定期查询), by birthday.
    SQLite picks the IDs born near the window (a few days' margin); the dates decide."""
    end = _add_months(as_of, months)
    lo = (dt.date(as_of.year - 60, as_of.month, 1) - dt.timedelta(days=3)).strftime("%Y%m%d")
    hi = (_add_months(dt.date(end.year - 60, end.month, 1), 1) + dt.timedelta(days=3)).strftime("%Y%m%d")
    out = []
    for rec in view.people("WHERE length(p.id) = 18 AND substr(p.id, 7, 8) BETWEEN ? AND ?", (lo, hi)):
        born = idcard.birth_date(rec["id"])
        sixty = _add_years(born, 60) if born else None
        if sixty is not None and as_of < sixty <= end:
            rec["birth"], rec["sixty"] = born.isoformat(), sixty.isoformat()
            out.append(rec)
    return sorted(out, key=lambda r: (r["sixty"], r["unit"], r["village"], r["id"]))


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February → 1 March
        return dt.date(day.year + years, 3, 1)


def _add_months(day: dt.date, months: int) -> dt.date:
    m = day.month - 1 + months
    y, m = day.year + m // 12, m % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return dt.date(y, m, d)
        except ValueError:
            continue
    raise ValueError(day)


def assisted_people(view: LedgerView, files: Iterable[str | Path]) -> pd.DataFrame:
    """代缴对象: the ledger's people marked 建档立卡/低保/特困/重度残疾 in a comparison file; the
    category from a column holding one of those words, else from the file name. ``paid`` says who has
    reached 已缴费 (due by the end of October)."""
    from coverage_xl import exports as ex

    found: dict[str, str] = {}
    for path in map(Path, files):
        df = read_table(path)
        id_col = find_id_column(df)
        if id_col is None:
            raise InputError(f"代缴对象比对文件“{path.name}”中找不到身份证号码列。")
        kind_col = find_column(df, ("人员类别", "类别", "困难类别", "对象类别", "代缴类别"), ("类别",))
        default = next((k for k in ASSISTED_KINDS if k in path.stem), "")
        for raw, kind in zip(df[id_col], df[kind_col] if kind_col else [default] * len(df), strict=True):
            kind = next((k for k in ASSISTED_KINDS if k in str(kind)), default)
            pid = ex.match_key(raw)
            if pid and kind:
                found.setdefault(pid, kind)
    out = []
    for rec in view.people():
        kind = found.get(rec["id"])
        if kind:
            rec["assisted_kind"], rec["paid"] = kind, rec["status"] == "paid"
            out.append(rec)
    return sorted(out, key=lambda r: (r["paid"], r["unit"], r["village"], r["id"]))


__all__ = ["LIST_TOTAL", "LedgerView", "assisted_people", "change_log", "open_view", "summary_table",
           "turning_sixty", "week_over_week", "with_flag", "with_status"]
