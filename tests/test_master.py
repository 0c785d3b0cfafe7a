"""The master workbook: its sheets, the settings the macros read, xlwings' config sheet, and the
.xlsm package (read back with openpyxl, zipfile and oletools' olevba, independent of our writer)."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from coverage_xl.cli import main
from coverage_xl.errors import InputError
from coverage_xl.master import (
    CONF_SHEET,
    SETTINGS_SHEET,
    SHEET_ORDER,
    build_master,
    master_workbook,
    parse_settings,
)
from coverage_xl.units import default_units

ROOT = Path(__file__).resolve().parents[1]


def _values(ws):
    return [list(r) for r in ws.iter_rows(values_only=True)]


@pytest.fixture(scope="module")
def master(tmp_path_factory):
    return build_master(tmp_path_factory.mktemp("m") / "总表.xlsm", interpreter_win=r"C:\cxl\.venv\Scripts\pythonw.exe")


def test_sheets_in_order(master):
    assert openpyxl.load_workbook(master, keep_vba=True).sheetnames == list(SHEET_ORDER)


def test_annex1_is_the_notice_task_table(master):
    ws = openpyxl.load_workbook(master)["附件1"]
    assert ws["A2"].value == "2020年度全市城乡居民基本养老保险参保缴费指导性任务表"
    pairs = {}
    for row in ws.iter_rows(min_row=5, values_only=True):
        for name, task in ((row[0], row[1]), (row[2], row[3])):
            if isinstance(task, int):
                pairs[name] = task
    assert pairs.pop("合计") == 120087
    assert pairs == {u.name: u.task for u in default_units()}
    assert ws["A5"].value == "草尾镇" and ws["C5"].value == "南嘴镇"  # the notice's two-column order


def test_xlwings_conf_sheet_as_xlwings_reads_it(master):
    ws = openpyxl.load_workbook(master)[CONF_SHEET]
    keys = []
    for r in range(1, ws.max_row + 2):  # GetConfigFromSheet: A1 down to the first blank
        if ws.cell(r, 1).value in (None, ""):
            break
        keys.append(ws.cell(r, 1).value)
    assert [k.upper() for k in keys] == ["INTERPRETER_WIN", "INTERPRETER_MAC", "PYTHONPATH", "UDF MODULES",
                                         "SHOW CONSOLE"]
    assert all(ws.cell(r, 1).value in (None, "") for r in range(len(keys) + 1, ws.max_row + 1))
    conf = {ws.cell(r, 1).value: ws.cell(r, 2).value for r in range(1, len(keys) + 1)}
    assert conf["Interpreter_Win"] == r"C:\cxl\.venv\Scripts\pythonw.exe"
    assert conf["UDF Modules"] == "coverage_xl.excel"


def test_settings_round_trip(tmp_path):
    wb = master_workbook(survey_dir="摸底表")
    ws = wb[SETTINGS_SHEET]
    rows = _values(ws)
    header = next(i for i, r in enumerate(rows) if r[0] == "序号")
    ws.cell(header + 2, 5, 52000)  # 草尾镇 户籍人口数
    ws.cell(header + 3, 6, "茶盘洲镇.xlsx")
    date_row = next(i for i, r in enumerate(rows) if r[0] == "统计日期") + 1
    ws.cell(date_row, 2, dt.datetime(2020, 9, 30))
    reg_row = next(i for i, r in enumerate(rows) if r[0] == "参保登记导出") + 1
    ws.cell(reg_row, 2, "a.csv; /data/b.xlsx")
    s = parse_settings(_values(ws), base=tmp_path)
    assert s.survey_dir == tmp_path / "摸底表"
    assert s.as_of == dt.date(2020, 9, 30)
    assert s.registrations == [tmp_path / "a.csv", Path("/data/b.xlsx")]
    assert [u.unit.name for u in s.units] == [u.name for u in default_units()]
    assert s.units[0].unit.population == 52000 and s.units[1].unit.population is None
    assert s.units[1].file == tmp_path / "茶盘洲镇.xlsx"
    assert sum(u.unit.task for u in s.units) == 120087


def test_settings_with_a_wrong_unit_name_say_so():
    wb = master_workbook()
    ws = wb[SETTINGS_SHEET]
    header = next(r for r in range(1, 30) if ws.cell(r, 1).value == "序号")
    ws.cell(header + 1, 3, "草尾乡")
    with pytest.raises(InputError, match="草尾乡"):
        parse_settings(_values(ws))


def test_unit_file_takes_precedence_over_the_folder_copy(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("草尾镇_摸底明细表.xlsx", "南嘴镇_摸底明细表.xlsx", "~$南嘴镇_摸底明细表.xlsx"):
        (folder / name).write_bytes(b"x")
    own = tmp_path / "草尾镇_修改版.xlsx"
    own.write_bytes(b"x")
    wb = master_workbook(survey_dir=str(folder))
    ws = wb[SETTINGS_SHEET]
    header = next(r for r in range(1, 30) if ws.cell(r, 1).value == "序号")
    ws.cell(header + 1, 6, str(own))
    paths = parse_settings(_values(ws)).survey_paths()
    assert [p.name for p in paths] == ["草尾镇_修改版.xlsx", "南嘴镇_摸底明细表.xlsx"]


def test_package_has_ribbon_vba_and_macro_content_type(master):
    with zipfile.ZipFile(master) as zf:
        names = set(zf.namelist())
        types = zf.read("[Content_Types].xml").decode()
        rels = zf.read("_rels/.rels").decode()
        ribbon = zf.read("customUI/customUI14.xml").decode("utf-8")
    assert "xl/vbaProject.bin" in names
    assert "application/vnd.ms-excel.sheet.macroEnabled.main+xml" in types
    assert "customUI/customUI14.xml" in rels
    for label in ("城乡居保", "校验当前表", "汇总各单位", "生成调度表", "生成通报", "生成单位模板", "打开说明"):
        assert label in ribbon


def test_olevba_reads_our_callback_module_exactly(master):
    from oletools.olevba import VBA_Parser

    parser = VBA_Parser(str(master))
    modules = {Path(name).stem: code for _, _, name, code in parser.extract_macros()}
    parser.close()
    ours = (ROOT / "templates/vba/CoverageXL.bas").read_text(encoding="utf-8")
    body = "\n".join(line for line in ours.splitlines() if not line.startswith("Attribute VB_Name"))
    got = "\n".join(line for line in modules["CoverageXL"].replace("\r\n", "\n").splitlines()
                    if not line.startswith("Attribute VB_Name"))
    assert got.strip() == body.strip()
    assert {f"Sheet{i}" for i in range(1, len(SHEET_ORDER) + 1)} <= set(modules)
    assert "ThisWorkbook" in modules


def test_master_survives_a_consolidate_write(tmp_path, master):
    from oletools.olevba import VBA_Parser

    from coverage_xl.consolidate import consolidate
    from coverage_xl.jobs.consolidate import write_workbook
    from coverage_xl.survey import load_batch
    from coverage_xl.synth import write_sample_folder

    target = tmp_path / "总表.xlsm"
    target.write_bytes(master.read_bytes())
    write_sample_folder(tmp_path / "in", total=70, seed=9)
    write_workbook(consolidate(load_batch(tmp_path / "in", dt.date(2020, 9, 30))), target)
    with zipfile.ZipFile(target) as zf:
        assert "customUI/customUI14.xml" in zf.read("_rels/.rels").decode()
    parser = VBA_Parser(str(target))
    names = {Path(name).stem for _, _, name, _ in parser.extract_macros()}
    parser.close()
    assert "CoverageXL" in names
    wb = openpyxl.load_workbook(target, keep_vba=True)
    assert set(SHEET_ORDER) <= set(wb.sheetnames)
    assert wb["附件4"]["A1"].value == "附件4"


def test_master_must_be_xlsm(tmp_path):
    with pytest.raises(InputError, match=r"\.xlsm"):
        build_master(tmp_path / "总表.xlsx")


def test_cli_master(tmp_path):
    out = tmp_path / "总表.xlsm"
    result = CliRunner().invoke(main, ["master", str(out), "--survey-dir", "D:/摸底表"])
    assert result.exit_code == 0, result.output
    assert "已生成总表" in result.output
    s = parse_settings(_values(openpyxl.load_workbook(out)[SETTINGS_SHEET]))
    assert s.survey_dir == Path("D:/摸底表")
