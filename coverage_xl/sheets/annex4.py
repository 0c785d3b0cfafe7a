"""Write the Annex 4 sheet (附件4 摸底统计表) from a consolidation result.

The frame (title, 填报单位 line, three-row merged header, numbering row 1–19, print setup, frozen
header) comes from :func:`coverage_xl.sheets.frame.write_frame`, so the sheet has exactly the
notice's layout. Counts are written as numbers (never formulas: a formula written by openpyxl has no
cached value, and readers such as calamine or a CSV export would see blanks).

Under 合计 comes the row 全市去重合计 (each person once across units), then the check lines
(第4列 = 第17列 + 第18列 + 未填意愿 N 人; 5 = 6 + 10…16; 6 = 7 + 8 + 9) and the 口径说明 with the
counting rules. 备注 wraps, and each row is as high as its 备注 needs.
"""

from __future__ import annotations

import datetime as dt

from openpyxl.styles import Alignment
from openpyxl.worksheet.worksheet import Worksheet

from coverage_xl.consolidate import COUNTING_RULES, DEDUP_LABEL, Annex4Result
from coverage_xl.layout import ANNEX4, ANNEX4_COUNT_KEYS
from coverage_xl.sheets.cells import write_value
from coverage_xl.sheets.frame import (
    BODY_FONT,
    CENTER,
    HEADER_FONT,
    fitted_height,
    stamp,
    style_body,
    write_frame,
)
from coverage_xl.units import CITY_NAME

UNIT_LABEL = "单位：人"
REMARK_ALIGN = Alignment(horizontal="left", vertical="center", wrap_text=True)
CODE_FORMAT = "@"
NOTE_ALIGN = Alignment(horizontal="left", vertical="center", wrap_text=True)
RULES_TITLE = "口径说明："


def write_annex4(ws: Worksheet, result: Annex4Result, *, reporter: str = "", contact: str = "",
                 unit_text: str = CITY_NAME, day: dt.date | None = None) -> tuple[int, int]:
    """Draw 附件4 on ``ws``; returns (first unit row, 合计 row). 全市去重合计 is the row after 合计.

    ``day`` is the date on the 填报单位 line; the as-of date of the batch by default.
    """
    ws.title = ANNEX4.sheet_name
    first = write_frame(ws, ANNEX4, unit_text=unit_text, reporter=reporter, contact=contact,
                        day=day or result.as_of, unit_label=UNIT_LABEL)
    rows = result.rows()
    total_row = rows[-1]
    dedup = [DEDUP_LABEL, "", total_row[ANNEX4.col("population") - 1],
             *(result.dedup.get(k) for k in ANNEX4_COUNT_KEYS), result.dedup_remark]
    rows.append(dedup)
    code_col, remark_col = ANNEX4.col("code"), ANNEX4.col("remark")
    remark_width = ANNEX4.columns[remark_col - 1].width
    for r, values in enumerate(rows, start=first):
        for c, v in enumerate(values, start=1):
            cell = write_value(ws, r, c, v)
            cell.alignment = REMARK_ALIGN if c == remark_col else CENTER
            if c == code_col:
                cell.number_format = CODE_FORMAT  # a code is a label, not a quantity
        ws.row_dimensions[r].height = fitted_height(values[remark_col - 1], remark_width)
    total = first + len(rows) - 2
    style_body(ws, first, total + 1, ANNEX4.width, total_row=total)
    for c in range(1, ANNEX4.width + 1):
        stamp(ws.cell(total + 1, c), font=HEADER_FONT)
    _notes(ws, total + 3, result)
    return first, total


def _notes(ws: Worksheet, row: int, result: Annex4Result) -> int:
    """The check lines and the 口径说明 below the table, each merged across the table's width;
    returns the next free row."""
    width = ANNEX4.width
    table_width = sum(c.width for c in ANNEX4.columns)
    lines = [*result.balance_lines(), RULES_TITLE,
             *(f"{n}. {text}" for n, text in enumerate(COUNTING_RULES, start=1))]
    for text in lines:
        cell = write_value(ws, row, 1, text)
        stamp(cell, font=HEADER_FONT if text == RULES_TITLE else BODY_FONT, alignment=NOTE_ALIGN)
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)
        ws.row_dimensions[row].height = fitted_height(text, table_width, minimum=18)
        row += 1
    return row
