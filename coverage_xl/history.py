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

from coverage_xl.errors import InputError, UnreadableError
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


class HistoryError(InputError):
    """The 调度历史 sheet of an existing workbook cannot be read back: the run stops."""


def _blank(v: object) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def _column_letter(i: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA (for messages; the core does not import openpyxl)."""
    out = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        out = chr(65 + r) + out
    return out


def _find_header(rows: list[list]) -> tuple[int, dict[str, int]] | None:
    """The row holding the history's headers (调度日期 and 单位 at least), anywhere on the sheet, and
    the column of each header in it. Only the first of a repeated header counts: the chart helper
    tables to the right of the history repeat some of them."""
    by_header = {header_key(h): k for k, h in HISTORY_HEADERS.items()}
    for r, row in enumerate(rows):
        cols: dict[str, int] = {}
        for i, v in enumerate(row):
            key = by_header.get(header_key(v)) if isinstance(v, str) else None
            if key and key not in cols:
                cols[key] = i
        if "date" in cols and "unit" in cols:
            return r, cols
    return None


def read_history(path: str | Path) -> pd.DataFrame:
    """The history rows already in a workbook (empty when the file or the sheet does not exist).

    Columns are found by their header texts wherever the table sits on the sheet, so a clerk who
    moved, widened or re-styled it does not lose the history. A 调度历史 sheet that exists but cannot
    be understood — no header row, a row whose date cannot be read, a workbook that cannot be opened
    — raises :class:`HistoryError`: treating it as empty would drop every earlier snapshot when the
    sheet is written back."""
    path = Path(path)
    if not path.is_file():
        return empty_history()
    from coverage_xl.read import open_workbook, sheet_rows

    try:
        wb = open_workbook(path)
        if HISTORY_SHEET not in wb.sheet_names:
            return empty_history()
        rows = sheet_rows(wb, HISTORY_SHEET)
    except UnreadableError as exc:  # stop: never treat an unreadable history as empty
        raise HistoryError(f"无法读取“{path}”中的“{HISTORY_SHEET}”表（{type(exc).__name__}）。为免丢失以前的调度记录，"
                           "本次不写入。请检查该文件能否在 Excel 中打开。") from exc
    found = _find_header(rows)
    if found is None:
        if all(_blank(v) for row in rows for v in row):
            return empty_history()
        raise HistoryError(f"“{path}”的“{HISTORY_SHEET}”表中找不到“调度日期”和“单位”表头，无法读出以前的调度记录。"
                           f"为免丢失历史，本次不写入。请恢复表头，或把该表改名（如“{HISTORY_SHEET}_旧”）后重试。")
    header, cols = found
    out = []
    for r, row in enumerate(rows[header + 1:], start=header + 2):
        def cell(key: str, row: list = row) -> object:
            i = cols.get(key)
            return row[i] if i is not None and i < len(row) else None

        raw = cell("date")
        if _blank(raw) and _blank(cell("unit")):
            continue  # an empty row (or a row of the chart tables further down)
        day = parse_date(raw)
        if day is None:
            ref = f"{_column_letter(cols['date'])}{r}"
            raise HistoryError(f"“{path}”的“{HISTORY_SHEET}”表 {ref} 单元格的调度日期“{raw}”无法识别。"
                               "为免丢失历史，本次不写入。请改成 2020-09-30 的形式后重试。")
        rec = {k: (cell(k) if not _blank(cell(k)) else None) for k in cols}
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
