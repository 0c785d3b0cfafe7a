"""The Excel face: one function per ribbon button, and the worksheet function CXL_PENSION.

This is the only module that imports xlwings. Each macro takes the calling book
(``xw.Book.caller()``, so ``xw.Book("总表.xlsm").set_mock_caller()`` runs it from plain Python),
reads what it needs through xlwings — the cells as they are on screen, unsaved edits included —,
calls the same library functions as the CLI, and writes the results back into the open book:
highlights and notes on the cells with findings, the 校验结果 sheet, the annex sheets.

Why sheets are written through xlwings and not with openpyxl: the master is open in Excel while a
button runs, so the file on disk is locked (Windows) and would be overwritten by Excel's copy on the
next save anyway. The library's openpyxl writers draw each sheet into a temporary workbook, and
:func:`copy_sheet` copies values, number formats, merges, widths, bold text and fills from there.

Progress shows on Excel's status bar; the result is a Chinese message box; any error is a message
box too (never a Python traceback window), with details in a log file for the IT person.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import re
import tempfile
import traceback
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import xlwings as xw

from coverage_xl import guard
from coverage_xl.errors import CoverageError, InputError
from coverage_xl.master import HELP_SHEET, RESULT_SHEET, SETTINGS_SHEET, Settings, parse_settings
from coverage_xl.spreadsheet_text import looks_like_formula

TITLE = "城乡居保"
MAX_MARKED = 3000  # cells coloured and noted per run; the 校验结果 sheet lists everything
LOG_NAME = "coverage-xl-excel.log"
_NUMERIC_TEXT = re.compile(r"^\s*[-+]?(\d[\d,]*\.?\d*|\.\d+)([eE][-+]?\d+)?%?\s*$")

log = logging.getLogger("coverage_xl.excel")


# --------------------------------------------------------------------------- plumbing


def log_path() -> Path:
    return Path(tempfile.gettempdir()) / LOG_NAME


def _alert(book: Any, text: str, *, critical: bool = False) -> None:
    try:
        book.app.alert(text, TITLE, mode="critical" if critical else "info")
    except Exception:  # an old xlwings without App.alert: the status bar still tells
        book.app.status_bar = text.splitlines()[0][:250]


def _status(book: Any, text: str | bool) -> None:
    try:
        book.app.status_bar = text
    except Exception:  # noqa: BLE001 - the status bar is a nicety
        pass


def macro(func: Callable[[Any], str | None]) -> Callable[[], None]:
    """Wrap a button: find the caller, show the returned summary, turn every error into a message box."""

    @functools.wraps(func)
    def run() -> None:
        book = xw.Book.caller()
        app = book.app
        try:
            app.screen_updating = False
            with guard.session():  # one run for the output guard: what it reads is never written
                summary = func(book)
        except CoverageError as exc:
            _alert(book, f"无法完成：{exc}", critical=True)
        except Exception as exc:  # noqa: BLE001 - a button must never show a traceback window
            where = log_path()
            try:
                with where.open("a", encoding="utf-8") as fh:
                    fh.write(f"--- {dt.datetime.now():%Y-%m-%d %H:%M:%S} {func.__name__}\n{traceback.format_exc()}\n")
            except OSError:
                where = None
            more = f"详细信息已记入：{where}，请发给信息管理员。" if where else ""
            _alert(book, f"运行出错（{type(exc).__name__}）：{exc}\n{more}", critical=True)
        else:
            if summary:
                _alert(book, summary)
        finally:
            try:
                app.screen_updating = True
            except Exception:  # noqa: BLE001
                pass
            _status(book, False)

    run.__wrapped_macro__ = func  # type: ignore[attr-defined]
    return run


def sheet_names(book: Any) -> list[str]:
    return [s.name for s in book.sheets]


def sheet_values(sheet: Any) -> list[list[Any]]:
    """Every cell from A1 to the last used cell, as a list of rows (None for blanks)."""
    last = sheet.used_range.last_cell
    if last.row == 1 and last.column == 1 and sheet.range((1, 1)).value is None:
        return []
    return sheet.range((1, 1), (last.row, last.column)).options(ndim=2).value


def book_folder(book: Any) -> Path:
    full = Path(str(book.fullname))
    return full.parent if full.parent != Path(".") and full.parent.exists() else Path.cwd()


def read_settings(book: Any) -> Settings:
    if SETTINGS_SHEET not in sheet_names(book):
        raise InputError(f"本工作簿没有“{SETTINGS_SHEET}”表。请在总表（coverage-xl master 生成）中使用此按钮。")
    return parse_settings(sheet_values(book.sheets[SETTINGS_SHEET]), base=book_folder(book))


def _as_of(book: Any) -> dt.date:
    if SETTINGS_SHEET in sheet_names(book):
        s = read_settings(book)
        if s.as_of:
            return s.as_of
    return dt.date.today()


def _target_sheet(book: Any, name: str, after: str | None = None) -> Any:
    if name in sheet_names(book):
        return book.sheets[name]
    names = sheet_names(book)
    anchor = book.sheets[after] if after in names else book.sheets[names[-1]]
    return book.sheets.add(name, after=anchor)


def _excel_would_convert(v: Any) -> bool:
    """Text Excel turns into a number when assigned as a value (an ID number, a code, '0737')."""
    return isinstance(v, str) and bool(_NUMERIC_TEXT.match(v))


def _excel_literal(cell: Any) -> Any:
    """The value to give Excel for an openpyxl cell: text that Excel would evaluate when assigned
    (``=…``, ``+…``, ``-…``, ``@…``) gets Excel's own quote prefix ``'``, which Excel keeps as the
    cell's prefix character and does not show; our own formula cells (data type ``f``) stay formulas."""
    v = cell.value
    if cell.data_type != "f" and isinstance(v, str) and looks_like_formula(v):
        return "'" + v
    return v


def _runs(cells: Iterable[tuple[int, Any]]) -> Iterable[tuple[int, int, Any]]:
    """(first, last, value) runs of equal consecutive values along one column or row."""
    start = prev = None
    current: Any = None
    for i, v in cells:
        if start is not None and (i != prev + 1 or v != current):
            yield start, prev, current
            start = None
        if start is None:
            start, current = i, v
        prev = i
    if start is not None:
        yield start, prev, current


def copy_sheet(src: Any, book: Any, name: str | None = None, *, after: str | None = None) -> Any:
    """Copy an openpyxl worksheet into the xlwings book: values, number formats (text first, so that
    Excel keeps ID numbers as text), merges, column widths, bold fonts and solid fills."""
    name = name or src.title
    sheet = _target_sheet(book, name, after)
    sheet.clear()
    rows, cols = src.max_row, src.max_column
    grid = [[c for c in row] for row in src.iter_rows(min_row=1, max_row=rows, max_col=cols)]
    for c in range(cols):
        formats = []
        for r in range(rows):
            cell = grid[r][c]
            fmt = "@" if _excel_would_convert(cell.value) else cell.number_format
            if fmt and fmt != "General":
                formats.append((r + 1, fmt))
        for first, last, fmt in _runs(formats):
            sheet.range((first, c + 1), (last, c + 1)).number_format = fmt
    values = [[_excel_literal(cell) for cell in row] for row in grid]
    if values:
        sheet.range((1, 1)).value = values
    for merged in src.merged_cells.ranges:
        sheet.range(merged.coord).merge()
    for letter, dim in src.column_dimensions.items():
        if dim.width:
            sheet.range(f"{letter}1").column_width = dim.width
    for r in range(rows):
        bold = [(c + 1, True) for c in range(cols) if grid[r][c].font is not None and grid[r][c].font.b]
        for first, last, _ in _runs(bold):
            sheet.range((r + 1, first), (r + 1, last)).font.bold = True
        for c in range(cols):
            fill = grid[r][c].fill
            if fill is not None and fill.fill_type == "solid" and isinstance(fill.fgColor.rgb, str):
                sheet.range((r + 1, c + 1)).color = "#" + fill.fgColor.rgb[-6:]
    return sheet


def _set_note(cell: Any, text: str) -> None:
    old = cell.note
    if old is not None:
        old.delete()
    if hasattr(cell, "add_note"):
        cell.add_note(text)
    else:  # xlwings before add_note: Excel's own AddComment
        cell.api.AddComment(text)


def _clear_marks(book: Any, sheet: Any) -> int:
    """Undo the colours and notes of the previous run on ``sheet`` (the old 校验结果 lists them)."""
    if RESULT_SHEET not in sheet_names(book):
        return 0
    from coverage_xl.report import RESULT_HEADERS

    rows = sheet_values(book.sheets[RESULT_SHEET])
    if not rows or [str(v or "") for v in rows[0][: len(RESULT_HEADERS)]] != list(RESULT_HEADERS):
        return 0
    i_sheet, i_cell = RESULT_HEADERS.index("工作表"), RESULT_HEADERS.index("单元格")
    cleared = 0
    for row in rows[1:]:
        if row[i_sheet] == sheet.name and row[i_cell]:
            cell = sheet.range(str(row[i_cell]))
            cell.color = None
            if cell.note is not None:
                cell.note.delete()
            cleared += 1
    return cleared


def _write_results(book: Any, reports: Sequence[Any]) -> None:
    import openpyxl

    from coverage_xl.report import write_result_sheet

    wb = openpyxl.Workbook()
    ws = write_result_sheet(wb, list(reports), title=RESULT_SHEET)
    copy_sheet(ws, book, RESULT_SHEET)


def _check_sheet(book: Any, sheet: Any, folder: Path, as_of: dt.date) -> Any:
    """Validate the sheet as the validator checks a file: its values go into a temporary .xlsx at the
    same cells (types kept: text stays text, numbers stay numbers), checked by :func:`validate_file`."""
    import openpyxl

    from coverage_xl.sheets.cells import append_row
    from coverage_xl.validate import validate_file

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet(sheet.name)
    for row in sheet_values(sheet):
        append_row(ws, row)
    stem = Path(str(book.name)).stem or "当前工作簿"
    tmp = folder / f"{stem}.xlsx"
    wb.save(tmp)
    checked = validate_file(tmp, as_of)
    if checked.survey is None:
        raise InputError(f"当前工作表“{sheet.name}”不是附件3摸底明细表（找不到“行政代码、行政区划、姓名、身份证号码……”表头）。"
                         "请先切换到要校验的工作表。")
    checked.report = replace(checked.report, path=Path(str(book.fullname)))
    checked.survey = replace(checked.survey, path=checked.report.path)
    return checked


def _counts_text(reports: Sequence[Any]) -> str:
    e = sum(r.errors for r in reports)
    w = sum(r.warnings for r in reports)
    return f"错误 {e} 条，警告 {w} 条"


# --------------------------------------------------------------------------- the buttons


@macro
def validate_current(book: Any) -> str:
    """校验当前表: check the active sheet as it is on screen, mark the cells, list the findings."""
    return _mark_sheet(book, book.sheets.active, _as_of(book))


def _mark_sheet(book: Any, sheet: Any, as_of: dt.date) -> str:
    """Check ``sheet`` of ``book`` as it is on screen: colour and note the cells with findings, write
    校验结果 into ``book``; return the summary. Nothing is saved."""
    _status(book, f"正在读取并校验“{sheet.name}”……")
    with tempfile.TemporaryDirectory(prefix="cxl-") as d:
        checked = _check_sheet(book, sheet, Path(d), as_of)
    report = checked.report
    _status(book, "正在标注有问题的单元格……")
    _clear_marks(book, sheet)
    cells: dict[str, list[Any]] = {}
    for f in report.findings:
        if f.cell and f.sheet == sheet.name:
            cells.setdefault(f.cell, []).append(f)
    for n, (ref, found) in enumerate(cells.items()):
        if n >= MAX_MARKED:
            break
        worst = min(found, key=lambda f: f.severity.rank)
        cell = sheet.range(ref)
        cell.color = "#" + worst.severity.fill
        _set_note(cell, "\n".join(f"[{f.severity.label}] {f.code}：{f.message(masked=False)}" for f in found))
    _write_results(book, [report])
    sheet.activate()
    unit = report.unit or "未识别单位"
    head = f"“{sheet.name}”（{unit}）共 {report.rows} 行：{_counts_text([report])}，提示 {report.counts()['info']} 条。"
    if not report.findings:
        return head + "\n校验通过，没有发现问题。"
    more = f"\n只标注了前 {MAX_MARKED} 个单元格。" if len(cells) > MAX_MARKED else ""
    return head + f"\n有问题的单元格已填色并加批注（红=错误，黄=警告），全部问题见“{RESULT_SHEET}”表。{more}"


def _owner_choices(book: Any, settings: Settings) -> Any:
    """The 归属单位 choices on the book's own 重复人员 sheet (none when it has no such sheet)."""
    from coverage_xl.layout import DUPLICATES_SHEET
    from coverage_xl.ownership import OwnerChoices, parse_owner_choices

    if DUPLICATES_SHEET not in sheet_names(book):
        return OwnerChoices()
    return parse_owner_choices(sheet_values(book.sheets[DUPLICATES_SHEET]), settings.unit_list,
                               source=str(getattr(book, "name", "")))


# --------------------------------------------------------------------------- the add-in's buttons

NOT_SAVED = ("\n标注和“{sheet}”表只在屏幕上，尚未保存，原文件没有改动。需要保留时请用“另存为”另存一份，"
             "不要覆盖镇里报来的原文件。")


def _annex3_sheet(book: Any) -> Any:
    """The sheet to check in a town's workbook: the active one if it has the Annex 3 header, else the
    first that has it (a 填表说明 sheet often comes first)."""
    from coverage_xl.read import has_annex3_header

    active = book.sheets.active
    order = [active] + [s for s in book.sheets if s.name != active.name]
    for sheet in order:
        if sheet.name == RESULT_SHEET:
            continue
        last = sheet.used_range.last_cell
        top = sheet.range((1, 1), (min(last.row, 40), max(last.column, 1))).options(ndim=2).value
        if has_annex3_header(top or []):
            return sheet
    raise InputError(f"工作簿“{book.name}”中没有附件3摸底明细表（找不到“行政代码、行政区划、姓名、身份证号码……”表头）。")


@macro
def validate_active_book(caller: Any) -> str:
    """校验当前工作簿 (add-in): check the workbook the clerk has open — not the add-in —, mark its cells
    and add 校验结果 to it. It is never saved here: the clerk decides (Excel asks on closing)."""
    try:
        book = xw.books.active
    except Exception:  # noqa: BLE001 - no workbook open at all
        book = None
    if book is None or str(book.name).lower().endswith(".xlam"):
        raise InputError("请先打开要校验的摸底明细表，再点“校验当前工作簿”。")
    summary = _mark_sheet(book, _annex3_sheet(book), dt.date.today())
    return summary + NOT_SAVED.format(sheet=RESULT_SHEET)


FILE_FILTER = "摸底明细表 (*.xlsx;*.xlsm;*.xls;*.ods),*.xlsx;*.xlsm;*.xls;*.ods"


def _pick_files(app: Any) -> list[Path]:
    """Excel's own file picker, several files allowed; [] when the clerk cancels."""
    chosen = app.api.GetOpenFilename(FileFilter=FILE_FILTER, Title="选择要校验的摸底明细表（可多选）", MultiSelect=True)
    if chosen is False or chosen is None:
        return []
    return [Path(str(p)) for p in (chosen if isinstance(chosen, list | tuple) else [chosen])]


@macro
def validate_files(caller: Any) -> str:
    """校验文件… (add-in): pick workbooks, write an annotated copy next to each (the originals are not
    touched), and list the results."""
    from coverage_xl.report import annotate_next_to
    from coverage_xl.validate import validate_file

    paths = _pick_files(caller.app)
    if not paths:
        return ""
    lines = []
    for n, path in enumerate(paths, start=1):
        _status(caller, f"正在校验（{n}/{len(paths)}）：{path.name}")
        report = validate_file(path, dt.date.today()).report
        copy = annotate_next_to(report)
        where = f"，标注副本：{copy.name}" if copy else "（无法读取，未生成副本）"
        lines.append(f"{path.name}（{report.unit or '未识别单位'}）：{report.rows} 行，{_counts_text([report])}{where}")
    folder = paths[0].parent
    return f"已校验 {len(paths)} 个文件，标注副本保存在原文件旁（{folder}），原文件没有改动：\n" + "\n".join(lines)


@macro
def check_environment(caller: Any) -> str:
    """检查环境: the xlwings this Python has against the one recorded in the calling workbook."""
    from coverage_xl.doctor import VERSION_NAME, installed_xlwings_version

    try:
        recorded = str(caller.names[VERSION_NAME].refers_to).lstrip("=").strip('"')
    except Exception:  # noqa: BLE001 - no such name: built by an older coverage-xl
        recorded = ""
    installed = installed_xlwings_version() or "未安装"
    if recorded and recorded == installed:
        return f"正常：本工作簿内嵌 xlwings {recorded}，Python 中安装的也是 {installed}。"
    kind = "addin" if str(caller.name).lower().endswith(".xlam") else "master"
    return (f"版本不一致：本工作簿内嵌 xlwings {recorded or '（未记录）'}，Python 中安装的是 {installed}。"
            f"请安装相同版本（pip install xlwings=={recorded or installed}），或用当前版本重新生成本工作簿"
            f"（coverage-xl {kind} {caller.name}）。运行 coverage-xl doctor 可查看详情。")


@macro
def consolidate_units(book: Any) -> str:
    """汇总各单位: validate every unit's file, count them into 附件4 (+ 重复人员, 汇总记录, 校验结果)."""
    import openpyxl

    from coverage_xl.consolidate import consolidate
    from coverage_xl.jobs.consolidate import write_workbook
    from coverage_xl.layout import ANNEX4, DUPLICATES_SHEET, RUNLOG_SHEET
    from coverage_xl.survey import load_batch

    settings = read_settings(book)
    as_of = settings.as_of or dt.date.today()
    paths = settings.survey_paths()
    guard.declare_inputs(paths, settings.survey_dir)
    batch = load_batch(paths, as_of, units=settings.unit_list, owners=_owner_choices(book, settings),
                       progress=lambda p, n, total: _status(book, f"正在读取并校验（{n}/{total}）：{p.name}"))
    _status(book, "正在汇总……")
    result = consolidate(batch)
    with tempfile.TemporaryDirectory(prefix="cxl-") as d:
        out = Path(d) / "汇总.xlsx"
        write_workbook(result, out, inputs_label=settings.survey_dir or "; ".join(str(p) for p in paths))
        wb = openpyxl.load_workbook(out)
        _status(book, "正在写入附件4……")
        previous = ANNEX4.sheet_name
        for name in (ANNEX4.sheet_name, DUPLICATES_SHEET, RUNLOG_SHEET):
            copy_sheet(wb[name], book, name, after=previous)
            previous = name
    reports = [f.checked.report for f in batch.files]
    _write_results(book, reports)
    book.sheets[ANNEX4.sheet_name].activate()
    total = len(result.status)
    lines = [f"已汇总 {total - len(result.missing)}/{total} 个单位（统计日期 {as_of:%Y-%m-%d}），读取 {len(batch.files)} 个文件。",
             f"各单位摸底表共{_counts_text(reports)}，明细见“{RESULT_SHEET}”表。"]
    if result.missing:
        lines.append("未计入：" + "；".join(f"{n}（{result.status[n].problem}）" for n in result.missing))
    if batch.duplicates:
        lines.append(f"有 {len(batch.duplicates)} 个身份证号码在两个及以上单位出现，见“{DUPLICATES_SHEET}”表。")
    return "\n".join(lines)


@macro
def make_dispatch(book: Any) -> str:
    """生成调度表: match the survey with the registration/payment exports into 附件5, 进度, 调度历史."""
    import openpyxl

    from coverage_xl.dispatch import run_dispatch
    from coverage_xl.jobs.dispatch import write_dispatch
    from coverage_xl.layout import ANNEX5, DUPLICATE_INSURANCE_SHEET, HISTORY_SHEET, PROGRESS_SHEET
    from coverage_xl.progress import LAGGING

    settings = read_settings(book)
    if not settings.registrations and not settings.payments:
        raise InputError("请先在“单位设置”表填写“参保登记导出”和“缴费导出”的文件位置。")
    as_of = settings.as_of or dt.date.today()

    def progress(stage: str, name: str, n: int, total: int) -> None:
        _status(book, f"正在读取{'摸底表' if stage == 'survey' else '导出名单'}（{n}/{total}）：{name}")

    guard.declare_inputs(settings.survey_paths(), settings.registrations, settings.payments)
    result = run_dispatch(settings.survey_paths(), settings.registrations, settings.payments, as_of,
                          progress=progress, owners=_owner_choices(book, settings), counting=settings.counting())
    with tempfile.TemporaryDirectory(prefix="cxl-") as d:
        out = Path(d) / "调度.xlsx"
        history = openpyxl.Workbook()  # the book's history so far, so that this run is merged into it
        hs = history.active
        hs.title = HISTORY_SHEET
        if HISTORY_SHEET in sheet_names(book):
            for row in sheet_values(book.sheets[HISTORY_SHEET]):
                hs.append(row)
        guard.write_file(out, history.save, kind="dispatch")
        write_dispatch(result, out)
        wb = openpyxl.load_workbook(out)
        previous = ANNEX5.sheet_name
        for name in (ANNEX5.sheet_name, PROGRESS_SHEET, HISTORY_SHEET, DUPLICATE_INSURANCE_SHEET):
            _status(book, f"正在写入“{name}”……")
            copy_sheet(wb[name], book, name, after=previous)
            previous = name
    book.sheets[ANNEX5.sheet_name].activate()
    s = result.summary
    total = result.annex5.iloc[-1]
    lines = [f"调度表已生成（统计日期 {as_of:%Y-%m-%d}，缴费年度 {s.campaign_year}）。",
             f"全市应覆盖 {int(total['should_cover']):,} 人，已登记 {int(total['registered']):,} 人，"
             f"已缴费 {int(total['paid']):,} 人。"]
    lag = result.progress[result.progress["status"] == LAGGING]["unit"].tolist() if "status" in result.progress else []
    if lag:
        lines.append("进度滞后：" + "、".join(lag))
    lines += [f"无法使用：{p}" for p in s.problems]
    lines += [f"未计入：{n}：{why}" for n, why in s.unit_problems.items()]
    return "\n".join(lines)


@macro
def update_ledger(book: Any) -> str:
    """更新台账: the same library function as ``coverage-xl ledger update``, then 台账汇总 into the book."""
    import openpyxl

    from coverage_xl.jobs.ledger import write_ledger_summary_sheet
    from coverage_xl.layout import LEDGER_SUMMARY_SHEET
    from coverage_xl.ledger import default_ledger_path
    from coverage_xl.ledger import update_ledger as run_update

    settings = read_settings(book)
    if bool(settings.registrations) != bool(settings.payments):
        raise InputError("请在“单位设置”表同时填写“参保登记导出”和“缴费导出”（或都不填）。")
    as_of = settings.as_of or dt.date.today()
    ledger = settings.ledger or default_ledger_path(Path(str(book.fullname)))
    _status(book, "正在更新台账……")
    result = run_update(ledger, lists=settings.lists, survey=settings.survey_paths(),
                        registrations=settings.registrations, payments=settings.payments,
                        followups=settings.followups_dir, as_of=as_of, units=settings.unit_list)
    with tempfile.TemporaryDirectory(prefix="cxl-") as d:
        out = Path(d) / "台账汇总.xlsx"
        write_ledger_summary_sheet(ledger, out, units=settings.unit_list)
        wb = openpyxl.load_workbook(out)
        _status(book, f"正在写入“{LEDGER_SUMMARY_SHEET}”……")
        copy_sheet(wb[LEDGER_SUMMARY_SHEET], book, LEDGER_SUMMARY_SHEET)
    book.sheets[LEDGER_SUMMARY_SHEET].activate()
    total = result.summary()["total"]
    lines = [f"台账已更新（统计日期 {as_of:%Y-%m-%d}）：台账 {result.people:,} 人，已销号 {total['settled']:,} 人，"
             f"本次变更 {result.changes:,} 条。", f"台账数据库：{ledger}"]
    errors = sum(r.errors for r in result.followup_reports)
    if errors:
        lines.append(f"交回的跟进名单有 {errors} 处错误，这些记录未计入（请用命令 coverage-xl ledger update 查看明细）。")
    lines += result.notes + [f"无法使用：{p}" for p in result.problems]
    return "\n".join(lines)


@macro
def make_notices(book: Any) -> str:
    """生成通报: bulletins, unit notices, SMS lists... into the notices folder."""
    from coverage_xl.notices import render_notices

    settings = read_settings(book)
    as_of = settings.as_of or dt.date.today()
    out = settings.notices_dir or book_folder(book) / "通报"
    from coverage_xl.layout import PARAMS_SHEET

    saved = Path(str(getattr(book, "fullname", "")))
    params = saved if PARAMS_SHEET in sheet_names(book) and saved.suffix.lower() in (".xlsx", ".xlsm") \
        and saved.is_file() else None  # the master's own 测算参数 (as last saved)
    guard.declare_inputs(settings.survey_paths(), settings.registrations, settings.payments)
    run = render_notices(["all"], settings.survey_paths(), settings.registrations, settings.payments, as_of,
                         out_dir=out, progress=lambda label, n, total: _status(book, f"{label}（{n}/{total}）"),
                         counting=settings.counting(), params=params)
    lines = [f"已生成 {len(run.files)} 个文件，保存在：{out}"]
    lines += run.notes
    lines += [f"注意：{w}" for w in run.warnings]
    lines += [f"未生成：{w}" for w in run.refused]
    return "\n".join(lines)


@macro
def make_templates(book: Any) -> str:
    """生成单位模板: one self-checking Annex 3 workbook per unit."""
    from coverage_xl.templates import build_templates

    settings = read_settings(book) if SETTINGS_SHEET in sheet_names(book) else Settings()
    out = settings.templates_dir or book_folder(book) / "单位模板"
    paths = build_templates(out, settings.unit_list, settings.as_of,
                            progress=lambda u, n, total: _status(book, f"正在生成模板（{n}/{total}）：{u.name}"))
    return f"已生成 {len(paths)} 个单位模板（不含宏，WPS 也能用），保存在：{out}"


@macro
def open_help(book: Any) -> str:
    """打开说明: go to the 使用说明 sheet."""
    if HELP_SHEET in sheet_names(book):
        book.sheets[HELP_SHEET].activate()
        return ""
    return "使用说明：见 coverage-xl 的 docs/excel.md，或运行 coverage-xl --help。"


BUTTONS: dict[str, Callable[[], None]] = {
    "validate_current": validate_current,
    "consolidate_units": consolidate_units,
    "make_dispatch": make_dispatch,
    "make_notices": make_notices,
    "update_ledger": update_ledger,
    "make_templates": make_templates,
    "open_help": open_help,
    "validate_active_book": validate_active_book,
    "validate_files": validate_files,
    "check_environment": check_environment,
}


# --------------------------------------------------------------------------- worksheet function


@xw.func
def CXL_PENSION(birth: Any, tier: Any, start_year: Any = None) -> Any:  # noqa: N802 - Excel function name
    """=CXL_PENSION(出生日期, 缴费档次, 开始缴费年份)：待遇测算（月养老金，元）。"""
    from coverage_xl.estimate import pension_udf

    return pension_udf(birth, tier, start_year)


def run_mock(path: str | Path, name: str) -> None:
    """Run one button against a workbook from plain Python (``set_mock_caller``), e.g. for debugging:
    ``python -m coverage_xl.excel 总表.xlsm validate_current``."""
    xw.Book(str(path)).set_mock_caller()
    BUTTONS[name]()


if __name__ == "__main__":  # pragma: no cover - needs Excel
    import sys

    run_mock(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "validate_current")
