"""The dispatch history (调度历史): one row per unit per as-of date, one snapshot per dispatch run.

The history lives in the output workbook itself, so before the sheet is rewritten the previous rows
are read back from the existing file (:func:`read_history`) and this run's rows replace any rows of
the same date (:func:`merge_history`): re-running a week never duplicates it. This module builds,
reads and merges the rows as a DataFrame; :mod:`coverage_xl.sheets.history` draws it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from coverage_xl.errors import UnreadableError
from coverage_xl.layout import HISTORY_SHEET, header_key
from coverage_xl.units import default_units
from coverage_xl.values import parse_date

if TYPE_CHECKING:
    from coverage_xl.dispatch import DispatchResult

# Column key -> the Chinese header the sheet prints (and the reader finds the columns by).
HISTORY_HEADERS: dict[str, str] = {
    "date": "调度日期", "code": "行政代码", "unit": "单位", "should_cover": "应覆盖人数", "registered": "已登记人数",
    "paid": "已缴费人数", "unregistered": "未登记人数", "coverage_rate": "覆盖率", "payment_rate": "缴费率",
    "task": "任务数", "done": "已完成数", "done_share": "任务完成进度", "milestone_share": "节点要求",
    "status": "状态", "rank": "排名",
}
KEYS = tuple(HISTORY_HEADERS)
INT_KEYS = ("should_cover", "registered", "paid", "unregistered", "task", "done", "rank")
FLOAT_KEYS = ("coverage_rate", "payment_rate", "done_share", "milestone_share")


def empty_history() -> pd.DataFrame:
    return pd.DataFrame({k: pd.Series(dtype=object) for k in KEYS})


def history_rows(result: DispatchResult) -> pd.DataFrame:
    """This run's snapshot: one row per unit (Annex 1 order)."""
    a5 = result.annex5
    prog = result.progress.set_index("unit")
    rows = []
    for u in result.units:
        a, p = a5.loc[u.name], prog.loc[u.name]
        rows.append({
            "date": result.as_of, "code": u.code, "unit": u.name, "should_cover": _int(a["should_cover"]),
            "registered": _int(a["registered"]), "paid": _int(a["paid"]), "unregistered": _int(a["unregistered"]),
            "coverage_rate": a["coverage_rate"], "payment_rate": a["payment_rate"], "task": int(p["task"]),
            "done": int(p["done"]), "done_share": p["done_share"], "milestone_share": p["milestone_share"],
            "status": p["status"], "rank": int(p["rank"]),
        })
    return pd.DataFrame(rows, columns=list(KEYS))


def _int(v: object) -> int | None:
    return None if pd.isna(v) else int(v)


def read_history(path: str | Path) -> pd.DataFrame:
    """The history rows already in a workbook (empty when the file or the sheet does not exist).

    Columns are found by their header texts, so a clerk who widened or re-styled the sheet does not
    lose the history; rows without a readable date are dropped."""
    path = Path(path)
    if not path.is_file():
        return empty_history()
    from coverage_xl.read import open_workbook, sheet_rows

    try:
        wb = open_workbook(path)
        if HISTORY_SHEET not in wb.sheet_names:
            return empty_history()
        rows = sheet_rows(wb, HISTORY_SHEET)
    except UnreadableError:  # an unreadable output is reported when it is written
        return empty_history()
    by_header = {header_key(h): k for k, h in HISTORY_HEADERS.items()}
    start, cols = None, {}
    for r, row in enumerate(rows[:10]):
        cols = {}
        for i, v in enumerate(row[:len(KEYS) + 1]):  # the chart tables to the right are not history
            key = by_header.get(header_key(v)) if isinstance(v, str) else None
            if key and key not in cols:
                cols[key] = i
        if "date" in cols and "unit" in cols:
            start = r + 1
            break
    if start is None:
        return empty_history()
    out = []
    for row in rows[start:]:
        day = parse_date(row[cols["date"]]) if cols["date"] < len(row) else None
        if day is None:
            continue
        rec = {k: (row[i] if i < len(row) and row[i] != "" else None) for k, i in cols.items()}
        rec["date"] = day
        out.append(rec)
    frame = pd.DataFrame(out, columns=list(KEYS))
    for k in INT_KEYS:
        frame[k] = pd.to_numeric(frame[k], errors="coerce").astype("Int64")
    for k in FLOAT_KEYS:
        frame[k] = pd.to_numeric(frame[k], errors="coerce")
    for k in ("code", "unit", "status"):
        frame[k] = frame[k].map(lambda v: "" if v is None else (str(int(v)) if isinstance(v, float) else str(v)))
    return frame


def merge_history(previous: pd.DataFrame, current: pd.DataFrame) -> pd.DataFrame:
    """Previous snapshots without the current date(s), plus the current rows; sorted by date, then
    Annex 1 order (units not in the current list keep their place after the known ones)."""
    dates = set(current["date"])
    keep = previous[~previous["date"].isin(dates)] if len(previous) else previous
    frames = [f for f in (keep, current) if len(f)]
    merged = pd.concat(frames, ignore_index=True) if frames else empty_history()
    order = {u.name: u.order for u in default_units()}
    merged["_o"] = merged["unit"].map(lambda n: order.get(n, 99))
    merged = merged.sort_values(["date", "_o"], kind="stable").drop(columns="_o").reset_index(drop=True)
    return merged
