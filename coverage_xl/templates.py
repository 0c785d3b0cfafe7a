"""Unit templates: one Annex 3 workbook per unit that checks its own input, with no macro.

Town staff fill these in Excel, WPS or LibreOffice, often without Python; so every check is native
(data validation and conditional formatting from :mod:`coverage_xl.sheets.validation`), the header
is protected, and a 填表说明 sheet explains in plain Chinese what to type where. The pre-fill job
uses :func:`new_unit_workbook` too, so a pre-filled list carries the same checks.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from copy import copy
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from coverage_xl import guard
from coverage_xl.errors import InputError
from coverage_xl.layout import ANNEX3, CATEGORY_KEYS, INSTRUCTIONS_SHEET, TOTAL_LABEL
from coverage_xl.sheets.annex3 import TEXT_FORMAT, write_annex3
from coverage_xl.sheets.cells import set_value, write_formula, write_value
from coverage_xl.sheets.frame import BODY_FONT, BORDER, FONT_NAME, save_workbook
from coverage_xl.sheets.rowcheck import CHECK_COLUMN, write_check_column
from coverage_xl.sheets.validation import TICK_CHOICES, add_input_checks
from coverage_xl.units import Unit, default_units, find_unit

MARGIN = 1.1  # a unit's template holds its Annex 1 task × 1.1 rows, rounded up to a hundred
FILE_PATTERN = "{name}_摸底明细表.xlsx"

INSTRUCTIONS: tuple[str, ...] = (
    "填表说明",
    "",
    "一、本表是《沅江市城乡居民养老保险全覆盖摸底明细表》（沅人社发〔2020〕44号附件3）。入户摸底时每人填一行，"
    "填在“附件3”工作表里。",
    "二、“行政代码”“行政区划”已按本单位填好，不用改。“填报单位”行请补上填报人、联系方式和日期。",
    "三、身份证号码：填18位号码，最后一位可能是X。这一列已设为文本格式，直接输入即可，不要加空格或撇号。"
    "位数不对或最后一位校验码不对时会弹出提示，请核对后重新输入；从别处粘贴进来的错误号码会变成红色。"
    "15位的旧号码会变成黄色，请尽量换成18位。",
    "四、出生年月：如 1965.03，要和身份证号码上的出生年月一致。",
    "五、第7列至第16列：只在符合的一列打“√”（点单元格右边的小三角，从下拉列表选择；“✓”“✔”也可以）。属于城乡居保覆盖范围的"
    "打第7列；不属于的，在第8至16列中选一个原因；都不是的，在第17列“其他”直接写明具体情况。"
    "同一行打了两处以上时，这几列会变成红色，请只留一处。",
    "六、是否愿意参保：属于覆盖范围的人员从下拉列表选“是”或“否”；不属于覆盖范围的人员不填。",
    "七、联系电话：手机号11位（10位的手机号会被拒绝）；固定电话7至8位，可加区号（如 0737-1234567）；有多个号码用“/”隔开。"
    "位数不可能的号码会被拒绝并变成红色。",
    "八、人数不够时：在“合计”行上方选中若干行，点右键“插入”，插入的行自动带上上面这些检查；再把上一行最右边"
    "“自动检查”列的公式向下复制到新行。不要在“合计”行下面填写。",
    "九、只有标题和表头受保护，防止误改；填写数据的行可以自由填写、插入、删除和排序。确需改表头时，"
    "可在“审阅”中点“撤销工作表保护”（没有密码）。",
    "十、本表不含宏，在Excel、WPS和LibreOffice中都能使用，打开时不需要“启用宏”。",
    "十一、备注右边灰色的“自动检查，请勿填写”列会逐行写出该行的第一个问题（如“身份证号码校验位错误”"
    "“未勾选分类”“出生年月与身份证不符”），没有问题时为空；这一列不打印，请不要在里面填写或粘贴。"
    "该列顶部显示“有问题的行”数，从别处粘贴数据后也会重新计算；“检查公式缺失的行”不为0时，"
    "说明有行的检查公式被覆盖或删掉，请从上一行向下复制。同一身份证号码出现两次时，两处都会变红。",
    "十二、报送前请检查“有问题的行”为0、表中没有红色单元格；保存为 .xlsx 格式，文件名保留单位名称，报市人社局。",
)

UnitLike = Unit | str


def _resolve_units(units: Iterable[UnitLike] | None) -> list[Unit]:
    if units is None:
        return list(default_units())
    out: list[Unit] = []
    for u in units:
        unit = u if isinstance(u, Unit) else find_unit(u)
        if unit is None:
            names = "、".join(x.name for x in default_units())
            raise InputError(f"无法识别单位“{u}”。可用的单位：{names}。")
        if unit not in out:
            out.append(unit)
    return out


def rows_for(unit: Unit | None) -> int:
    """Rows to type into for ``unit``: its Annex 1 task plus 10 %, rounded up to 100 (草尾镇 13,915 →
    15,400; 琼湖街道 33,740 → 37,200). Without a unit, 1,000."""
    if unit is None:
        return 1000
    return -(-unit.task * round(MARGIN * 10) // 1000) * 100


def write_instructions(wb: Workbook, title: str = INSTRUCTIONS_SHEET) -> None:
    """The 填表说明 sheet: one paragraph per row, wrapped, printable."""
    ws = wb.create_sheet(title)
    ws.column_dimensions["A"].width = 100
    for r, text in enumerate(INSTRUCTIONS, start=1):
        c = write_value(ws, r, 1, text or None)
        c.alignment = Alignment(wrap_text=True, vertical="top")
        c.font = Font(name=FONT_NAME, size=14 if r == 1 else 11, bold=r == 1)
        if text and r > 1:
            ws.row_dimensions[r].height = 15 * (1 + len(text) // 48)
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "portrait"


def _write_totals(ws, first: int, last: int, *, empty: bool) -> None:
    """Counts in the 合计 row: people (names), each tick column (√ ✓ ✔), 是 and 否. When the rows are
    ``empty`` the counts are known (0) and written as the cells' cached values."""
    total = last + 1
    if ws.cell(total, 1).value != TOTAL_LABEL:
        return
    zero = 0 if empty else None
    name = ANNEX3.by_key["name"].letter
    write_formula(ws, total, ANNEX3.col("name"), f"=COUNTA({name}{first}:{name}{last})", result=zero)
    for key in CATEGORY_KEYS:
        letter = ANNEX3.by_key[key].letter
        cells = f"{letter}{first}:{letter}{last}"
        formula = (f"=COUNTA({cells})" if key == CATEGORY_KEYS[-1]
                   else "=" + "+".join(f'COUNTIF({cells},"{mark}")' for mark in TICK_CHOICES))
        write_formula(ws, total, ANNEX3.col(key), formula, result=zero)
    willing = ANNEX3.by_key["willing"].letter
    write_formula(ws, total, ANNEX3.col("willing"),
                  f'="是"&COUNTIF({willing}{first}:{willing}{last},"是")&"/否"&COUNTIF({willing}{first}:{willing}{last},"否")',
                  result="是0/否0" if empty else None)


def _prefill_unit(ws, unit: Unit, first: int, last: int) -> None:
    """行政代码/行政区划 on every row (the reader ignores rows holding only these two). Cells of the
    blank rows share one style array (copied), which is what makes 37,000 rows cheap."""
    code, region = ANNEX3.col("code"), ANNEX3.col("region")
    styles: dict[int, Any] = {}
    cells = ws._cells
    for r in range(first, last + 1):
        for col, value in ((code, unit.code), (region, unit.name)):
            cell = cells.get((r, col))
            if cell is not None and cell.value not in (None, ""):
                continue
            if col not in styles:
                proto = write_value(ws, r, col, value)
                proto.font, proto.border = BODY_FONT, BORDER
                if col == code:
                    proto.number_format = TEXT_FORMAT
                styles[col] = proto._style
                continue
            cells[(r, col)] = set_value(Cell(ws, row=r, column=col, style_array=copy(styles[col])), value)


def new_unit_workbook(unit: Unit | None, people: Iterable[Mapping[str, Any]] = (), *, day: dt.date | None = None,
                      rows: int | None = None, reporter: str = "", contact: str = "", prefill_unit: bool = True,
                      protect: bool = True, instructions: bool = True, check_column: bool = True) -> Workbook:
    """An Annex 3 workbook for one unit, with ``people`` written first and ``rows`` blank rows after
    (default: :func:`rows_for` the unit).

    ``people`` are mappings by Annex 3 field key (as ``write_annex3`` takes). With ``prefill_unit``
    the 行政代码/行政区划 columns of every row carry the unit (the reader ignores rows holding only
    those two). The sheet gets the native input checks, the per-row check column after 备注 (not
    printed), a protected header and a 合计 row with counts.
    """
    wb = Workbook()
    ws = wb.active
    people = list(people)
    blank = rows_for(unit) if rows is None else rows
    first, last = write_annex3(ws, unit, people, day=day, reporter=reporter, contact=contact,
                               blank_rows=max(blank, 0), column_styles=True)
    if last < first:  # nothing to type into: keep at least one row for the checks
        last = first
    if unit is not None and prefill_unit:
        _prefill_unit(ws, unit, first, last)
    _write_totals(ws, first, last, empty=not people)
    if check_column:
        write_check_column(ws, first, last, unit, blank_from=first + len(people))
        ws.cell(last + 1, CHECK_COLUMN).border = BORDER
    add_input_checks(ws, first, last, protect=protect)
    ws.sheet_view.zoomScale = 90
    ws.print_area = f"A1:{get_column_letter(ANNEX3.width)}{last + 1}"  # the check column is not printed
    if instructions:
        write_instructions(wb)
    # Without people every formula carries its result (the counts 0, each check cell's 0): no
    # application needs to compute anything on opening. With people, the rows' checks have no result
    # in the file, so keep openpyxl's "recalculate everything on load" for Excel and WPS.
    wb.calculation.fullCalcOnLoad = bool(people) or not check_column
    wb.active = 0
    return wb


def template_name(unit: Unit) -> str:
    return FILE_PATTERN.format(name=unit.name)


def build_templates(out_dir: str | Path, units: Sequence[UnitLike] | None = None, day: dt.date | None = None, *,
                    rows: int | None = None, progress: Callable[[Unit, int, int], None] | None = None) -> list[Path]:
    """Write one template per unit into ``out_dir`` (created if needed); return the paths in unit order.

    ``rows`` overrides the size of every template (default: :func:`rows_for` each unit). The folder may
    hold only templates this command wrote and nobody changed (a folder of returned submissions is
    refused); each file goes through the output guard (atomic, rotating backups)."""
    chosen = _resolve_units(units)
    out = Path(out_dir)
    guard.check_folder(out, ["templates"], command="templates")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"无法创建输出文件夹“{out}”：{exc}") from exc
    paths = []
    for n, unit in enumerate(chosen, start=1):
        if progress:
            progress(unit, n, len(chosen))
        wb = new_unit_workbook(unit, day=day, rows=rows)
        paths.append(guard.write_file(out / template_name(unit), lambda p, wb=wb: save_workbook(wb, p), kind="templates"))
    return paths
