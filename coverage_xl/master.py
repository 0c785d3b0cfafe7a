"""The bureau's master workbook (总表.xlsm): settings, task table, empty annex frames, xlwings config,
and — through :mod:`coverage_xl.xlsm` — the ribbon tab 城乡居保 with its VBA callbacks.

Built from sources in the repository on any OS (openpyxl draws the sheets, the xlsm package adds
the VBA project and the ribbon). The macros in :mod:`coverage_xl.excel` read their settings from the
单位设置 sheet with :func:`parse_settings`, which works on plain cell values, so it is tested without
Excel and shared with anything else that reads the master.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from copy import copy
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from coverage_xl.counting import PROGRESS_BASES, RATE_BASES, Counting, load_counting
from coverage_xl.errors import InputError, OutputError
from coverage_xl.layout import (
    ANNEX1,
    ANNEX4,
    ANNEX5,
    CONF_SHEET,
    ESTIMATOR_SHEET,
    HELP_SHEET,
    HISTORY_SHEET,
    LEDGER_SUMMARY_SHEET,
    PARAMS_SHEET,
    PROGRESS_SHEET,
    RESULT_SHEET,
    SETTINGS_SHEET,
    TOTAL_LABEL,
)
from coverage_xl.sheets.cells import write_value
from coverage_xl.sheets.estimator import write_estimator_sheet
from coverage_xl.sheets.frame import (
    BODY_FONT,
    BORDER,
    CENTER,
    HEADER_FILL,
    HEADER_FONT,
    TITLE_FONT,
    save_workbook,
    style_body,
    write_frame,
)
from coverage_xl.units import CITY_NAME, Unit, default_units
from coverage_xl.values import parse_date

SHEET_ORDER = (HELP_SHEET, SETTINGS_SHEET, ANNEX1.sheet_name, ANNEX4.sheet_name, ANNEX5.sheet_name, PROGRESS_SHEET,
               HISTORY_SHEET, LEDGER_SUMMARY_SHEET, RESULT_SHEET, ESTIMATOR_SHEET, PARAMS_SHEET, CONF_SHEET)

# 单位设置: labelled settings (label in column A, value in column B), then the unit table.
# The macros find each setting by its label, so a clerk may insert rows without breaking them.
SETTING_LABELS = {
    "survey_dir": "摸底表文件夹",
    "registrations": "参保登记导出",
    "payments": "缴费导出",
    "as_of": "统计日期",
    "templates_dir": "模板输出文件夹",
    "notices_dir": "通报输出文件夹",
    "payment_rate": "缴费率口径",
    "progress": "进度口径",
    "lists": "省下发核实名单",
    "followups_dir": "跟进名单回执文件夹",
    "ledger": "台账数据库",
}
SETTING_HINTS = {
    "survey_dir": "各单位报来的附件3摸底明细表放在同一文件夹，填该文件夹的完整路径。",
    "registrations": "业务系统导出的参保登记名单；多个文件或文件夹用英文分号“;”隔开。",
    "payments": "税务部门导出的缴费名单；多个文件或文件夹用英文分号“;”隔开。",
    "as_of": "留空则为当天；也可写 2020-09-30。",
    "lists": "省下发的需核实人员名单（更新台账用）；分成多个文件的用英文分号“;”隔开。",
    "followups_dir": "各单位交回的跟进名单（填好跟进日期、方式、结果）放在同一文件夹，填该文件夹的路径。",
    "ledger": "留空则为本总表所在文件夹中的“台账.sqlite”。台账含完整身份证号码，只放在市局本机，不要放共享文件夹。",
    "templates_dir": "“生成单位模板”按钮把14个单位的模板放在这里；留空则放在本工作簿旁的“单位模板”文件夹。",
    "notices_dir": "“生成通报”按钮把通报放在这里；留空则放在本工作簿旁的“通报”文件夹。",
    "payment_rate": "附件5第8列的分母：“应缴费人数”（第4列减领取待遇且未缴费人数）或“已登记人数”（第5列÷第4列）。",
    "progress": "任务完成进度的“已完成”：“已登记”“已缴费”或“已登记+签订意愿书”（加不属于覆盖范围人数）。",
}
UNIT_HEADERS = ("序号", "行政代码", "单位", "需核实参保任务数", "户籍人口数", "摸底表文件（可选，填了则优先于文件夹）")
UNIT_WIDTHS = (6, 12, 14, 16, 12, 70)

# xlwings reads this sheet from A1 down (key in A, value in B, no header, no gaps): see
# GetConfigFromSheet in xlwings.bas. An entry here overrides the add-in / user config file.
CONF_DEFAULTS = (("Interpreter_Win", ""), ("Interpreter_Mac", ""), ("PYTHONPATH", ""),
                 ("UDF Modules", "coverage_xl.excel"), ("Show Console", False))

HELP_LINES: tuple[str, ...] = (
    "沅江市城乡居保全覆盖专项行动 总表（coverage-xl）",
    "",
    "本工作簿的“城乡居保”选项卡上有七个按钮：",
    "【校验当前表】检查当前打开的附件3摸底明细表：身份证号码、出生年月、覆盖范围与原因、参保意愿、联系电话。"
    "有问题的单元格填色并加批注，全部问题列在“校验结果”表。",
    "【汇总各单位】读取“单位设置”中摸底表文件夹（或各单位文件）里的14个单位摸底表，逐一校验后汇总成“附件4”，"
    "并生成“重复人员”“汇总记录”表；各单位的问题列在“校验结果”表。",
    "【生成调度表】把摸底表与参保登记、缴费导出名单比对，生成“附件5”调度表、“进度”表，并在“调度历史”表追加本次结果。",
    "【生成通报】按调度结果生成月度通报、督办通知、提醒短信等，放在“单位设置”指定的通报输出文件夹。",
    "【更新台账】读入省下发核实名单、摸底表、参保登记和缴费导出以及各单位交回的跟进名单，逐人计算状态（建立台账，"
    "对账销号），记录本次变更，并更新“台账汇总”表。各单位台账和各类名单用命令 coverage-xl ledger export 导出。",
    "【生成单位模板】为14个单位生成带数据校验的摸底明细表模板（不含宏，WPS也能用）。",
    "【打开说明】回到本页。",
    "",
    "“测算器”表：输入出生年月和缴费档次，即可看到到60周岁时的个人账户和月养老金（待遇测算，不需要宏）；"
    "测算所用参数及其文件依据在“测算参数”表，待市局填写的参数请补齐。",
    "",
    "第一次使用：",
    "1. 在“单位设置”表填写摸底表文件夹、参保登记导出、缴费导出的路径，以及各单位的户籍人口数。",
    "2. 打开本工作簿时如提示“启用宏”，请点“启用内容”。按钮通过 xlwings 调用 Python，需由信息管理员安装一次"
    "（见“xlwings.conf”表和 docs/excel.md）。",
    "3. 运行中 Excel 左下角状态栏显示进度；完成后弹出提示框说明结果；出错时弹出中文说明，不会改动原始文件。",
    "",
    "没有 Excel 的电脑可用命令行完成同样的工作：coverage-xl validate / consolidate / dispatch / notices / templates。",
)


@dataclass
class UnitSetting:
    unit: Unit
    file: Path | None = None


@dataclass
class Settings:
    """What the 单位设置 sheet says."""

    survey_dir: Path | None = None
    registrations: list[Path] = field(default_factory=list)
    payments: list[Path] = field(default_factory=list)
    as_of: dt.date | None = None
    templates_dir: Path | None = None
    notices_dir: Path | None = None
    payment_rate: str = ""  # 缴费率口径 as written (key or Chinese label); '' = data/counting.toml
    progress: str = ""  # 进度口径
    lists: list[Path] = field(default_factory=list)
    followups_dir: Path | None = None
    ledger: Path | None = None
    units: list[UnitSetting] = field(default_factory=list)

    def counting(self) -> Counting:
        """The counting choices of this master (blank cells: the packaged defaults)."""
        return load_counting(self.payment_rate or None, self.progress or None)

    @property
    def unit_list(self) -> tuple[Unit, ...]:
        return tuple(u.unit for u in self.units) or default_units()

    def survey_paths(self) -> list[Path]:
        """The files to consolidate: each unit's own file where given, plus the folder's other files
        (a folder file whose name contains the name of a unit that has its own file is left out, and
        so is every output of this tool that is not a submission — the master itself, when it sits in
        the folder, annotated copies; see :func:`coverage_xl.survey.input_files`)."""
        from coverage_xl.validate import input_files

        own = [u for u in self.units if u.file is not None]
        paths = [u.file for u in own if u.file is not None]
        for p in paths:
            if not p.is_file():
                raise InputError(f"“单位设置”中的摸底表文件不存在：{p}")
        if self.survey_dir is not None:
            if not self.survey_dir.is_dir():
                raise InputError(f"“单位设置”中的摸底表文件夹不存在：{self.survey_dir}")
            taken = {p.resolve() for p in paths}
            for p in input_files([self.survey_dir]):
                if p.resolve() in taken or any(u.unit.name in p.stem for u in own):
                    continue
                paths.append(p)
        if not paths:
            raise InputError("“单位设置”中没有填写摸底表文件夹，也没有填写任何单位的摸底表文件。")
        return paths


def _text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


def _paths(v: Any, base: Path | None) -> list[Path]:
    out = []
    for part in _text(v).replace("；", ";").replace("\n", ";").split(";"):
        part = part.strip().strip('"')
        if part:
            p = Path(part).expanduser()
            out.append(p if p.is_absolute() or base is None else base / p)
    return out


def _date(v: Any) -> dt.date | None:
    if v in (None, ""):
        return None
    day = parse_date(v)
    if day is None:
        raise InputError(f"“单位设置”中的统计日期无法识别：{_text(v)}（请写成 2020-09-30）")
    return day


def _int(v: Any, what: str, unit: str) -> int | None:
    s = _text(v).replace(",", "")
    if not s:
        return None
    try:
        return int(float(s))
    except ValueError:
        raise InputError(f"“单位设置”中{unit}的{what}不是数字：{s}") from None


def parse_settings(rows: Sequence[Sequence[Any]], base: Path | None = None) -> Settings:
    """Read the 单位设置 sheet from its cell values (a list of rows, as any reader gives them).

    Relative paths are taken relative to ``base`` (the master workbook's folder)."""
    labels = {v: k for k, v in SETTING_LABELS.items()}
    s = Settings()
    header_at = None
    for i, row in enumerate(rows):
        cells = list(row) + [None] * 6
        key = labels.get(_text(cells[0]).rstrip("：:"))
        if key in ("survey_dir", "templates_dir", "notices_dir", "followups_dir", "ledger"):
            found = _paths(cells[1], base)
            setattr(s, key, found[0] if found else None)
        elif key in ("registrations", "payments", "lists"):
            setattr(s, key, _paths(cells[1], base))
        elif key == "as_of":
            s.as_of = _date(cells[1])
        elif key in ("payment_rate", "progress"):
            setattr(s, key, _text(cells[1]))
        if _text(cells[0]) == UNIT_HEADERS[0] and _text(cells[2]) == UNIT_HEADERS[2]:
            header_at = i
    if header_at is None:
        raise InputError("“单位设置”表中找不到单位表的表头（序号、行政代码、单位……），请不要删改表头。")
    by_name = {u.name: u for u in default_units()}
    for row in rows[header_at + 1:]:
        cells = list(row) + [None] * 6
        name = _text(cells[2])
        if not name or name == TOTAL_LABEL:
            if _text(cells[0]) == TOTAL_LABEL or name == TOTAL_LABEL:
                break
            continue
        base_unit = by_name.get(name)
        if base_unit is None:
            raise InputError(f"“单位设置”中的单位“{name}”不是14个单位之一，请检查名称。")
        code = _text(cells[1]) or base_unit.code
        task = _int(cells[3], "需核实参保任务数", name)
        unit = replace(base_unit, code=code, task=base_unit.task if task is None else task,
                       population=_int(cells[4], "户籍人口数", name))
        files = _paths(cells[5], base)
        s.units.append(UnitSetting(unit, files[0] if files else None))
    return s


# --------------------------------------------------------------------------- drawing the sheets


def _title(ws: Worksheet, text: str, width: int) -> None:
    write_value(ws, 1, 1, text).font = TITLE_FONT
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    ws.row_dimensions[1].height = 28


def _header_row(ws: Worksheet, row: int, headers: Sequence[str]) -> None:
    for c, h in enumerate(headers, start=1):
        cell = write_value(ws, row, c, h)
        cell.font, cell.fill, cell.border, cell.alignment = HEADER_FONT, HEADER_FILL, BORDER, CENTER


def write_help(ws: Worksheet) -> None:
    ws.title = HELP_SHEET
    ws.column_dimensions["A"].width = 110
    for r, text in enumerate(HELP_LINES, start=1):
        c = write_value(ws, r, 1, text or None)
        c.font = TITLE_FONT if r == 1 else Font(name=BODY_FONT.name, size=11)
        c.alignment = Alignment(wrap_text=True, vertical="top")


def write_settings(ws: Worksheet, units: Sequence[Unit], *, survey_dir: str = "", unit_files: dict[str, str] | None = None
                   ) -> int:
    """The 单位设置 sheet; returns the row of the unit table header."""
    ws.title = SETTINGS_SHEET
    _title(ws, "单位设置（按钮从这里读取文件位置和各单位数据）", len(UNIT_HEADERS))
    default = load_counting()
    values = {"survey_dir": survey_dir, "payment_rate": RATE_BASES[default.payment_rate],
              "progress": PROGRESS_BASES[default.progress]}
    r = 3
    for key, label in SETTING_LABELS.items():
        write_value(ws, r, 1, label).font = HEADER_FONT
        write_value(ws, r, 2, values.get(key, "") or None)
        ws.merge_cells(start_row=r, start_column=2, end_row=r, end_column=5)
        write_value(ws, r, 6, SETTING_HINTS[key]).font = Font(name=BODY_FONT.name, size=9, color="666666")
        r += 1
    header = r + 1
    _header_row(ws, header, UNIT_HEADERS)
    files = unit_files or {}
    for i, u in enumerate(units, start=1):
        row = header + i
        for c, v in enumerate((i, u.code, u.name, u.task, u.population, files.get(u.name)), start=1):
            write_value(ws, row, c, v)
        ws.cell(row, 2).number_format = "@"
    total = header + len(units) + 1
    write_value(ws, total, 1, TOTAL_LABEL)
    write_value(ws, total, 3, TOTAL_LABEL)
    write_value(ws, total, 4, sum(u.task for u in units))
    style_body(ws, header + 1, total, len(UNIT_HEADERS), total_row=total)
    for c, w in enumerate(UNIT_WIDTHS, start=1):
        ws.column_dimensions[get_column_letter(c)].width = w
    ws.column_dimensions["A"].width = 16
    ws.freeze_panes = ws.cell(header + 1, 1)
    return header


def write_annex1(ws: Worksheet, units: Sequence[Unit]) -> None:
    """附件1 as printed in the notice: two (单位, 任务数) pairs per row, 合计 last, then the notes."""
    ws.title = ANNEX1.sheet_name
    write_value(ws, 1, 1, "附件1").font = Font(name=BODY_FONT.name, size=11, bold=True)
    write_value(ws, 2, 1, ANNEX1.title).font = TITLE_FONT
    ws.cell(2, 1).alignment = CENTER
    ws.merge_cells("A2:D2")
    write_value(ws, 3, 4, "单位：人").font = BODY_FONT
    _header_row(ws, 4, ("项目\n单位", "需核实参保任务数", "项目\n单位", "需核实参保任务数"))
    ws.row_dimensions[4].height = 36
    half = (len(units) + 1) // 2
    left, right = list(units[:half]), list(units[half:])
    for i in range(half):
        r = 5 + i
        for pair, seq in ((0, left), (2, right)):
            if i < len(seq):
                write_value(ws, r, 1 + pair, seq[i].name)
                write_value(ws, r, 2 + pair, seq[i].task)
    total = 5 + half
    write_value(ws, total, 3, TOTAL_LABEL)
    write_value(ws, total, 4, sum(u.task for u in units))
    style_body(ws, 5, total, 4)
    for r in range(5, total + 1):
        for c in range(1, 5):
            ws.cell(r, c).alignment = CENTER
    write_value(ws, total + 2, 1, "说明：1.各镇（场、街道）目标任务完成情况纳入市政府对镇（场、街道）的绩效考核；")
    write_value(ws, total + 3, 1, "      2.8月底前完成任务50%；10月底前完成任务100%。市里将对完成任务情况进行督查通报。")
    for c, w in zip("ABCD", (16, 18, 16, 18), strict=True):
        ws.column_dimensions[c].width = w


def _annex_frame(ws: Worksheet, layout, units: Sequence[Unit], *, unit_label: str | None) -> None:
    ws.title = layout.sheet_name
    first = write_frame(ws, layout, unit_text=f"{CITY_NAME}人力资源和社会保障局", unit_label=unit_label)
    for i, u in enumerate(units):
        write_value(ws, first + i, 1, u.code).number_format = "@"
        write_value(ws, first + i, 2, u.full_name)
    total = first + len(units)
    write_value(ws, total, 1, TOTAL_LABEL).alignment = CENTER
    style_body(ws, first, total, layout.width, total_row=total)


def write_progress_frame(ws: Worksheet) -> None:
    from coverage_xl.progress import PROGRESS_HEADERS
    from coverage_xl.sheets.progress import FIRST_DATA_ROW, SHEET_COLUMNS, TITLE

    ws.title = PROGRESS_SHEET
    headers = [PROGRESS_HEADERS[c[0]] for c in SHEET_COLUMNS]
    _title(ws, TITLE, len(headers))
    _header_row(ws, FIRST_DATA_ROW - 1, headers)


def write_history_frame(ws: Worksheet) -> None:
    from coverage_xl.sheets.history import HEADER_ROW, HISTORY_COLUMNS, TITLE

    ws.title = HISTORY_SHEET
    headers = [c[1] for c in HISTORY_COLUMNS]
    _title(ws, TITLE, len(headers))
    _header_row(ws, HEADER_ROW, headers)


CONF_NOTES = ("xlwings 从 A1 往下读取此表（A列为设置名，B列为值，中间不能有空行）；此处的设置优先于 xlwings 加载项。",
              "Interpreter_Win：Windows 上 Python 的完整路径，如 C:\\coverage-xl\\.venv\\Scripts\\pythonw.exe；留空则用 PATH 中的 pythonw。",
              "PYTHONPATH：coverage_xl 不在该 Python 的环境中时，填其所在文件夹。",
              "UDF Modules：工作表函数 =CXL_PENSION(出生日期, 档次, 开始缴费年份) 所在模块，请勿修改。")
XLWINGS_NOTE = ("本工作簿内嵌 xlwings {version} 的宏模块：Python 环境中须安装同一版本（pip install xlwings=={version}）。"
                "升级 xlwings 后请重新生成本工作簿；运行 coverage-xl doctor 可检查。")


def write_conf(ws: Worksheet, *, interpreter_win: str = "", interpreter_mac: str = "", pythonpath: str = "") -> None:
    """The xlwings.conf sheet: keys in A, values in B from A1 down, nothing else in A."""
    ws.title = CONF_SHEET
    values = {"Interpreter_Win": interpreter_win, "Interpreter_Mac": interpreter_mac, "PYTHONPATH": pythonpath}
    for r, (key, default) in enumerate(CONF_DEFAULTS, start=1):
        write_value(ws, r, 1, key)
        v = values.get(key, default)
        write_value(ws, r, 2, v if v != "" else None)
    for r, text in enumerate(CONF_NOTES, start=1):
        write_value(ws, r, 4, text).font = Font(name=BODY_FONT.name, size=9, color="666666")
    ws.column_dimensions["A"].width = 18
    ws.column_dimensions["B"].width = 60


def master_workbook(units: Sequence[Unit] | None = None, *, survey_dir: str = "", interpreter_win: str = "",
                    interpreter_mac: str = "", pythonpath: str = "") -> Workbook:
    """The master's sheets as an openpyxl workbook (no macros yet)."""
    from coverage_xl.ledger.statuses import default_statuses
    from coverage_xl.report import write_result_sheet
    from coverage_xl.sheets.ledger import write_summary_frame

    def write_ledger_frame(ws: Worksheet) -> None:
        write_summary_frame(ws, default_statuses())

    units = tuple(units or default_units())
    wb = Workbook()
    write_help(wb.active)
    write_settings(wb.create_sheet(), units, survey_dir=survey_dir)
    write_annex1(wb.create_sheet(), units)
    _annex_frame(wb.create_sheet(), ANNEX4, units, unit_label="单位：人")
    _annex_frame(wb.create_sheet(), ANNEX5, units, unit_label="单位：人")
    write_progress_frame(wb.create_sheet())
    write_history_frame(wb.create_sheet())
    write_ledger_frame(wb.create_sheet(LEDGER_SUMMARY_SHEET))
    write_result_sheet(wb, [], title=RESULT_SHEET)
    write_estimator_sheet(wb)  # 测算参数 + 测算器: formulas only, so the estimator works without Python
    wb.move_sheet(ESTIMATOR_SHEET, offset=-1)  # the clerk's calculator before its parameters
    write_conf(wb.create_sheet(), interpreter_win=interpreter_win, interpreter_mac=interpreter_mac, pythonpath=pythonpath)
    assert tuple(wb.sheetnames) == SHEET_ORDER, wb.sheetnames
    return wb


def build_master(out_path: str | Path, *, units: Sequence[Unit] | None = None, survey_dir: str = "",
                 interpreter_win: str = "", interpreter_mac: str = "", pythonpath: str = "",
                 force: bool = False) -> Path:
    """Write the macro-enabled master workbook through the output guard.

    An existing master is refused: rebuilding it would drop its 调度历史, 单位设置 and the clerk's own
    sheets. With ``force`` it is rebuilt with the current sheets, ribbon and macros, and those three
    carried over (:func:`carry_over`); the old file goes to the rotating backups."""
    from coverage_xl import guard
    from coverage_xl.xlsm.build import build_macro_workbook, record_xlwings_version

    out = Path(out_path)
    if out.suffix.lower() != ".xlsm":
        raise InputError(f"总表“{out}”须以 .xlsm 结尾（带按钮和宏的工作簿）。")
    exists = out.exists() or out.is_symlink()
    if exists and not force:
        raise OutputError(f"总表“{out}”已存在。重新生成会丢失其中的调度历史、单位设置和您添加的工作表，"
                          "因此不予覆盖。如确要按新版本重建，请加 --force（保留调度历史、单位设置和您自己的工作表，"
                          "旧文件存入备份）；或另选文件名。")
    if exists:
        guard.may_write(out, kind="master", update=True)  # only a master this tool made
    wb = master_workbook(units, survey_dir=survey_dir, interpreter_win=interpreter_win,
                         interpreter_mac=interpreter_mac, pythonpath=pythonpath)
    version = record_xlwings_version(wb)
    conf = wb[CONF_SHEET]
    write_value(conf, len(CONF_NOTES) + 1, 4, XLWINGS_NOTE.format(version=version))._style = copy(conf.cell(1, 4)._style)
    if not exists:
        buf = io.BytesIO()
        save_workbook(wb, buf)
        return build_macro_workbook(buf.getvalue(), out)
    with guard.locked(out):
        carry_over(out, wb)
        buf = io.BytesIO()
        save_workbook(wb, buf)
        return build_macro_workbook(buf.getvalue(), out, update=True)


def carry_over(old_path: Path, wb: Workbook) -> None:
    """Put into the freshly drawn master ``wb`` what belongs to the bureau in the old one: the 调度历史
    (read back and redrawn, so its charts are current; a history that cannot be read stops the run),
    the 单位设置 sheet as it is, and every sheet that is not one of the master's own (added by the
    clerk or by a job), after the master's sheets. Cells keep their values, types, styles, merges,
    widths and data validation; charts and pictures on the clerk's own sheets stay in the backup."""
    from openpyxl import load_workbook

    from coverage_xl.history import read_history
    from coverage_xl.progress import load_milestones
    from coverage_xl.sheets.history import write_history

    history = read_history(old_path)
    try:
        old = load_workbook(old_path, rich_text=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for a broken file
        raise OutputError(f"已有的总表“{old_path}”无法打开（{type(exc).__name__}），原文件未改动。") from exc
    if SETTINGS_SHEET in old.sheetnames:
        _copy_sheet(old[SETTINGS_SHEET], _fresh_sheet(wb, SETTINGS_SHEET))
    if len(history):
        year = max(history["date"]).year
        write_history(_fresh_sheet(wb, HISTORY_SHEET), history, load_milestones(year))
    for ws in old.worksheets:
        if ws.title not in SHEET_ORDER:
            _copy_sheet(ws, wb.create_sheet(ws.title))


def _fresh_sheet(wb: Workbook, name: str) -> Worksheet:
    index = wb.sheetnames.index(name)
    del wb[name]
    return wb.create_sheet(name, index)


def _copy_sheet(src: Worksheet, dst: Worksheet) -> None:
    """Copy a sheet between workbooks: values with their stored types (a text cell starting with "="
    stays text), styles, merged ranges, column widths, row heights, frozen panes, data validation."""
    from copy import copy

    from openpyxl.cell.cell import MergedCell

    for row in src.iter_rows():
        for c in row:
            if isinstance(c, MergedCell):
                continue
            d = dst.cell(c.row, c.column)
            d._value = c._value
            d.data_type = c.data_type
            if c.has_style:
                d.font, d.fill, d.border = copy(c.font), copy(c.fill), copy(c.border)
                d.alignment, d.protection = copy(c.alignment), copy(c.protection)
                d.number_format = c.number_format
            if c.hyperlink is not None:
                d.hyperlink = copy(c.hyperlink)
            if c.comment is not None:
                d.comment = copy(c.comment)
    for rng in src.merged_cells.ranges:
        dst.merge_cells(str(rng))
    for key, dim in src.column_dimensions.items():
        dst.column_dimensions[key].width = dim.width
        dst.column_dimensions[key].hidden = dim.hidden
    for key, dim in src.row_dimensions.items():
        if dim.height is not None:
            dst.row_dimensions[key].height = dim.height
    dst.freeze_panes = src.freeze_panes
    for dv in src.data_validations.dataValidation:
        dst.add_data_validation(copy(dv))
    dst.sheet_properties.tabColor = src.sheet_properties.tabColor
