"""What the ledger's exports show, read back from the database as DataFrames (no drawing here).

Each function answers one question a clerk or the bureau asks of the ledger: a unit's people with
their status and last change, the per-unit counts of every as-of date (week over week), the change
log of a date range, and the lists the notice asks for (未摸底, 名单外, 登记未缴费, 重复参保, 代缴
对象, 即将到龄). Labels come from the status file; IDs are returned in full and masked by the writer
unless the user asked for them unmasked.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

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


@dataclass
class LedgerView:
    """The ledger as the exports need it: people, memberships, the as-of dates, the latest counts."""

    path: Path
    people: pd.DataFrame  # PEOPLE_COLUMNS + status_label, flags (text), last_change (text)
    memberships: pd.DataFrame  # unit, id
    dates: list[str]  # as-of dates with counts, oldest first
    counts: pd.DataFrame  # as_of, unit, measure, count
    book: StatusBook

    @property
    def as_of(self) -> dt.date:
        return dt.date.fromisoformat(self.dates[-1])

    def unit_people(self, unit: str) -> pd.DataFrame:
        """The people counted in ``unit`` (its own survey rows + the list's unsurveyed), by village."""
        ids = self.memberships.loc[self.memberships["unit"] == unit, "id"]
        p = self.people[self.people["id"].isin(ids)].copy()
        p["_no_village"] = p["village"] == ""
        return p.sort_values(["_no_village", "village", "address", "name", "id"]).drop(columns="_no_village")

    def units_in_ledger(self, units: tuple[Unit, ...]) -> list[str]:
        have = set(self.memberships["unit"])
        names = [u.name for u in units if u.name in have]
        return names + sorted(have - set(names))

    def counts_on(self, day: str) -> dict[str, dict[str, int]]:
        c = self.counts[self.counts["as_of"] == day]
        out: dict[str, dict[str, int]] = {}
        for unit, measure, n in zip(c["unit"], c["measure"], c["count"], strict=True):
            out.setdefault(unit, {})[measure] = int(n)
        return out


def _last_changes(conn: sqlite3.Connection) -> dict[str, str]:
    """Per person, the latest change-log entry as text (date: field old → new)."""
    rows = conn.execute(
        "SELECT c.id, c.as_of, c.field, c.old_value, c.new_value FROM changes c JOIN "
        "(SELECT id, MAX(change_id) AS last FROM changes WHERE field = 'status' GROUP BY id) m "
        "ON c.change_id = m.last").fetchall()
    return {pid: (day, old, new) for pid, day, _f, old, new in rows}


def memberships_of(people: pd.DataFrame) -> pd.DataFrame:
    """(unit, id): every unit whose survey rows hold a person, or the list's unit for someone nobody
    surveyed — the same memberships the per-unit counts were made of."""
    surveyed = people[people["survey_units"] != ""]
    pairs = surveyed[["id", "survey_units"]].assign(unit=surveyed["survey_units"].str.split("、")).explode("unit")
    rest = people.loc[people["survey_units"] == "", ["unit", "id"]]
    out = pd.concat([pairs[["unit", "id"]], rest], ignore_index=True)
    out["unit"] = out["unit"].replace("", UNKNOWN_UNIT)
    return out


def open_view(path: str | Path, book: StatusBook) -> LedgerView:
    conn = connect(path, create=False)
    try:
        people = pd.DataFrame(conn.execute(f"SELECT {', '.join(PEOPLE_COLUMNS)} FROM people").fetchall(),
                              columns=list(PEOPLE_COLUMNS))
        counts = pd.DataFrame(conn.execute("SELECT as_of, unit, measure, count FROM unit_counts").fetchall(),
                              columns=["as_of", "unit", "measure", "count"])
        last = _last_changes(conn)
    finally:
        conn.close()
    if people.empty or counts.empty:
        raise InputError(f"台账“{path}”中还没有任何人员。请先运行 coverage-xl ledger update。")
    people["status_label"] = people["status"].map(book.label)
    people["flags"] = [
        "、".join(book.label(f) for f in FLAG_CODES if r[f]) for r in people[list(FLAG_CODES)].to_dict("records")]
    people["last_change"] = [
        (f"{last[pid][0]} {book.label(last[pid][1]) if last[pid][1] else '（新增）'}→{book.label(last[pid][2])}"
         if pid in last else "") for pid in people["id"]]
    memberships = memberships_of(people)
    return LedgerView(Path(path), people, memberships, sorted(counts["as_of"].unique()), counts, book)


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


def change_log(path: str | Path, start: dt.date | None, end: dt.date | None) -> pd.DataFrame:
    """The change log between two as-of dates (inclusive), oldest first, with each person's name."""
    conn = connect(path, create=False)
    try:
        rows = conn.execute(
            "SELECT c.as_of, c.unit, p.name, c.id, c.field, c.old_value, c.new_value, c.source_kind, c.source_file,"
            " c.source_sha256, c.run_id FROM change_log c LEFT JOIN people p ON p.id = c.id"
            " WHERE c.as_of >= ? AND c.as_of <= ? ORDER BY c.change_id",
            ((start or dt.date.min).isoformat(), (end or dt.date.max).isoformat())).fetchall()
    finally:
        conn.close()
    return pd.DataFrame(rows, columns=["as_of", "unit", "name", "id", "field", "old_value", "new_value", "source_kind",
                                       "source_file", "source_sha256", "run_id"]).fillna("")


def signed_ids(path: str | Path) -> set[str]:
    """The people with a signed 意愿书 recorded in the ledger (for the progress definition ``signed``)."""
    conn = connect(path, create=False)
    try:
        return {pid for (pid,) in conn.execute("SELECT id FROM people WHERE signed = 1")}
    finally:
        conn.close()


def with_status(view: LedgerView, status: str) -> pd.DataFrame:
    return _sorted(view.people[view.people["status"] == status])


def with_flag(view: LedgerView, flag: str) -> pd.DataFrame:
    return _sorted(view.people[view.people[flag].astype(bool)])


def _sorted(p: pd.DataFrame) -> pd.DataFrame:
    return p.sort_values(["unit", "village", "address", "name", "id"])


def turning_sixty(view: LedgerView, as_of: dt.date, months: int = DEFAULT_AGE_MONTHS) -> pd.DataFrame:
    """People who turn 60 after ``as_of`` and within ``months`` months (每月定期查询), by birthday."""
    end = _add_months(as_of, months)
    births = view.people["id"].map(lambda s: idcard.birth_date(s) if len(s) == 18 else None)
    sixty = births.map(lambda b: _add_years(b, 60) if b else None)
    sel = sixty.map(lambda d: d is not None and as_of < d <= end)
    p = view.people[sel.astype(bool)].copy()
    p["birth"] = births[sel.astype(bool)].map(lambda d: d.isoformat())
    p["sixty"] = sixty[sel.astype(bool)].map(lambda d: d.isoformat())
    return p.sort_values(["sixty", "unit", "village", "id"])


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
    p = view.people[view.people["id"].isin(found)].copy()
    p["assisted_kind"] = p["id"].map(found)
    p["paid"] = p["status"] == "paid"
    return p.sort_values(["paid", "unit", "village", "id"])


__all__ = ["LIST_TOTAL", "LedgerView", "assisted_people", "change_log", "open_view", "summary_table",
           "turning_sixty", "week_over_week", "with_flag", "with_status"]
