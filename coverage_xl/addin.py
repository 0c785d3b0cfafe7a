"""The Excel add-in (.xlam): the 城乡居保校验 tab in every open workbook.

A clerk who opens a town's workbook sees no tab of the master there; the add-in brings the checking
buttons to every workbook: 校验当前工作簿 (marks the open workbook, never saves it), 校验文件… (annotated
copies next to the chosen files) and 检查环境. The bureau's jobs stay on the master, which reads its
单位设置. Built by the same package writer as the master (:mod:`coverage_xl.xlsm`), with the add-in
content type; its sheets are hidden by Excel (an add-in shows none): 说明 and xlwings.conf.
"""

from __future__ import annotations

import io
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from coverage_xl.errors import InputError
from coverage_xl.master import write_conf
from coverage_xl.sheets.cells import write_value
from coverage_xl.sheets.frame import FONT_NAME, save_workbook
from coverage_xl.xlsm.ribbon import ADDIN_RIBBON

ABOUT_SHEET = "说明"
ADDIN_SHEETS = (ABOUT_SHEET, "xlwings.conf")
ABOUT_LINES = (
    "城乡居保校验加载项（coverage-xl）",
    "安装：Excel “文件 → 选项 → 加载项”，下方“管理”选“Excel 加载项”，点“转到”，再点“浏览”，选中本文件，勾选后确定。",
    "安装后每个打开的工作簿都有“{tab}”选项卡：",
    "· 校验当前工作簿：检查当前打开的摸底明细表，问题单元格填色加批注，全部问题列入新增的“校验结果”表。不会自动保存；"
    "需要保留标注时，请用“另存为”另存一份，不要覆盖镇里报来的原文件。",
    "· 校验文件…：选择一个或多个摸底明细表，在每个文件旁另存“文件名_校验标注.xlsx”，原文件不改动。",
    "· 检查环境：核对 Python 中的 xlwings 版本与本加载项内嵌的版本是否一致。",
    "汇总、调度、通报等市局工作请在总表（coverage-xl master 生成）中进行。",
    "本加载项内嵌 xlwings {version}；升级 xlwings 后请重新生成：coverage-xl addin 文件名.xlam。",
)


def addin_workbook(*, interpreter_win: str = "", interpreter_mac: str = "", pythonpath: str = "",
                   version: str = "") -> Workbook:
    """The add-in's sheets as an openpyxl workbook (no macros yet)."""
    wb = Workbook()
    ws = wb.active
    ws.title = ABOUT_SHEET
    ws.column_dimensions["A"].width = 110
    for r, line in enumerate(ABOUT_LINES, start=1):
        c = write_value(ws, r, 1, line.format(tab=ADDIN_RIBBON.tab_label, version=version or "（未知）"))
        c.font = Font(name=FONT_NAME, size=14 if r == 1 else 11, bold=r == 1)
        c.alignment = Alignment(wrap_text=True, vertical="top")
    write_conf(wb.create_sheet(), interpreter_win=interpreter_win, interpreter_mac=interpreter_mac, pythonpath=pythonpath)
    assert tuple(wb.sheetnames) == ADDIN_SHEETS, wb.sheetnames
    return wb


def build_addin(out_path: str | Path, *, interpreter_win: str = "", interpreter_mac: str = "",
                pythonpath: str = "") -> Path:
    """Write the add-in through the output guard (an earlier add-in of ours is replaced, the old one kept
    in the rotating backups; any other file is refused)."""
    from coverage_xl.xlsm.build import build_addin_package, record_xlwings_version
    from coverage_xl.xlsm.vba_sources import embedded_xlwings_version

    out = Path(out_path)
    if out.suffix.lower() != ".xlam":
        raise InputError(f"加载项“{out}”须以 .xlam 结尾（Excel 加载项）。")
    wb = addin_workbook(interpreter_win=interpreter_win, interpreter_mac=interpreter_mac, pythonpath=pythonpath,
                        version=embedded_xlwings_version())
    record_xlwings_version(wb)
    buf = io.BytesIO()
    save_workbook(wb, buf)
    return build_addin_package(buf.getvalue(), out)
