"""The frame every annex sheet shares: 附件N label and title, the 填报单位 line, the merged
header drawn from :mod:`coverage_xl.layout`, the 1–N numbering row, styles and print setup.

One function draws it for Annex 3 (templates, prefill, samples), Annex 4 and Annex 5, so the
headers a reader looks for are exactly the headers the writers draw.
"""

from __future__ import annotations

import datetime as dt
import re

from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from coverage_xl.layout import ANNEX_LABEL, Layout
from coverage_xl.sheets.cells import write_value

FONT_NAME = "宋体"
THIN = Side(style="thin", color="000000")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
LEFT = Alignment(horizontal="left", vertical="center", wrap_text=False)
RIGHT = Alignment(horizontal="right", vertical="center", wrap_text=False)
WRAP = Alignment(horizontal="left", vertical="center", wrap_text=True)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
TITLE_FONT = Font(name=FONT_NAME, size=16, bold=True)
HEADER_FONT = Font(name=FONT_NAME, size=10, bold=True)
BODY_FONT = Font(name=FONT_NAME, size=10)
TOTAL_FONT = Font(name=FONT_NAME, size=10, bold=True)


def chinese_date(day: dt.date | None) -> str:
    """2020年9月30日; a blank form line (年  月  日) when no date."""
    if day is None:
        return "    年   月   日"
    return f"{day.year}年{day.month}月{day.day}日"


def write_frame(ws: Worksheet, layout: Layout, *, unit_text: str = "", reporter: str = "", contact: str = "",
                day: dt.date | None = None, unit_label: str | None = None, fit_header: bool = False) -> int:
    """Draw title, unit line, header and numbering row; return the first data row (1-based).

    ``fit_header`` sizes the header rows to their texts and puts a bracketed hint on its own line
    (:func:`header_heights`, :func:`header_display`) — the Annex 3 templates, whose narrow tick columns
    otherwise cut “职工养老保险法定人员（未参保）”; the statistics annexes keep their fixed heights, which
    their reference renderings fix."""
    last = layout.width
    last_letter = get_column_letter(last)
    ws.sheet_properties.outlinePr = None
    # Row 1: 附件N + title
    write_value(ws, 1, 1, ANNEX_LABEL.format(annex=layout.annex)).font = Font(name=FONT_NAME, size=11, bold=True)
    write_value(ws, 1, 2, layout.title).font = TITLE_FONT
    ws.cell(1, 2).alignment = CENTER
    ws.merge_cells(f"B1:{last_letter}1")
    ws.row_dimensions[1].height = 30
    # Row 2: 填报单位 / 填报人 / 联系方式 / date (and 单位：人 on the statistics tables)
    quarter = max(last // 4, 1)
    # The date (and 单位：人) share the last column, right-aligned: it is the widest (备注), so the
    # date prints in full instead of being cut by the next cell.
    date_text = chinese_date(day) + (f"  {unit_label}" if unit_label else "")
    parts = [
        (1, f"填报单位：{unit_text}", LEFT),
        (1 + quarter * 2, f"填报人：{reporter}", LEFT),
        (1 + quarter * 3 - (1 if last > 9 else 0), f"联系方式：{contact}", LEFT),
        (last, date_text, RIGHT),
    ]
    prev = None
    for col, text, align in parts:
        if prev is not None and col <= prev:
            col = prev + 1
        write_value(ws, 2, col, text).font = BODY_FONT
        ws.cell(2, col).alignment = align
        prev = col
    first_header = 3
    for cell in layout.header:
        r0, c0, r1, c1 = cell.span
        top = first_header + r0
        write_value(ws, top, c0, header_display(cell.text, _span_width(layout, c0, c1)) if fit_header else cell.text)
        if (r0, c0) != (r1, c1):
            ws.merge_cells(start_row=top, start_column=c0, end_row=first_header + r1, end_column=c1)
    header_end = first_header + layout.header_rows - 1
    numbering = header_end + 1
    for col in layout.columns:
        for r in range(first_header, numbering + 1):
            c = ws.cell(r, col.number)
            c.border = BORDER
            c.alignment = CENTER
            c.font = HEADER_FONT
            if r < numbering:
                c.fill = HEADER_FILL
        write_value(ws, numbering, col.number, col.number)
        ws.column_dimensions[col.letter].width = col.width
    fixed = [42.0 if layout.header_rows < 3 else 30.0] * layout.header_rows
    for r, height in enumerate(header_heights(layout) if fit_header else fixed, start=first_header):
        ws.row_dimensions[r].height = height
    first_data = numbering + 1
    ws.freeze_panes = ws.cell(first_data, 1 if layout.annex != 3 else 4)
    setup_print(ws, layout, header_end=numbering)
    return first_data


MIN_HEADER_HEIGHT = 30


def _span_width(layout: Layout, c0: int, c1: int) -> float:
    return sum(layout.by_number[c].width for c in range(c0, c1 + 1))


def header_display(text: str, width: float) -> str:
    """The header text as drawn: a trailing hint in brackets — （√）, （是，否）, （未参保） — starts a
    line of its own when the text does not fit on one line, so it never breaks inside the brackets.
    The reader compares header texts without line breaks, so this does not change the contract."""
    m = re.search(r"（[^（）]*）$", text)
    if m and m.start() > 0 and text_width(text) > max(width - 1.0, 1.0):
        return text[: m.start()] + "\n" + m.group(0)
    return text


def header_heights(layout: Layout) -> list[float]:
    """Row heights (points) of the header rows so that every header cell shows all of its text:
    a cell over one row sets that row's minimum; a cell over several rows needs the sum."""
    n = layout.header_rows
    heights = [float(MIN_HEADER_HEIGHT)] * n
    cells = sorted(layout.header, key=lambda c: c.span[2] - c.span[0])
    for cell in cells:
        r0, c0, r1, c1 = cell.span
        width = _span_width(layout, c0, c1)
        need = fitted_height(header_display(cell.text, width), width, minimum=0)
        have = sum(heights[r0:r1 + 1])
        if need > have:
            heights[r1] += need - have
    return [round(h, 1) for h in heights]


FOOTER = "第 &P 页 共 &N 页"  # page X of Y on every printed page (Excel/WPS/LibreOffice header codes)


def setup_print(ws: Worksheet, layout: Layout | None = None, *, header_end: int, header_start: int = 1,
                landscape: bool = True) -> None:
    """A4, fit to one page wide, the table's header rows repeated on every page, page X of Y below.

    The one print setup of every printed sheet (annexes, progress, run log, follow-up lists); sheets
    whose writer sets none get it from :func:`finish_for_print` when the workbook is saved. When the
    repeated rows do not include the title (row 1), the sheet's title goes into the page header so
    that every page still says what it is."""
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.paperSize = Worksheet.PAPERSIZE_A4  # a write-only (streamed) sheet has no such constant
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = f"{header_start}:{header_end}"
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    ws.page_margins.header = ws.page_margins.footer = 0.25
    _page_marks(ws, title_repeated=header_start == 1 and header_end > 1)  # row 1 alone is a column header


def _page_marks(ws: Worksheet, *, title_repeated: bool) -> None:
    ws.oddFooter.center.text = FOOTER
    ws.oddFooter.center.font = FONT_NAME
    ws.oddFooter.center.size = 9
    if not title_repeated:
        ws.oddHeader.center.text = ws.title.replace("&", "&&")  # "&" starts a header code
        ws.oddHeader.center.font = FONT_NAME
        ws.oddHeader.center.size = 9


def finish_for_print(wb) -> None:
    """Make every visible sheet of ``wb`` print as a clerk expects, whatever wrote it.

    Called on every workbook the tool saves. A sheet whose writer set up printing keeps that setup
    and only gains what is missing (the page X of Y footer); any other sheet (settings, help,
    estimator, check results, a user's own sheet carried over) is set to A4, one page wide, first row
    repeated, with its name in the page header — labels never print apart from their values."""
    for ws in wb.worksheets:
        if ws.sheet_state != "visible":
            continue
        if not ws.print_title_rows:
            setup_print(ws, header_end=1, landscape=_wide(ws))
            _page_marks(ws, title_repeated=False)
        elif not ws.oddFooter.center.text:
            first, _, last = str(ws.print_title_rows).replace("$", "").partition(":")
            _page_marks(ws, title_repeated=first == "1" and last not in ("", "1"))


def _wide(ws: Worksheet) -> bool:
    """Landscape when the used columns are wider than a portrait A4 page (about 95 character widths)."""
    total = 0.0
    for c in range(1, min(getattr(ws, "max_column", 1), 60) + 1):
        dim = ws.column_dimensions.get(get_column_letter(c))
        total += dim.width if dim is not None and dim.width else 8.43
    return total > 95


def stamp(cell, *, font: Font | None = None, border: Border | None = None, alignment: Alignment | None = None) -> None:
    """Give ``cell`` these style objects, fast.

    Assigning font/border/alignment objects one cell at a time makes openpyxl hash and look up each
    style every time; for sheets of tens of thousands of cells that dominates the run. The first cell
    of each combination (per workbook, per existing cell style) is styled normally and its style array
    is copied onto the rest. Pass the module's shared style constants (the cache keys on identity)."""
    from copy import copy

    wb = cell.parent.parent
    cache = wb.__dict__.setdefault("_cxl_stamps", {})
    style = cell._style
    key = (id(font), id(border), id(alignment), tuple(style) if style is not None else ())
    done = cache.get(key)
    if done is not None:
        cell._style = copy(done)
        return
    if font is not None:
        cell.font = font
    if border is not None:
        cell.border = border
    if alignment is not None:
        cell.alignment = alignment
    cache[key] = copy(cell._style)


LINE_HEIGHT = 13.5  # points per line of 10-point 宋体
MIN_ROW_HEIGHT = 22.0


def text_width(text: str) -> int:
    """Width of ``text`` in Excel column units: a CJK (wide) character takes two, others one."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def fitted_height(text: object, column_width: float, *, minimum: float = MIN_ROW_HEIGHT) -> float:
    """A row height (points) at which ``text`` wrapped in a column ``column_width`` wide shows every
    line: Excel and WPS do not grow a row for wrapped text written by a program, so a long 备注 is
    clipped unless the height is set."""
    import math

    usable = max(column_width - 1.0, 1.0)
    lines = sum(max(1, math.ceil(text_width(part) / usable)) for part in str(text or "").split("\n"))
    return max(minimum, lines * LINE_HEIGHT + 4)


def style_body(ws: Worksheet, first_row: int, last_row: int, width: int, *, total_row: int | None = None) -> None:
    """Borders and fonts for the data rows (and the 合计 row in bold)."""
    for r in range(first_row, last_row + 1):
        font = TOTAL_FONT if r == total_row else BODY_FONT
        for c in range(1, width + 1):
            stamp(ws.cell(r, c), font=font, border=BORDER)


HANDWRITING_ROW = 26  # points: room in a printed list to write a date, a method and a result by hand


def wrap_and_fit(ws: Worksheet, rows, columns, *, min_height: float | None = None) -> None:
    """Wrap the text of ``columns`` in ``rows`` and make each row tall enough for its longest cell.

    openpyxl cannot measure text and Excel does not grow a row that has a stored height, so the
    height is estimated from the text's display width against the column width (2 units a Chinese
    character); a row never gets lower than ``min_height`` (e.g. room to write in by hand)."""
    widths = {c: (ws.column_dimensions[get_column_letter(c)].width or 8.43) for c in columns}
    floor = min_height if min_height is not None else 0.0
    for r in rows:
        height = floor
        for c in columns:
            cell = ws.cell(r, c)
            stamp(cell, alignment=WRAP)
            if cell.value is not None:
                height = max(height, fitted_height(cell.value, widths[c], minimum=floor))
        if height > max(floor, LINE_HEIGHT + 4) or min_height is not None:
            ws.row_dimensions[r].height = height


def save_workbook(wb, target) -> None:
    """Save ``wb`` to ``target`` (a path or a binary stream), print-ready: the one way the tool saves
    an openpyxl workbook, so no sheet leaves without page setup, footer and title."""
    finish_for_print(wb)
    wb.save(target)
