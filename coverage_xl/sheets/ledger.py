"""The ledger's sheets: a unit's 台账, the city's 台账汇总 and week over week, 变更记录, and the lists.

Writers only draw: the rows come finished from :mod:`coverage_xl.ledger.query` (IDs already masked
or not, as the user asked). Every sheet is a print-ready table: title, a line saying what and as of
when, one header row repeated on every page, A4 landscape, page numbers. Text from the inputs
(names, addresses, remarks) is always written as text, never as a formula.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from openpyxl.styles import Alignment
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from coverage_xl.ledger.statuses import FLAG_CODES, StatusBook
from coverage_xl.ledger.summary import LIST_TOTAL, SETTLED
from coverage_xl.sheets.cells import stream_row, stream_style, write_value
from coverage_xl.sheets.frame import (
    BODY_FONT,
    BORDER,
    CENTER,
    HEADER_FILL,
    HEADER_FONT,
    TITLE_FONT,
    TOTAL_FONT,
    chinese_date,
    setup_print,
    stamp,
)
from coverage_xl.sheets.stream import StreamedSheet

Column = tuple[str, str, float]  # (header, record key, width)
WRAP = Alignment(vertical="center", wrap_text=True)
PLAIN = Alignment(vertical="center")
HEADER_ROW = 3

PERSON_COLUMNS: tuple[Column, ...] = (
    ("村（社区）", "village", 12), ("姓名", "name", 9), ("身份证号码", "id", 21), ("户籍地址", "address", 28),
    ("状态", "status_label", 11), ("是否销号", "settled_text", 8), ("标记", "flags", 14),
    ("最近变更", "last_change", 24), ("最近联系", "last_contact", 22),
)


def _wraps(key: str) -> bool:
    """Long texts (addresses, the last change) wrap in their cells; the rest stays on one line."""
    return key in ("address", "last_change")


def write_table(ws: Worksheet | StreamedSheet, title: str, note: str, columns: Sequence[Column],
                records: Iterable[dict[str, Any]], *, numbered: bool = True) -> int:
    """Title, note, header, rows; returns the number of rows written."""
    cols = ([("序号", "", 6)] if numbered else []) + list(columns)
    if isinstance(ws, StreamedSheet):
        return _stream_table(ws, title, note, cols, records, numbered=numbered)
    last = get_column_letter(len(cols))
    write_value(ws, 1, 1, title).font = TITLE_FONT
    ws.cell(1, 1).alignment = CENTER
    ws.merge_cells(f"A1:{last}1")
    ws.row_dimensions[1].height = 30
    write_value(ws, 2, 1, note).font = BODY_FONT
    ws.merge_cells(f"A2:{last}2")
    for n, (head, _, width) in enumerate(cols, start=1):
        c = write_value(ws, HEADER_ROW, n, head)
        c.font, c.fill, c.border, c.alignment = HEADER_FONT, HEADER_FILL, BORDER, CENTER
        ws.column_dimensions[get_column_letter(n)].width = width
    r = HEADER_ROW + 1
    styles: list[StyleArray] = []  # per column, the first body row's finished style, given to the rest
    for k, rec in enumerate(records, start=1):
        for n, (_, key, _) in enumerate(cols, start=1):
            value = k if numbered and n == 1 else rec.get(key, "")
            if len(styles) == len(cols):
                write_value(ws, r, n, None if value == "" else value, style=styles[n - 1])
                continue
            c = write_value(ws, r, n, None if value == "" else value)
            stamp(c, font=BODY_FONT, border=BORDER, alignment=WRAP if _wraps(key) else PLAIN)
            if key == "id":
                c.number_format = "@"
            style = StyleArray(c._style)
            style.quotePrefix = 0  # the cell's own text decides it (write_value), not the first row's
            styles.append(style)
        r += 1
    _finish_table(ws, len(cols), r - HEADER_ROW - 1)
    return r - HEADER_ROW - 1


def _stream_table(ws: StreamedSheet, title: str, note: str, cols: Sequence[Column],
                  records: Iterable[dict[str, Any]], *, numbered: bool) -> int:
    """:func:`write_table` on a streamed sheet: the same cells, values and styles, row by row."""
    width = len(cols)
    for n, (_, _, w) in enumerate(cols, start=1):
        ws.column_dimensions[get_column_letter(n)].width = w
    stream_row(ws, [title], [stream_style(ws, font=TITLE_FONT, alignment=CENTER)], height=30)
    ws.merge(1, 1, 1, width)
    stream_row(ws, [note], [stream_style(ws, font=BODY_FONT)])
    ws.merge(2, 1, 2, width)
    head = stream_style(ws, font=HEADER_FONT, fill=HEADER_FILL, border=BORDER, alignment=CENTER)
    stream_row(ws, [h for h, _, _ in cols], [head] * width)
    body = [stream_style(ws, font=BODY_FONT, border=BORDER, alignment=WRAP if _wraps(key) else PLAIN,
                         number_format="@" if key == "id" else None) for _, key, _ in cols]
    keys = [key for _, key, _ in cols][1 if numbered else 0:]
    n = 0
    for n, rec in enumerate(records, start=1):
        values = [None if (v := rec.get(key, "")) == "" else v for key in keys]
        stream_row(ws, [n, *values] if numbered else values, body)
    _finish_table(ws, width, n)
    return n


def _finish_table(ws: Worksheet | StreamedSheet, width: int, rows: int) -> None:
    """Frozen header, print setup and the filter over the header and the rows."""
    ws.freeze_panes = f"A{HEADER_ROW + 1}"
    setup_print(ws, header_end=HEADER_ROW)
    if rows:
        ws.auto_filter.ref = f"A{HEADER_ROW}:{get_column_letter(width)}{HEADER_ROW + rows}"


def write_unit_ledger(ws: Worksheet | StreamedSheet, unit_full_name: str, people: Iterable[dict[str, Any]], as_of: dt.date,
                      count: int) -> int:
    """A unit's 台账: its people by village with status, 销号, flags, last change and last contact."""
    ws.title = "台账"
    return write_table(ws, f"{unit_full_name}城乡居保全覆盖台账",
                       f"截至{chinese_date(as_of)}，共{count}人（本单位摸底表中的人员，及名单分配到本单位但未摸底的人员），按村（社区）排列。",
                       PERSON_COLUMNS, people)


def write_summary(ws: Worksheet, table: Iterable[dict[str, Any]], book: StatusBook, as_of: dt.date) -> int:
    """台账汇总: units × statuses, flags, 销号, 销号率, 名单人数; 合计; then the 口径说明."""
    columns: list[Column] = [("单位", "unit", 14)]
    columns += [(s.label, s.code, 8) for s in book.statuses]
    columns += [("台账人数", "people", 9)]
    columns += [(book.label(f), f, 8) for f in FLAG_CODES]
    columns += [("已销号", SETTLED, 8), ("销号率", "settled_rate", 8), ("名单人数", LIST_TOTAL, 9)]
    rows = list(table)
    n = write_table(ws, "沅江市城乡居保全覆盖台账汇总",
                    f"截至{chinese_date(as_of)}。各单位人数 = 本单位摸底表中的人员（跨单位重复的在各单位各计一次）"
                    "+ 名单分配到本单位但未摸底的人员。", columns, rows, numbered=False)
    rate_col = [c[1] for c in columns].index("settled_rate") + 1
    for r in range(HEADER_ROW + 1, HEADER_ROW + 1 + n):
        ws.cell(r, rate_col).number_format = "0.00%"
        if ws.cell(r, 1).value == "合计":
            for c in range(1, len(columns) + 1):
                ws.cell(r, c).font = TOTAL_FONT
    r = HEADER_ROW + n + 2
    write_value(ws, r, 1, "口径说明").font = TOTAL_FONT
    for line in explanation(book):
        r += 1
        write_value(ws, r, 1, line).font = BODY_FONT
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=len(columns))
    return n


def explanation(book: StatusBook) -> list[str]:
    """The counting rules in the status file's words, printed under 台账汇总."""
    lines = ["每人只计一个状态，按以下顺序取第一个符合的："]
    lines += [f"{s.order}. {s.label}：{s.rule}" for s in book.statuses]
    lines += [f"标记“{f.label}”：{f.rule}" for f in book.flags]
    settled = "、".join(s.label for s in book.statuses if s.settled == "yes")
    signed = "、".join(s.label for s in book.statuses if s.settled == "signed")
    text = f"销号：{settled}；{signed}且交回的跟进名单记录已签订意愿书"
    text += "；联系不上且注明联系时间及方式（市局设定：计为销号）" if book.unreachable_settles else \
        "。联系不上的人员即使记录有痕也不计为销号（市局设定，可在台账状态文件中修改）"
    lines.append(text + "。销号率 = 已销号人数 ÷ 台账人数。")
    return lines


def write_week_over_week(ws: Worksheet, wow: Iterable[dict[str, Any]], dates: Sequence[str]) -> int:
    """Per unit, 已销号 and 销号率 on each as-of date, and the change since the one before."""
    ws.title = "周对比"
    columns: list[Column] = [("单位", "unit", 14)]
    for d in dates:
        columns += [(f"{d} 已销号", f"{d}|settled", 11), (f"{d} 销号率", f"{d}|rate", 11)]
    columns.append(("比上次增加", "change", 10))
    rows = list(wow)
    n = write_table(ws, "台账销号进度（周对比）", "一周一调度：各次更新台账时的已销号人数和销号率。", columns, rows, numbered=False)
    for c, (_, key, _) in enumerate(columns, start=1):
        if key.endswith("|rate"):
            for r in range(HEADER_ROW + 1, HEADER_ROW + 1 + n):
                ws.cell(r, c).number_format = "0.00%"
    return n


CHANGE_COLUMNS: tuple[Column, ...] = (
    ("日期", "as_of", 11), ("单位", "unit", 11), ("姓名", "name", 9), ("身份证号码", "id", 21),
    ("变更项", "field_label", 10), ("原值", "old_label", 14), ("新值", "new_label", 16),
    ("依据", "source_label", 12), ("依据文件", "source_file", 26), ("文件SHA-256", "source_sha256", 20),
    ("运行编号", "run_id", 8),
)


def write_changes(ws: Worksheet | StreamedSheet, rows: Iterable[dict[str, Any]], start: str, end: str, *,
                  count: int | None = None) -> int:
    """变更记录 of a date range; ``count`` (the number of ``rows``, said in the note above them) lets the
    rows stream from the database instead of being held first."""
    ws.title = "变更记录"
    if count is None:
        rows = list(rows)
        count = len(rows)
    return write_table(ws, "城乡居保全覆盖台账变更记录", f"{start} 至 {end}，共{count}条（做到记录有痕）。",
                       CHANGE_COLUMNS, rows)


def write_people_list(ws: Worksheet | StreamedSheet, title: str, note: str, columns: Sequence[Column],
                      people: Iterable[dict[str, Any]], sheet: str) -> int:
    ws.title = sheet[:31]
    return write_table(ws, title, note, columns, people)


def write_summary_frame(ws: Worksheet, book: StatusBook) -> None:
    """The master's 台账汇总 before the first update: what it will show and the 口径说明."""
    write_value(ws, 1, 1, "沅江市城乡居保全覆盖台账汇总").font = TITLE_FONT
    write_value(ws, 2, 1, "尚未建立台账：在“单位设置”填写省下发核实名单、摸底表文件夹、参保登记和缴费导出后，点击“更新台账”。"
        ).font = BODY_FONT
    write_value(ws, 4, 1, "口径说明").font = TOTAL_FONT
    for r, line in enumerate(explanation(book), start=5):
        write_value(ws, r, 1, line).font = BODY_FONT
    ws.column_dimensions["A"].width = 14
