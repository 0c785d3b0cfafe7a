"""The 进度 sheet: each unit against its Annex 1 task and the milestone due on the as-of date,
laggards (滞后) highlighted, then a 合计 row. Values, not formulas (see sheets/annex5.py)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from coverage_xl.counting import PROGRESS_BASES, PROGRESS_NOTES, PROGRESS_REGISTERED
from coverage_xl.layout import TOTAL_LABEL
from coverage_xl.progress import LAGGING, PROGRESS_HEADERS, Milestone, due_milestone, required
from coverage_xl.sheets.cells import write_value
from coverage_xl.sheets.frame import (
    BODY_FONT,
    BORDER,
    CENTER,
    HEADER_FILL,
    HEADER_FONT,
    TITLE_FONT,
    chinese_date,
    setup_print,
)
from coverage_xl.values import plain

TITLE = "沅江市城乡居民养老保险全覆盖任务进度表"
# (column key, width, number format)
SHEET_COLUMNS: tuple[tuple[str, float, str | None], ...] = (
    ("order", 6, None), ("unit", 14, None), ("task", 11, "#,##0"), ("surveyed", 10, "#,##0"),
    ("in_scope", 10, "#,##0"), ("out_of_scope", 10, "#,##0"), ("registered", 10, "#,##0"),
    ("paid", 10, "#,##0"), ("payers_due", 10, "#,##0"), ("signed", 11, "#,##0"), ("done", 10, "#,##0"),
    ("done_share", 10, "0.00%"), ("milestone_share", 9, "0%"), ("due", 10, "#,##0"), ("gap", 9, "#,##0"),
    ("status", 7, None), ("rank", 6, None), ("next_gap", 11, "#,##0"), ("flag", 18, None),
)
OVER_FILL = PatternFill("solid", fgColor="FFE699")
LAG_FILL = PatternFill("solid", fgColor="F8CBAD")
LAG_FONT = Font(name=BODY_FONT.name, size=10, bold=True, color="C00000")
FIRST_DATA_ROW = 5


def write_progress(ws: Worksheet, progress: pd.DataFrame, *, as_of: dt.date,
                   milestones: list[Milestone]) -> int:
    """Draw the sheet; returns the 合计 row number."""
    width = len(SHEET_COLUMNS)
    last = get_column_letter(width)
    write_value(ws, 1, 1, TITLE).font = TITLE_FONT
    ws.merge_cells(f"A1:{last}1")
    ws.cell(1, 1).alignment = CENTER
    ws.row_dimensions[1].height = 30
    now = due_milestone(milestones, as_of)
    nodes = "；".join(m.label for m in milestones)
    due_text = f"当前应达：{now.label}" if now else "尚未到第一个节点"
    write_value(ws, 2, 1, f"统计日期：{chinese_date(as_of)}    节点要求：{nodes}    {due_text}").font = BODY_FONT
    ws.merge_cells(f"A2:{last}2")
    definition = str(progress["definition"].iloc[0]) if "definition" in progress and len(progress) \
        else PROGRESS_REGISTERED
    write_value(ws, 3, 1, f"进度口径：{PROGRESS_BASES[definition]}。{PROGRESS_NOTES[definition]}；"
                  "任务完成进度 = 已完成数 ÷ 需核实参保任务数（超过100%的照实显示并标出）；"
                  "应缴费人数 = 已登记人数 − 领取待遇且未缴费人数；未达当前节点要求的单位标为“滞后”。").font = BODY_FONT
    ws.cell(3, 1).alignment = Alignment(wrap_text=True, vertical="center")
    ws.row_dimensions[3].height = 30
    ws.merge_cells(f"A3:{last}3")
    hr = FIRST_DATA_ROW - 1
    for n, (key, w, _) in enumerate(SHEET_COLUMNS, start=1):
        c = write_value(ws, hr, n, PROGRESS_HEADERS[key])
        c.font, c.fill, c.border, c.alignment = HEADER_FONT, HEADER_FILL, BORDER, CENTER
        ws.column_dimensions[get_column_letter(n)].width = w
    ws.row_dimensions[hr].height = 36
    r = FIRST_DATA_ROW
    for _, row in progress.sort_values("order").iterrows():
        lagging = row["status"] == LAGGING
        for n, (key, _, fmt) in enumerate(SHEET_COLUMNS, start=1):
            c = write_value(ws, r, n, plain(row[key]))
            c.border, c.font = BORDER, LAG_FONT if lagging and key == "status" else BODY_FONT
            c.alignment = CENTER
            if fmt:
                c.number_format = fmt
            if lagging:
                c.fill = LAG_FILL
            if key in ("done_share", "flag") and row.get("flag"):
                c.fill = OVER_FILL
        r += 1
    # 合计: sums of the counts; the city's share from the totals
    sums = {k: int(progress[k].sum()) for k in ("task", "surveyed", "in_scope", "out_of_scope", "registered",
                                                 "paid", "payers_due", "signed", "done", "gap") if k in progress}
    share = sums["done"] / sums["task"] if sums["task"] else None
    due = required(sums["task"], now.share) if now else 0
    total = {"order": TOTAL_LABEL, **sums, "done_share": share, "due": due,
             "milestone_share": now.share if now else None}
    for n, (key, _, fmt) in enumerate(SHEET_COLUMNS, start=1):
        c = write_value(ws, r, n, total.get(key))
        c.border, c.font, c.alignment = BORDER, Font(name=BODY_FONT.name, size=10, bold=True), CENTER
        if fmt:
            c.number_format = fmt
    ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=2)
    ws.freeze_panes = ws.cell(FIRST_DATA_ROW, 3)
    setup_print(ws, header_end=hr)
    return r
