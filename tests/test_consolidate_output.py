"""write_owned_sheets: only the job's sheets change; other sheets, names, VBA and ribbon survive."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

import openpyxl
import pytest
from openpyxl.styles import Font
from openpyxl.workbook.defined_name import DefinedName
from python_calamine import CalamineWorkbook

from coverage_xl import guard
from coverage_xl.consolidate import consolidate
from coverage_xl.errors import OutputError
from coverage_xl.jobs.consolidate import write_workbook
from coverage_xl.sheets.output import write_owned_sheets
from coverage_xl.survey import load_batch

CT = "{http://schemas.openxmlformats.org/package/2006/content-types}"
UI14 = "http://schemas.microsoft.com/office/2007/relationships/ui/extensibility"
XLSM_MAIN = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
RIBBON = ('<customUI xmlns="http://schemas.microsoft.com/office/2009/07/customui"><ribbon><tabs>'
          '<tab id="cxl" label="全覆盖"/></tabs></ribbon></customUI>')


def make_master(path: Path) -> None:
    """A bureau master: an instructions sheet, an old 附件4, a data sheet, names global and local."""
    wb = openpyxl.Workbook()
    info = wb.active
    info.title = "说明"
    info["A1"] = "总表说明"
    info["A1"].font = Font(bold=True, color="FF0000")
    old = wb.create_sheet("附件4")
    old["A1"] = "旧的统计表"
    old["Z99"] = "旧内容"
    data = wb.create_sheet("任务")
    data["A1"], data["B1"] = "合计", 120087
    wb.defined_names["任务总数"] = DefinedName("任务总数", attr_text="任务!$B$1")
    info.defined_names["说明标题"] = DefinedName("说明标题", attr_text="说明!$A$1")
    wb.active = 2
    wb.save(path)
    guard.stamp(path, "master")  # a master this tool made (the clerk added the sheets since)


def draw(text: str):
    def build(ws):
        ws["A1"] = text

    return build


def test_existing_workbook_keeps_other_sheets_styles_and_defined_names(tmp_path):
    out = tmp_path / "总表.xlsx"
    make_master(out)
    original = out.read_bytes()
    write_owned_sheets(out, {"附件4": draw("新的统计表"), "汇总记录": draw("记录")}, kind="consolidate")
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["说明", "附件4", "任务", "汇总记录"]  # replaced in place, new one appended
    assert wb["附件4"]["A1"].value == "新的统计表" and wb["附件4"]["Z99"].value is None
    assert wb["说明"]["A1"].font.bold and wb["说明"]["A1"].font.color.rgb.endswith("FF0000")
    assert wb["任务"]["B1"].value == 120087
    assert wb.defined_names["任务总数"].attr_text == "任务!$B$1"
    assert wb["说明"].defined_names["说明标题"].attr_text == "说明!$A$1"
    assert wb.active.title == "任务"
    assert guard.backups(out)[-1].read_bytes() == original
    assert guard.read_marker(out).kind == "master"  # still the master


def test_a_workbook_this_tool_did_not_make_is_not_written_into(tmp_path):
    out = tmp_path / "局里的表.xlsx"
    wb = openpyxl.Workbook()
    wb.active["A1"] = "别人的数据"
    wb.save(out)
    before = out.read_bytes()
    with pytest.raises(OutputError, match="不是本工具生成的总表或汇总表"):
        write_owned_sheets(out, {"附件4": draw("x")}, kind="consolidate")
    assert out.read_bytes() == before and not guard.backups(out)


def test_consolidation_into_a_master_replaces_only_its_three_sheets(unit_folder, tmp_path):
    out = tmp_path / "总表.xlsx"
    make_master(out)
    result = consolidate(load_batch(unit_folder.path, dt.date(2020, 9, 30)))
    write_workbook(result, out)
    names = CalamineWorkbook.from_path(str(out)).sheet_names
    assert names == ["说明", "附件4", "任务", "重复人员", "汇总记录"]
    wb = openpyxl.load_workbook(out)
    assert wb["附件4"]["B1"].value == "沅江市城乡居民养老保险全覆盖摸底统计表"
    assert "任务总数" in wb.defined_names


def test_refuses_an_input_as_output_and_leaves_it_untouched(tmp_path):
    src = tmp_path / "草尾镇.xlsx"
    make_master(src)
    before = src.read_bytes()
    with pytest.raises(OutputError, match="本次读取的输入文件"):
        write_owned_sheets(src, {"附件4": draw("x")}, kind="consolidate", inputs=[tmp_path / "." / "草尾镇.xlsx"])
    assert src.read_bytes() == before and not guard.backups(src)


def _zip_parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def _with_ribbon(xlsx: bytes) -> bytes:
    """An .xlsm package with a ribbon part and its relationship but no VBA project."""
    src = zipfile.ZipFile(io.BytesIO(xlsx))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in src.namelist():
            data = src.read(name)
            if name == "_rels/.rels":
                data = data.replace(b"</Relationships>", (
                    f'<Relationship Id="rIdUI" Type="{UI14}" Target="customUI/customUI14.xml"/>'
                    "</Relationships>").encode())
            elif name == "[Content_Types].xml":
                data = data.replace(b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
                                    XLSM_MAIN.encode())
            zf.writestr(name, data)
        zf.writestr("customUI/customUI14.xml", RIBBON)
    return buf.getvalue()


def test_xlsm_without_vba_keeps_its_ribbon_part_and_relationship(tmp_path):
    xlsx = tmp_path / "m.xlsx"
    make_master(xlsx)
    out = tmp_path / "总表.xlsm"
    out.write_bytes(_with_ribbon(xlsx.read_bytes()))
    write_owned_sheets(out, {"附件4": draw("新")}, kind="consolidate")
    parts = _zip_parts(out)
    assert parts["customUI/customUI14.xml"].decode() == RIBBON
    rels = [(r.get("Type"), r.get("Target")) for r in ET.fromstring(parts["_rels/.rels"])]
    assert (UI14, "customUI/customUI14.xml") in rels
    types = {o.get("PartName"): o.get("ContentType") for o in ET.fromstring(parts["[Content_Types].xml"]).iter(f"{CT}Override")}
    assert types["/xl/workbook.xml"] == XLSM_MAIN
    assert openpyxl.load_workbook(out)["附件4"]["A1"].value == "新"


def test_a_new_xlsm_is_declared_macro_enabled(tmp_path):
    out = tmp_path / "新表.xlsm"
    write_owned_sheets(out, {"附件4": draw("新")}, kind="consolidate")
    types = {o.get("PartName"): o.get("ContentType")
             for o in ET.fromstring(_zip_parts(out)["[Content_Types].xml"]).iter(f"{CT}Override")}
    assert types["/xl/workbook.xml"] == XLSM_MAIN
    assert CalamineWorkbook.from_path(str(out)).sheet_names == ["附件4"]


def test_macro_master_keeps_vba_ribbon_and_code_names(tmp_path, unit_folder):
    pytest.importorskip("xlwings")
    oletools = pytest.importorskip("oletools.olevba")
    from coverage_xl.xlsm import build_macro_workbook

    xlsx = tmp_path / "m.xlsx"
    make_master(xlsx)
    out = tmp_path / "总表.xlsm"
    build_macro_workbook(xlsx.read_bytes(), out)
    before = _zip_parts(out)
    code_before = re.search(rb'<sheetPr[^>]*codeName="([^"]+)"', before["xl/worksheets/sheet2.xml"]).group(1)
    result = consolidate(load_batch(unit_folder.path, dt.date(2020, 9, 30)))
    write_workbook(result, out)
    after = _zip_parts(out)
    assert after["customUI/customUI14.xml"] == before["customUI/customUI14.xml"]
    assert UI14.encode() in after["_rels/.rels"]
    assert "xl/vbaProject.bin" in after
    wb = openpyxl.load_workbook(out, keep_vba=True)
    assert wb.sheetnames == ["说明", "附件4", "任务", "重复人员", "汇总记录"]
    assert wb["附件4"].sheet_properties.codeName == code_before.decode()
    parser = oletools.VBA_Parser(str(out))
    modules_before = {n for *_, n, _ in oletools.VBA_Parser(str(guard.backups(out)[-1])).extract_macros()}
    modules_after = {n for *_, n, _ in parser.extract_macros()}
    assert modules_before <= modules_after  # every module kept; new sheets got their own
