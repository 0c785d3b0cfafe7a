"""Follow-up lists for the units (逐人反馈): one workbook per unit, only that unit's people.

Sheets 未登记人员 (in scope, not registered) and 登记未缴费人员 (registered, no counted payment), sorted
by village (村/社区, parsed from 户籍地址) so a village cadre can take their page; with phone,
willingness and address, and blank columns for the contact time, method and outcome the notice asks
to record (做到记录有痕). A4 landscape, header repeated on every page, page numbers in the footer.

Personal data goes no further than the unit it belongs to: a unit's workbook holds its own people
only, and the IDs are written in full because the unit needs them to act.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from coverage_xl import guard
from coverage_xl.layout import (
    FOLLOWUP_COLUMNS,
    FOLLOWUP_FILL_KEYS,
    FOLLOWUP_METHODS,
    FOLLOWUP_RESULTS,
    FOLLOWUP_SIGNED,
    UNPAID_SHEET,
    UNREGISTERED_SHEET,
)
from coverage_xl.sheets.cells import write_value
from coverage_xl.sheets.frame import (
    BODY_FONT,
    BORDER,
    CENTER,
    HANDWRITING_ROW,
    HEADER_FILL,
    HEADER_FONT,
    TITLE_FONT,
    chinese_date,
    save_workbook,
    setup_print,
    stamp,
    wrap_and_fit,
)
from coverage_xl.villages import village_of

if TYPE_CHECKING:
    from coverage_xl.dispatch import DispatchResult

UNKNOWN_VILLAGE = "（未识别村/社区）"
# The columns (and the fill-in columns the towns return) are defined once in layout.FOLLOWUP_COLUMNS.
LIST_COLUMNS = FOLLOWUP_COLUMNS
TEXT = "@"

def _sorted(people: pd.DataFrame) -> pd.DataFrame:
    p = people.copy()
    p["village"] = p["address"].map(village_of)
    p["_unknown"] = p["village"] == ""
    p.loc[p["_unknown"], "village"] = UNKNOWN_VILLAGE
    return p.sort_values(["_unknown", "village", "address", "row"], kind="stable")


PLAIN_CELL = Alignment(vertical="center")
WRAP_CELL = Alignment(vertical="center", wrap_text=True)


def write_list(ws: Worksheet, people: pd.DataFrame, *, title: str, as_of: dt.date) -> int:
    """One print-ready list; returns the number of people written."""
    width = len(LIST_COLUMNS)
    last = get_column_letter(width)
    write_value(ws, 1, 1, title).font = TITLE_FONT
    ws.cell(1, 1).alignment = CENTER
    ws.merge_cells(f"A1:{last}1")
    ws.row_dimensions[1].height = 30
    write_value(ws, 2, 1, f"截至{chinese_date(as_of)}，共{len(people)}人。请逐人联系，填写跟进日期、跟进方式和跟进结果"
                  "（联系不上的须注明联系时间及方式，做到记录有痕），填好后交回市局。").font = BODY_FONT
    ws.merge_cells(f"A2:{last}2")
    for n, (head, _, w) in enumerate(LIST_COLUMNS, start=1):
        c = write_value(ws, 3, n, head)
        c.font, c.fill, c.border, c.alignment = HEADER_FONT, HEADER_FILL, BORDER, CENTER
        ws.column_dimensions[get_column_letter(n)].width = w
    r = 4
    for k, rec in enumerate(_sorted(people).to_dict("records"), start=1):
        for n, (_, key, _) in enumerate(LIST_COLUMNS, start=1):
            v = k if n == 1 else (rec.get(key) if key in people.columns else None)
            c = write_value(ws, r, n, None if v == "" else v)
            if key in ("id", "phone"):
                c.number_format = TEXT
            stamp(c, font=BODY_FONT, border=BORDER, alignment=WRAP_CELL if key == "address" else PLAIN_CELL)
        r += 1
    _add_choices(ws, last_row=max(r - 1, 4))
    ws.row_dimensions[3].height = 30  # two-line headers (是否愿意参保) fit
    wrapped = [n for n, (_, key, _) in enumerate(LIST_COLUMNS, start=1) if key in ("address", *FOLLOWUP_FILL_KEYS)]
    wrap_and_fit(ws, range(4, r), wrapped, min_height=HANDWRITING_ROW)
    ws.freeze_panes = "C4"
    setup_print(ws, header_end=3)
    if r > 4:
        ws.auto_filter.ref = f"A3:{last}{r - 1}"
    return len(people)


def _add_choices(ws: Worksheet, last_row: int) -> None:
    """Drop-downs for 跟进方式, 跟进结果 and 是否签订意愿书; 跟进日期 takes a date only."""
    col = {key: get_column_letter(n) for n, (_, key, _) in enumerate(LIST_COLUMNS, start=1) if key}
    for key, choices, title in (("followup_method", FOLLOWUP_METHODS, "跟进方式"),
                                ("followup_result", FOLLOWUP_RESULTS, "跟进结果"),
                                ("followup_signed", FOLLOWUP_SIGNED, "是否签订意愿书")):
        dv = DataValidation(type="list", formula1='"' + ",".join(choices) + '"', allow_blank=True,
                            showErrorMessage=True, errorTitle=title, error=f"请从下拉选项中选择：{'、'.join(choices)}")
        dv.add(f"{col[key]}4:{col[key]}{last_row}")
        ws.add_data_validation(dv)
    day = DataValidation(type="date", operator="greaterThan", formula1="36526", allow_blank=True,
                         showErrorMessage=True, errorTitle="跟进日期", error="请填写日期，如 2020-09-05。")
    day.add(f"{col['followup_date']}4:{col['followup_date']}{last_row}")
    ws.add_data_validation(day)
    for r in range(4, last_row + 1):
        ws[f"{col['followup_date']}{r}"].number_format = "yyyy-mm-dd"


def list_path(folder: Path, unit: str, as_of: dt.date) -> Path:
    return folder / f"{unit}_跟进名单_{as_of:%Y%m%d}.xlsx"


def write_followup_lists(result: DispatchResult, folder: str | Path) -> list[Path]:
    """Write one workbook per unit with a counted survey file; returns the paths written."""
    folder = Path(folder)
    written = []
    counted_units = {f.unit.name for f in result.batch.counted if f.unit}
    for unit in result.units:
        if unit.name not in counted_units:
            continue
        wb = Workbook()
        ws = wb.active
        ws.title = UNREGISTERED_SHEET
        write_list(ws, result.unregistered(unit.name), title=f"{unit.full_name}城乡居保未登记人员名单", as_of=result.as_of)
        ws2 = wb.create_sheet(UNPAID_SHEET)
        write_list(ws2, result.registered_unpaid(unit.name),
                   title=f"{unit.full_name}城乡居保已登记未缴费人员名单（{result.campaign_year}年度）", as_of=result.as_of)
        for sheet in (ws, ws2):
            sheet.sheet_view.zoomScale = 100
            sheet.cell(2, 1).font = Font(name=BODY_FONT.name, size=10)
        path = list_path(folder, unit.name, result.as_of)
        written.append(guard.write_file(path, lambda p, wb=wb: save_workbook(wb, p), kind="lists"))
    return written
