"""Write the Annex 4 sheet (附件4 摸底统计表) from a consolidation result.

The frame (title, 填报单位 line, three-row merged header, numbering row 1–19, print setup, frozen
header) comes from :func:`coverage_xl.sheets.frame.write_frame`, so the sheet has exactly the
notice's layout. Counts are written as numbers (never formulas: a formula written by openpyxl has no
cached value, and readers such as calamine or a CSV export would see blanks).
"""

from __future__ import annotations

import datetime as dt

from openpyxl.styles import Alignment
from openpyxl.worksheet.worksheet import Worksheet

from coverage_xl.consolidate import Annex4Result
from coverage_xl.layout import ANNEX4
from coverage_xl.sheets.frame import CENTER, style_body, write_frame
from coverage_xl.units import CITY_NAME

UNIT_LABEL = "单位：人"
REMARK_ALIGN = Alignment(horizontal="left", vertical="center", wrap_text=True)
CODE_FORMAT = "@"


def write_annex4(ws: Worksheet, result: Annex4Result, *, reporter: str = "", contact: str = "",
                 unit_text: str = CITY_NAME, day: dt.date | None = None) -> tuple[int, int]:
    """Draw 附件4 on ``ws``; returns (first unit row, 合计 row).

    ``day`` is the date on the 填报单位 line; the as-of date of the batch by default.
    """
    ws.title = ANNEX4.sheet_name
    first = write_frame(ws, ANNEX4, unit_text=unit_text, reporter=reporter, contact=contact,
                        day=day or result.as_of, unit_label=UNIT_LABEL)
    rows = result.rows()
    code_col, remark_col = ANNEX4.col("code"), ANNEX4.col("remark")
    for r, values in enumerate(rows, start=first):
        for c, v in enumerate(values, start=1):
            cell = ws.cell(r, c, v)
            cell.alignment = REMARK_ALIGN if c == remark_col else CENTER
            if c == code_col:
                cell.number_format = CODE_FORMAT  # a code is a label, not a quantity
    total = first + len(rows) - 1
    style_body(ws, first, total, ANNEX4.width, total_row=total)
    for r in range(first, total + 1):
        ws.row_dimensions[r].height = 22
    return first, total
