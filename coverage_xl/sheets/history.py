"""The 调度历史 sheet: draws the history DataFrame built, read and merged by :mod:`coverage_xl.history`.

Two native Excel charts (openpyxl, so they survive Excel, WPS and LibreOffice without macros):
the city's coverage rate over the snapshots (line), and the latest snapshot by unit — coverage rate
and task progress as columns with the milestone due as a line (a bar + line combination chart).
The charts read small helper tables to the right of the history, rebuilt on every write.
"""

from __future__ import annotations

import pandas as pd
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.worksheet import Worksheet

from coverage_xl.history import HISTORY_HEADERS
from coverage_xl.progress import Milestone, due_milestone, next_milestone
from coverage_xl.sheets.cells import write_value
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
from coverage_xl.values import plain

TITLE = "沅江市城乡居保全覆盖调度历史（一周一调度）"
# key -> (width, number format); HISTORY_COLUMNS: (key, Chinese header, width, number format)
_FORMATS: dict[str, tuple[float, str | None]] = {
    "date": (12, "yyyy-mm-dd"), "code": (11, None), "unit": (13, None), "should_cover": (10, "#,##0"),
    "registered": (10, "#,##0"), "paid": (10, "#,##0"), "unregistered": (10, "#,##0"),
    "coverage_rate": (9, "0.00%"), "payment_rate": (9, "0.00%"), "task": (10, "#,##0"), "done": (10, "#,##0"),
    "done_share": (10, "0.00%"), "milestone_share": (9, "0%"), "status": (7, None), "rank": (6, None),
}
HISTORY_COLUMNS: tuple[tuple[str, str, float, str | None], ...] = tuple(
    (key, head, *_FORMATS[key]) for key, head in HISTORY_HEADERS.items())
HEADER_ROW = 3
FIRST_ROW = HEADER_ROW + 1
SIDE_COL = len(HISTORY_COLUMNS) + 2  # helper tables for the charts start here (one blank column between)
CHART_ROWS = 20  # rows a chart (8–9 cm high) takes under the table


def _city_series(history: pd.DataFrame) -> list[tuple[str, float | None, float | None]]:
    out = []
    for day, g in history.groupby("date", sort=True):
        s = pd.to_numeric(g["should_cover"]).sum()
        r = pd.to_numeric(g["registered"]).sum()
        p = pd.to_numeric(g["paid"]).sum()
        out.append((day.isoformat(), float(r / s) if s else None, float(p / r) if r else None))
    return out


def _header(ws: Worksheet, row: int, col: int, text: str) -> None:
    c = write_value(ws, row, col, text)
    c.font, c.fill, c.border, c.alignment = HEADER_FONT, HEADER_FILL, BORDER, CENTER


def write_history(ws: Worksheet, history: pd.DataFrame, milestones: list[Milestone]) -> None:
    """Draw the history table, the chart helper tables and the two charts."""
    width = len(HISTORY_COLUMNS)
    write_value(ws, 1, 1, TITLE).font = TITLE_FONT
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    ws.cell(1, 1).alignment = CENTER
    write_value(ws, 2, 1, "每次调度按统计日期追加一组（每单位一行）；同一日期重新调度时替换该日期的数据。右侧为图表数据。").font = BODY_FONT
    for n, (_, head, w, _) in enumerate(HISTORY_COLUMNS, start=1):
        _header(ws, HEADER_ROW, n, head)
        ws.column_dimensions[get_column_letter(n)].width = w
    r = FIRST_ROW
    for rec in history.itertuples(index=False):
        for n, (key, _, _, fmt) in enumerate(HISTORY_COLUMNS, start=1):
            c = write_value(ws, r, n, plain(getattr(rec, key)))
            stamp(c, font=BODY_FONT, border=BORDER)
            if fmt:
                c.number_format = fmt
        r += 1
    ws.freeze_panes = ws.cell(FIRST_ROW, 4)
    setup_print(ws, header_end=HEADER_ROW)
    table_end = max(r - 1, HEADER_ROW)
    ws.print_area = f"A1:{get_column_letter(width)}{table_end}"
    if history.empty:
        return

    # helper table 1: the city's rates per snapshot
    c0 = SIDE_COL
    for i, head in enumerate(("日期", "全市覆盖率", "全市缴费率")):
        _header(ws, HEADER_ROW, c0 + i, head)
        ws.column_dimensions[get_column_letter(c0 + i)].width = 12
    city = _city_series(history)
    for k, (day, cov, pay) in enumerate(city, start=FIRST_ROW):
        write_value(ws, k, c0, day)
        write_value(ws, k, c0 + 1, cov).number_format = "0.00%"
        write_value(ws, k, c0 + 2, pay).number_format = "0.00%"
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
        write_value(ws, k, c1, rec.unit)
        write_value(ws, k, c1 + 1, plain(rec.coverage_rate)).number_format = "0.00%"
        write_value(ws, k, c1 + 2, plain(rec.done_share)).number_format = "0.00%"
        write_value(ws, k, c1 + 3, ms.share if ms else None).number_format = "0%"
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

    for series in line.series:  # one snapshot is one point: without markers the line chart looks empty
        series.marker.symbol = "circle"
        series.marker.size = 7
    for series in goal.series:
        series.marker.symbol = "dash"
    # The charts go under the table, on a page of their own inside the print area (their helper
    # tables stay beside the table, outside it).
    chart_row = table_end + 2
    ws.row_breaks.append(Break(id=table_end + 1))
    ws.add_chart(line, f"A{chart_row}")
    ws.add_chart(bar, f"A{chart_row + CHART_ROWS}")
    ws.print_area = f"A1:{get_column_letter(width)}{chart_row + 2 * CHART_ROWS}"
