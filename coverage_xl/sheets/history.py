"""The 调度历史 sheet: one row per unit per as-of date, growing by one snapshot per dispatch run.

The history lives in the output workbook itself, so before the sheet is rewritten the previous rows
are read back from the existing file (:func:`read_history`) and this run's rows replace any rows of
the same date (:func:`merge_history`): re-running a week never duplicates it.

Two native Excel charts (openpyxl, so they survive Excel, WPS and LibreOffice without macros):
the city's coverage rate over the snapshots (line), and the latest snapshot by unit — coverage rate
and task progress as columns with the milestone due as a line (a bar + line combination chart).
The charts read small helper tables to the right of the history, rebuilt on every write.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from coverage_xl.layout import header_key
from coverage_xl.progress import Milestone, due_milestone, next_milestone
from coverage_xl.sheets.frame import (
    BODY_FONT,
    BORDER,
    CENTER,
    HEADER_FILL,
    HEADER_FONT,
    TITLE_FONT,
    setup_print,
    stamp,
)
from coverage_xl.units import default_units

if TYPE_CHECKING:
    from coverage_xl.dispatch import DispatchResult

HISTORY_SHEET = "调度历史"
TITLE = "沅江市城乡居保全覆盖调度历史（一周一调度）"
# (key, Chinese header, width, number format)
HISTORY_COLUMNS: tuple[tuple[str, str, float, str | None], ...] = (
    ("date", "调度日期", 12, "yyyy-mm-dd"), ("code", "行政代码", 11, None), ("unit", "单位", 13, None),
    ("should_cover", "应覆盖人数", 10, "#,##0"), ("registered", "已登记人数", 10, "#,##0"),
    ("paid", "已缴费人数", 10, "#,##0"), ("unregistered", "未登记人数", 10, "#,##0"),
    ("coverage_rate", "覆盖率", 9, "0.00%"), ("payment_rate", "缴费率", 9, "0.00%"),
    ("task", "任务数", 10, "#,##0"), ("done", "已完成数", 10, "#,##0"), ("done_share", "任务完成进度", 10, "0.00%"),
    ("milestone_share", "节点要求", 9, "0%"), ("status", "状态", 7, None), ("rank", "排名", 6, None),
)
KEYS = tuple(c[0] for c in HISTORY_COLUMNS)
HEADER_ROW = 3
FIRST_ROW = HEADER_ROW + 1
SIDE_COL = len(HISTORY_COLUMNS) + 2  # helper tables for the charts start here (one blank column between)
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


def _as_date(v: object) -> dt.date | None:
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    if isinstance(v, str):
        s = v.strip()
        for fmt in ("%Y-%m-%d", "%Y/%m/%d", "%Y年%m月%d日", "%Y.%m.%d"):
            try:
                return dt.datetime.strptime(s, fmt).date()
            except ValueError:
                continue
    if isinstance(v, int | float) and 20000 <= v < 80000:  # an Excel serial date
        return dt.date(1899, 12, 30) + dt.timedelta(days=int(v))
    return None


def read_history(path: str | Path) -> pd.DataFrame:
    """The history rows already in a workbook (empty when the file or the sheet does not exist).

    Columns are found by their header texts, so a clerk who widened or re-styled the sheet does not
    lose the history; rows without a readable date are dropped."""
    path = Path(path)
    if not path.is_file():
        return empty_history()
    from coverage_xl.read import UnreadableError, open_workbook

    try:
        wb = open_workbook(path)
        if HISTORY_SHEET not in wb.sheet_names:
            return empty_history()
        rows = wb.get_sheet_by_name(HISTORY_SHEET).to_python()
    except (UnreadableError, Exception):  # an unreadable output is reported when it is written
        return empty_history()
    by_header = {header_key(h): k for k, h, _, _ in HISTORY_COLUMNS}
    start, cols = None, {}
    for r, row in enumerate(rows[:10]):
        cols = {}
        for i, v in enumerate(row[:SIDE_COL - 1]):  # the chart tables to the right are not history
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
        day = _as_date(row[cols["date"]]) if cols["date"] < len(row) else None
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


def _cell_value(v: object) -> object:
    if v is None or v is pd.NA:
        return None
    if isinstance(v, float) and math.isnan(v):
        return None
    if isinstance(v, pd.Timestamp):
        return v.date()
    if hasattr(v, "item"):
        return v.item()
    return v


def _city_series(history: pd.DataFrame) -> list[tuple[str, float | None, float | None]]:
    out = []
    for day, g in history.groupby("date", sort=True):
        s = pd.to_numeric(g["should_cover"]).sum()
        r = pd.to_numeric(g["registered"]).sum()
        p = pd.to_numeric(g["paid"]).sum()
        out.append((day.isoformat(), float(r / s) if s else None, float(p / r) if r else None))
    return out


def _header(ws: Worksheet, row: int, col: int, text: str) -> None:
    c = ws.cell(row, col, text)
    c.font, c.fill, c.border, c.alignment = HEADER_FONT, HEADER_FILL, BORDER, CENTER


def write_history(ws: Worksheet, history: pd.DataFrame, milestones: list[Milestone]) -> None:
    """Draw the history table, the chart helper tables and the two charts."""
    width = len(HISTORY_COLUMNS)
    ws.cell(1, 1, TITLE).font = TITLE_FONT
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    ws.cell(1, 1).alignment = CENTER
    ws.cell(2, 1, "每次调度按统计日期追加一组（每单位一行）；同一日期重新调度时替换该日期的数据。右侧为图表数据。").font = BODY_FONT
    for n, (_, head, w, _) in enumerate(HISTORY_COLUMNS, start=1):
        _header(ws, HEADER_ROW, n, head)
        ws.column_dimensions[get_column_letter(n)].width = w
    r = FIRST_ROW
    for rec in history.itertuples(index=False):
        for n, (key, _, _, fmt) in enumerate(HISTORY_COLUMNS, start=1):
            c = ws.cell(r, n, _cell_value(getattr(rec, key)))
            stamp(c, font=BODY_FONT, border=BORDER)
            if fmt:
                c.number_format = fmt
        r += 1
    ws.freeze_panes = ws.cell(FIRST_ROW, 4)
    setup_print(ws, header_end=HEADER_ROW)
    ws.print_area = f"A1:{get_column_letter(width)}{max(r - 1, HEADER_ROW)}"  # the table; the charts sit beside it
    if history.empty:
        return

    # helper table 1: the city's rates per snapshot
    c0 = SIDE_COL
    for i, head in enumerate(("日期", "全市覆盖率", "全市缴费率")):
        _header(ws, HEADER_ROW, c0 + i, head)
        ws.column_dimensions[get_column_letter(c0 + i)].width = 12
    city = _city_series(history)
    for k, (day, cov, pay) in enumerate(city, start=FIRST_ROW):
        ws.cell(k, c0, day)
        ws.cell(k, c0 + 1, cov).number_format = "0.00%"
        ws.cell(k, c0 + 2, pay).number_format = "0.00%"
    line = LineChart()
    line.title = "全市城乡居保覆盖率变化"
    line.y_axis.title = "覆盖率"
    line.x_axis.title = "调度日期"
    line.y_axis.number_format = "0%"
    line.y_axis.scaling.min = 0
    line.y_axis.scaling.max = 1
    line.x_axis.delete = False
    line.y_axis.delete = False
    line.height, line.width = 8, 16
    line.add_data(Reference(ws, min_col=c0 + 1, max_col=c0 + 2, min_row=HEADER_ROW, max_row=HEADER_ROW + len(city)),
                  titles_from_data=True)
    line.set_categories(Reference(ws, min_col=c0, min_row=FIRST_ROW, max_row=HEADER_ROW + len(city)))

    # helper table 2: the latest snapshot by unit, with the milestone as a constant series
    latest_day = max(history["date"])
    latest = history[history["date"] == latest_day]
    ms = due_milestone(milestones, latest_day) or next_milestone(milestones, latest_day)
    c1 = c0 + 4
    for i, head in enumerate(("单位", "覆盖率", "任务完成进度", "节点要求")):
        _header(ws, HEADER_ROW, c1 + i, head)
        ws.column_dimensions[get_column_letter(c1 + i)].width = 12
    for k, rec in enumerate(latest.itertuples(index=False), start=FIRST_ROW):
        ws.cell(k, c1, rec.unit)
        ws.cell(k, c1 + 1, _cell_value(rec.coverage_rate)).number_format = "0.00%"
        ws.cell(k, c1 + 2, _cell_value(rec.done_share)).number_format = "0.00%"
        ws.cell(k, c1 + 3, ms.share if ms else None).number_format = "0%"
    last = HEADER_ROW + len(latest)
    bar = BarChart()
    bar.type = "col"
    bar.title = f"各单位覆盖率与任务完成进度（{latest_day.isoformat()}）"
    bar.y_axis.title = "比例"
    bar.y_axis.number_format = "0%"
    bar.y_axis.scaling.min = 0
    bar.x_axis.delete = False
    bar.y_axis.delete = False
    bar.height, bar.width = 9, 24
    bar.add_data(Reference(ws, min_col=c1 + 1, max_col=c1 + 2, min_row=HEADER_ROW, max_row=last), titles_from_data=True)
    cats = Reference(ws, min_col=c1, min_row=FIRST_ROW, max_row=last)
    bar.set_categories(cats)
    goal = LineChart()
    goal.add_data(Reference(ws, min_col=c1 + 3, min_row=HEADER_ROW, max_row=last), titles_from_data=True)
    goal.set_categories(cats)
    bar += goal  # same axes: the milestone is drawn as a line across the columns

    anchor = get_column_letter(c1 + 5)
    ws.add_chart(line, f"{anchor}{HEADER_ROW}")
    ws.add_chart(bar, f"{anchor}{HEADER_ROW + 18}")
