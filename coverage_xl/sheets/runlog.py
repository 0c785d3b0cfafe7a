"""The sheets that leave a trace of a consolidation run (做到记录有痕).

* 汇总记录: when the run happened, for which as-of date, with which tool version, and for every input
  file its name, unit, size, SHA-256, modification time, rows read, errors, warnings and whether it
  was counted (and if not, why) — enough to prove later which submission a number came from.
* 重复人员: every ID number found in more than one unit, one line per place, so that the bureau can
  decide who owns the person: it writes the unit into 归属单位, and later runs count the person only
  there (:mod:`coverage_xl.ownership`); choices already made are written back. Full ID numbers: this
  sheet stays in the bureau's workbook, like the 校验结果 sheet of the validator.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from openpyxl.styles import Alignment
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from coverage_xl.consolidate import Annex4Result
from coverage_xl.layout import DUPLICATES_SHEET, RUNLOG_SHEET
from coverage_xl.ownership import OWNER_HEADER
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

RUNLOG_HEADERS: tuple[tuple[str, float], ...] = (
    ("序号", 6), ("文件名", 30), ("单位", 12), ("大小（字节）", 12), ("SHA-256", 66), ("修改时间", 19),
    ("工作表", 10), ("读取行数", 9), ("错误", 7), ("警告", 7), ("是否计入", 9), ("说明", 48),
)
DUPLICATE_HEADERS: tuple[tuple[str, float], ...] = (
    ("序号", 6), ("身份证号码", 21), ("姓名", 10), ("单位", 12), ("文件", 30), ("行号", 7),
    ("同一号码还出现在", 50), (OWNER_HEADER, 14),
)
OWNER_COLUMN = len(DUPLICATE_HEADERS)
CHOICE_HEADERS: tuple[tuple[str, float], ...] = (
    ("序号", 6), ("身份证号码", 21), ("上报单位", 30), ("归属单位", 12), ("重复人员表行号", 12), ("处理", 48),
)
LEFT = Alignment(horizontal="left", vertical="center", wrap_text=True)
DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"


def _header(ws: Worksheet, row: int, headers: Sequence[tuple[str, float]]) -> None:
    for c, (text, width) in enumerate(headers, start=1):
        cell = write_value(ws, row, c, text)
        cell.font, cell.fill, cell.border, cell.alignment = HEADER_FONT, HEADER_FILL, BORDER, CENTER
        ws.column_dimensions[get_column_letter(c)].width = width


def _body(ws: Worksheet, row: int, values: Sequence[object]) -> None:
    for c, v in enumerate(values, start=1):
        stamp(write_value(ws, row, c, v), font=BODY_FONT, border=BORDER, alignment=LEFT)


def _print_setup(ws: Worksheet, header_row: int) -> None:
    ws.freeze_panes = ws.cell(header_row + 1, 1)
    setup_print(ws, header_start=header_row, header_end=header_row)


def write_runlog(ws: Worksheet, result: Annex4Result, *, inputs: str | Path | None = None,
                 output: str | Path | None = None) -> int:
    """Draw 汇总记录; returns the row of the file table's header."""
    ws.title = RUNLOG_SHEET
    write_value(ws, 1, 1, "汇总记录").font = TITLE_FONT
    counted = [n for n, s in result.status.items() if s.counted]
    facts: list[tuple[str, object]] = [
        ("汇总时间", result.run_time),
        ("统计日期", result.as_of),
        ("工具版本", f"coverage-xl {result.version}"),
        ("输入", str(inputs) if inputs is not None else ""),
        ("输出", str(output) if output is not None else ""),
        ("读取文件数", len(result.batch.files)),
        ("计入单位数", f"{len(counted)}/{len(result.status)}"),
        ("未计入单位", "、".join(result.missing) or "无"),
        ("跨单位重复身份证号码", len(result.batch.duplicates)),
        ("已核定归属单位", sum(1 for d in result.batch.duplicates if d.owner)),
        ("归属单位读自", result.batch.owner_source or "无"),
    ]
    r = 2
    for label, value in facts:
        write_value(ws, r, 1, label).font = HEADER_FONT
        cell = write_value(ws, r, 3, value)
        cell.font = BODY_FONT
        cell.alignment = Alignment(horizontal="left")
        if label == "汇总时间":
            cell.number_format = DATETIME_FORMAT
        elif label == "统计日期":
            cell.number_format = "yyyy-mm-dd"
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=2)
        # the value spans the next columns too: a date-time in the 12-wide 单位 column printed "###"
        ws.merge_cells(start_row=r, start_column=3, end_row=r, end_column=5)
        r += 1
    header = _owner_section(ws, r + 1, result) + 1
    _header(ws, header, RUNLOG_HEADERS)
    for n, f in enumerate(result.batch.files, start=1):
        rep = f.checked.report
        row = header + n
        _body(ws, row, [n, f.path.name, f.unit.name if f.unit else "（未识别）", f.size, f.sha256, f.modified.replace(microsecond=0),
                        rep.sheet or "", rep.rows, rep.errors, rep.warnings, "是" if f.counted else "否",
                        f.problem])
        ws.cell(row, 6).number_format = DATETIME_FORMAT
    _print_setup(ws, header)
    return header


def _owner_section(ws: Worksheet, row: int, result: Annex4Result) -> int:
    """The 归属单位 choices applied in this run, then the cells that could not be used; returns the
    next free row."""
    batch = result.batch
    decided = [d for d in batch.duplicates if d.owner]
    write_value(ws, row, 1, "归属单位核定（重复人员表中由市局填写，只计入归属单位）").font = HEADER_FONT
    _header(ws, row + 1, CHOICE_HEADERS)
    r = row + 1
    for n, d in enumerate(decided, start=1):
        r += 1
        others = "、".join(u for u in d.units if u != d.owner)
        _body(ws, r, [n, d.id, "、".join(d.units), d.owner, d.choice.row if d.choice else "",
                      f"只计入{d.owner}，{others}不再计入"])
        ws.cell(r, 2).number_format = "@"
    if not decided:
        r += 1
        _body(ws, r, ["", "无", "", "", "", ""])
    for f in batch.owner_findings:
        r += 1
        _body(ws, r, ["", "", "", f.value or "", f.row or "", f"[{f.severity.label}] {f.message(masked=False)}"])
    return r + 1


def write_duplicates(ws: Worksheet, result: Annex4Result) -> int:
    """Draw 重复人员 (one line per place of a cross-unit duplicate ID); returns the number of lines."""
    ws.title = DUPLICATES_SHEET
    write_value(ws, 1, 1, "跨单位重复人员（同一身份证号码出现在两个及以上单位）：请在“归属单位”列填写此人应归属的单位（填在任一行即可），"
            "再次汇总、调度时只计入该单位；未填的按各单位上报分别计入。").font = HEADER_FONT
    header = 2
    _header(ws, header, DUPLICATE_HEADERS)
    files = {f.path: f for f in result.batch.counted}  # by full path: several units send "附件3.xlsx"
    names: dict[Path, dict[int, str]] = {}
    r = header
    n = 0
    for d in result.batch.duplicates:
        for (unit, fname, row), source in zip(d.places, d.sources, strict=True):
            if source not in names:
                ppl = files[source].checked.people if source in files else None
                names[source] = dict(zip(ppl["row"], ppl["name"], strict=True)) if ppl is not None else {}
            others = "、".join(f"{u}（{f}第{rr}行）" for u, f, rr in d.places if (u, f, rr) != (unit, fname, row))
            n += 1
            r += 1
            # what the clerk typed stays (a rejected choice too, so its finding can be seen and fixed)
            owner = result.batch.owner_typed.get((d.id, unit)) or d.owner or ""
            _body(ws, r, [n, d.id, names[source].get(row, ""), unit, fname, row, others, owner])
            ws.cell(r, 2).number_format = "@"
    if n == 0:
        _body(ws, header + 1, ["", "未发现跨单位重复的身份证号码", "", "", "", "", "", ""])
    _print_setup(ws, header)
    return n
