"""Render validation reports: a Chinese text summary, and an annotated copy of the workbook.

The annotated copy highlights each offending cell, attaches a comment with the message, and adds a
sheet 校验结果 listing every finding. The input file is never touched: the copy is built in memory and
written atomically to a new path.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from coverage_xl.codes import RULES, Severity
from coverage_xl.findings import FileReport, Finding, Report
from coverage_xl.layout import RESULT_SHEET

# The rule's Chinese name comes first; the English code last, outside the printed area (for scripts
# and for the person who reads docs/rules.md).
RESULT_HEADERS = ("文件", "工作表", "行", "列", "单元格", "字段", "问题类型", "级别", "内容", "问题及修改方法", "代码")
RESULT_WIDTHS = (16, 9, 6, 4, 7, 14, 16, 6, 20, 50, 18)
RESULT_WRAPPED = ("文件", "字段", "问题类型", "内容", "问题及修改方法")
MAX_LISTED = 200  # findings listed per file in the text summary; the rest are counted


def text_summary(report: Report, *, masked: bool = True, show_info: bool = False, limit: int = MAX_LISTED) -> str:
    """A readable Chinese summary per file: counts by rule, then each finding with its cell."""
    out: list[str] = []
    for fr in report.files:
        c = fr.counts()
        unit = fr.unit or "未识别单位"
        out.append(f"【{fr.path.name}】单位：{unit}；工作表：{fr.sheet or '—'}；数据行：{fr.rows}；"
                   f"错误 {c['error']} 条，警告 {c['warning']} 条，提示 {c['info']} 条")
        if not fr.findings:
            out.append("  校验通过，没有发现问题。")
            continue
        by_code = Counter(f.code for f in fr.findings)
        out.append("  按问题类型：" + "；".join(f"{RULES[k].title}（{k}）{n}条" for k, n in by_code.most_common()))
        shown = [f for f in fr.findings if show_info or f.severity is not Severity.INFO]
        for f in shown[:limit]:
            where = f"第{f.row}行第{f.column}列（{f.cell}）" if f.cell else (f"第{f.row}行" if f.row else "整个文件")
            out.append(f"  [{f.severity.label}] {where} {f.code}：{f.message(masked)}")
        if len(shown) > limit:
            out.append(f"  ……另有 {len(shown) - limit} 条未列出，请用 --format json 或 --annotate 查看全部。")
    if len(report.files) > 1:
        unreadable = sum(1 for f in report.files if not f.readable)
        with_errors = sum(1 for f in report.files if f.readable and f.errors)
        out.append(f"合计：{len(report.files)} 个文件，{sum(f.rows for f in report.files)} 行；"
                   f"{with_errors} 个文件有错误，{unreadable} 个文件无法读取，"
                   f"{len(report.files) - with_errors - unreadable} 个文件校验通过。")
    return "\n".join(out)


def finding_rows(fr: FileReport, *, masked: bool = False) -> list[list[object]]:
    """Rows of the 校验结果 sheet for one file (full values by default: the sheet stays in the bureau)."""
    rows = []
    for f in fr.findings:
        rows.append([fr.path.name, f.sheet or "", f.row, f.column, f.cell or "", _field_label(f), RULES[f.code].title,
                     f.severity.label, _cell_text(f.display_value(masked)), f.message(masked), f.code])
    return rows


def _field_label(f: Finding) -> str:
    from coverage_xl.layout import ANNEX3

    col = ANNEX3.by_key.get(f.field or "")
    return col.header if col else ""


def _cell_text(v: object) -> object:
    return "" if v is None else v


def write_result_sheet(wb, reports: list[FileReport], *, masked: bool = False, title: str = RESULT_SHEET):
    """(Re)create the 校验结果 sheet in an openpyxl workbook."""
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    from coverage_xl.sheets.cells import append_row
    from coverage_xl.sheets.frame import setup_print, wrap_and_fit

    if title in wb.sheetnames:
        idx = wb.sheetnames.index(title)
        del wb[title]
        ws = wb.create_sheet(title, idx)
    else:
        ws = wb.create_sheet(title)
    append_row(ws, RESULT_HEADERS)
    for c in ws[1]:
        c.font = Font(bold=True)
        c.fill = PatternFill("solid", fgColor="DDEBF7")
    for fr in reports:
        for row in finding_rows(fr, masked=masked):
            append_row(ws, row)
    for i, w in enumerate(RESULT_WIDTHS, start=1):
        ws.column_dimensions[get_column_letter(i)].width = w
    ws.freeze_panes = "A2"
    last_col = get_column_letter(len(RESULT_HEADERS))
    if ws.max_row > 1:
        ws.auto_filter.ref = f"A1:{last_col}{ws.max_row}"
    wrapped = [RESULT_HEADERS.index(h) + 1 for h in RESULT_WRAPPED]
    wrap_and_fit(ws, range(2, ws.max_row + 1), wrapped)
    setup_print(ws, header_end=1)
    ws.print_area = f"A1:{get_column_letter(len(RESULT_HEADERS) - 1)}{max(ws.max_row, 1)}"  # without 代码
    return ws


def annotate(source: str | Path, report: FileReport, target: str | Path) -> Path:
    """Write a copy of ``source`` with offending cells filled and commented, plus 校验结果.

    .xlsx/.xlsm are copied with openpyxl (VBA kept); .xls/.ods are rebuilt from the values read, since
    openpyxl cannot open them."""
    import openpyxl
    from openpyxl.comments import Comment
    from openpyxl.styles import PatternFill

    from coverage_xl import guard
    from coverage_xl.sheets.frame import save_workbook

    source, target = Path(source), Path(target)
    if source.suffix.lower() in (".xlsx", ".xlsm"):
        wb = openpyxl.load_workbook(source, keep_vba=source.suffix.lower() == ".xlsm")
    else:
        wb = _rebuild_from_values(source)
    worst: dict[tuple[str, int, int], Finding] = {}
    notes: dict[tuple[str, int, int], list[str]] = {}
    for f in report.findings:
        if f.sheet is None or f.row is None or f.column is None or f.sheet not in wb.sheetnames:
            continue
        key = (f.sheet, f.row, f.column)
        notes.setdefault(key, []).append(f"[{f.severity.label}] {f.code}：{f.message(masked=False)}")
        if key not in worst or f.severity.rank < worst[key].severity.rank:
            worst[key] = f
    for (sheet, row, col), f in worst.items():
        cell = wb[sheet].cell(row, col)
        cell.fill = PatternFill("solid", fgColor=f.severity.fill)
        comment = Comment("\n".join(notes[(sheet, row, col)]), "coverage-xl")
        comment.width, comment.height = 320, 140
        cell.comment = comment
    write_result_sheet(wb, [report])
    return guard.write_file(target, lambda p: save_workbook(wb, p), kind="annotate", inputs=[source])


ANNOTATED_SUFFIX = "_校验标注"


def annotated_name(source: str | Path) -> str:
    """The name of a file's annotated copy: 草尾镇_摸底明细表_校验标注.xlsx (.xlsm stays .xlsm)."""
    source = Path(source)
    ext = ".xlsm" if source.suffix.lower() == ".xlsm" else ".xlsx"
    return f"{source.stem}{ANNOTATED_SUFFIX}{ext}"


def annotate_next_to(report: FileReport) -> Path | None:
    """Write the annotated copy of a checked file beside it (never over it); None when the file could
    not be read, so there is nothing to annotate."""
    if not report.readable:
        return None
    source = Path(report.path)
    return annotate(source, report, source.with_name(annotated_name(source)))


def _rebuild_from_values(source: Path):
    """An openpyxl workbook holding the cell values of every sheet of an .xls/.ods file."""
    import openpyxl

    from coverage_xl.read import open_workbook
    from coverage_xl.sheets.cells import write_value

    cwb = open_workbook(source)
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name in cwb.sheet_names:
        sheet = cwb.get_sheet_by_name(name)
        ws = wb.create_sheet(name[:31])
        r0, c0 = sheet.start if sheet.height else (0, 0)
        for r, row in enumerate(sheet.to_python(), start=r0 + 1):
            for c, v in enumerate(row, start=c0 + 1):
                if v != "" and v is not None:
                    write_value(ws, r, c, v)
    return wb
