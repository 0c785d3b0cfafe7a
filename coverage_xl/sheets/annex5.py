"""Write the Annex 5 sheet (调度表) in the notice's layout from :attr:`DispatchResult.annex5`.

Counts and rates are stored as values (not formulas) so that any reader — calamine, LibreOffice, a
CSV conversion — sees the same numbers without recalculating; rates are numbers shown as 0.00 %, and
a rate with a zero denominator is an empty cell.
"""

from __future__ import annotations

import datetime as dt
from copy import copy

import pandas as pd
from openpyxl.styles import Alignment
from openpyxl.worksheet.worksheet import Worksheet

from coverage_xl.consolidate import DEDUP_LABEL
from coverage_xl.layout import ANNEX5, TOTAL_LABEL
from coverage_xl.sheets.cells import write_value
from coverage_xl.sheets.frame import CENTER, style_body, write_frame
from coverage_xl.units import CITY_NAME
from coverage_xl.values import plain

RATE_FORMAT = "0.00%"
COUNT_FORMAT = "#,##0"
RATE_KEYS = ("coverage_rate", "payment_rate")
COUNT_KEYS = ("should_cover", "registered", "paid", "unregistered")
BUREAU = f"{CITY_NAME}人力资源和社会保障局"
UNIT_LABEL = "单位：人"


NOTE_PREFIX = "口径说明："
PAID_NOTE = ("第4列为参保状态不是“终止参保/注销”的已登记人数（领取待遇人员计入）；第5列为已登记且本年度有金额大于0的"
             "缴费的人数（缴费年度为本年度，或缴费日期在本年度：含往年欠费补缴、一次性补缴、代缴；往年缴纳的补缴不计入）。")


def write_annex5(ws: Worksheet, annex5: pd.DataFrame, *, day: dt.date | None = None, reporter: str = "",
                 contact: str = "", unit_text: str | None = None, rate_note: str = "",
                 dedup: pd.Series | None = None) -> tuple[int, int]:
    """Draw the sheet: unit rows, 合计 (their sum), the 全市去重合计 row ``dedup`` (each person once,
    its 备注 explaining the difference) and, under it, the 口径说明 (which rules made columns 4, 5 and
    8: ``rate_note`` is :attr:`coverage_xl.counting.Counting.rate_note`); returns (first data row,
    合计 row)."""
    first = write_frame(ws, ANNEX5, unit_text=BUREAU if unit_text is None else unit_text, reporter=reporter,
                        contact=contact, day=day, unit_label=UNIT_LABEL)
    r = first
    keys = ANNEX5.keys
    rows = [row for _, row in annex5.iterrows()]
    if dedup is not None:
        rows.append(dedup)
    for row in rows:
        is_total = row["code"] in (TOTAL_LABEL, DEDUP_LABEL)
        for n, key in enumerate(keys, start=1):
            v = plain(row[key])
            if v is None or v == "":
                continue
            c = write_value(ws, r, n, v)
            if key in RATE_KEYS:
                c.number_format = RATE_FORMAT
            elif key in COUNT_KEYS:
                c.number_format = COUNT_FORMAT
        for key in RATE_KEYS:
            ws.cell(r, ANNEX5.col(key)).number_format = RATE_FORMAT
        if is_total:
            ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=2)
            ws.cell(r, 1).alignment = CENTER
        r += 1
    last_row = r - 1
    total_row = last_row - (dedup is not None)
    style_body(ws, first, last_row, ANNEX5.width, total_row=total_row)
    if dedup is not None:
        for c in range(1, ANNEX5.width + 1):
            ws.cell(last_row, c).font = copy(ws.cell(total_row, c).font)
        ws.row_dimensions[last_row].height = 45
    for row in range(first, last_row + 1):
        ws.cell(row, 1).alignment = CENTER
        ws.cell(row, ANNEX5.col("remark")).alignment = Alignment(wrap_text=True, vertical="center")
    note = last_row + 2
    write_value(ws, note, 1, NOTE_PREFIX + PAID_NOTE + rate_note).alignment = Alignment(wrap_text=True, vertical="top")
    ws.merge_cells(start_row=note, start_column=1, end_row=note, end_column=ANNEX5.width)
    ws.row_dimensions[note].height = 48
    return first, total_row
