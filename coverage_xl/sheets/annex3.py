"""Write an Annex 3 (摸底明细表) sheet: the frame, the people, and the 合计 row.

Used by the unit templates, the pre-filled workbooks, and the synthetic samples; the Excel-face
module adds data validation on top of what this draws.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from openpyxl.styles import Alignment
from openpyxl.worksheet.worksheet import Worksheet

from coverage_xl.layout import ANNEX3, TOTAL_LABEL
from coverage_xl.sheets.cells import write_value
from coverage_xl.sheets.frame import BODY_FONT, BORDER, CENTER, style_body, write_frame
from coverage_xl.units import Unit

TEXT_FORMAT = "@"
TEXT_COLUMNS = ("code", "id", "birth", "phone")  # typed as text so Excel keeps every digit


def write_annex3(ws: Worksheet, unit: Unit | None, people: Iterable[Mapping[str, Any]] = (), *,
                 day: dt.date | None = None, reporter: str = "", contact: str = "", blank_rows: int = 0,
                 total_row: bool = True, column_styles: bool = False) -> tuple[int, int]:
    """Write the sheet; ``people`` are mappings by Annex 3 field key (missing keys stay blank).

    Returns (first data row, last data row). ``blank_rows`` adds formatted empty rows to type into.
    With ``column_styles`` those rows are not written cell by cell: the columns carry the body style
    (font, border, text format), which keeps a 37,000-row template small and fast to write; the
    rows above the header then get explicit plain cells so the title keeps no grid.
    """
    ws.title = ANNEX3.sheet_name
    first = write_frame(ws, ANNEX3, unit_text=unit.name if unit else "", reporter=reporter, contact=contact, day=day,
                        fit_header=True)
    r = first
    keys = ANNEX3.keys
    text_cols = {ANNEX3.col(k) for k in TEXT_COLUMNS}
    for person in people:
        for n, key in enumerate(keys, start=1):
            v = person.get(key)
            if v is None or v == "":
                continue
            c = write_value(ws, r, n, v)
            if n in text_cols and isinstance(v, str):
                c.number_format = TEXT_FORMAT
        r += 1
    last = max(r - 1 + blank_rows, first - 1)
    if column_styles:
        style_columns(ws, first, text_cols)
    for row in range(first, r if column_styles else last + 1):
        for n in text_cols:
            cell = ws.cell(row, n)
            if cell.value is None:  # a typed-in value will be text; a date or number given stays as given
                cell.number_format = TEXT_FORMAT
    styled_last = r - 1 if column_styles else last
    if total_row:
        total = last + 1
        write_value(ws, total, 1, TOTAL_LABEL).alignment = CENTER
        style_body(ws, first, styled_last, ANNEX3.width)
        style_body(ws, total, total, ANNEX3.width, total_row=total)
    else:
        style_body(ws, first, styled_last, ANNEX3.width)
    no_wrap = Alignment(wrap_text=False)
    for row in range(first, styled_last + 1):
        ws.cell(row, ANNEX3.col("address")).alignment = no_wrap
    return first, last


def style_columns(ws: Worksheet, first: int, text_cols: set[int]) -> None:
    """Body style on the Annex 3 columns themselves (what an empty cell shows), text format on the
    columns that hold digits; plain explicit cells above ``first`` - 3 (title and 填报单位 lines)."""
    for col in ANNEX3.columns:
        dim = ws.column_dimensions[col.letter]
        dim.font = BODY_FONT
        dim.border = BORDER
        if col.number in text_cols:
            dim.number_format = TEXT_FORMAT
    for row in range(1, first - ANNEX3.header_rows - 1):
        for c in range(1, ANNEX3.width + 1):
            cell = ws.cell(row, c)
            if not cell.has_style:
                cell.font = BODY_FONT  # a style of its own, without the column's border
