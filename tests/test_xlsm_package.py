"""The macro-enabled master: parts, content types, relationships, code names, and later saves."""

from __future__ import annotations

import io
import itertools
import re
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

import openpyxl
import pytest
from oletools.olevba import VBA_Parser

from coverage_xl import guard
from coverage_xl.errors import CoverageError, InputError
from coverage_xl.xlsm import build_macro_workbook, save_preserving
from coverage_xl.xlsm.ovba import build_vba_project, document_module, read_vba_project, standard_module
from coverage_xl.xlsm.package import _set_code_name, make_xlsm
from coverage_xl.xlsm.preserve import assign_code_names
from coverage_xl.xlsm.ribbon import load_callback_source, load_ribbon_xml
from coverage_xl.xlsm.vba_sources import class_source_from_cls, xlwings_dir, xlwings_modules

CT = "{http://schemas.openxmlformats.org/package/2006/content-types}"
REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
UI14 = "http://schemas.microsoft.com/office/2007/relationships/ui/extensibility"
VBA_REL = "http://schemas.microsoft.com/office/2006/relationships/vbaProject"
SHEETS = ["摸底统计表", "调度表", "参数"]


def master_like_xlsx() -> bytes:
    wb = openpyxl.Workbook()
    wb.active.title = SHEETS[0]
    for title in SHEETS[1:]:
        wb.create_sheet(title)
    ws = wb[SHEETS[0]]
    ws["A1"] = "沅江市城乡居保摸底统计表"
    ws.merge_cells("A1:S1")
    ws["B6"], ws["C6"] = "琼湖街道", 33740
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def inspect_xlsm(path: Path) -> dict:
    """Check what every macro workbook must have; return code names and module sources."""
    with zipfile.ZipFile(path) as zf:
        names = set(zf.namelist())
        types = ET.fromstring(zf.read("[Content_Types].xml"))
        overrides = {el.get("PartName"): el.get("ContentType") for el in types.iter(f"{CT}Override")}
        assert overrides["/xl/workbook.xml"] == "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
        assert overrides["/xl/vbaProject.bin"] == "application/vnd.ms-office.vbaProject"
        root_rels = [(r.get("Type"), r.get("Target")) for r in ET.fromstring(zf.read("_rels/.rels"))]
        assert [t for t in root_rels if t[0] == UI14] == [(UI14, "customUI/customUI14.xml")]
        book_rels = [(r.get("Type"), r.get("Target")) for r in ET.fromstring(zf.read("xl/_rels/workbook.xml.rels"))]
        assert [t for t in book_rels if t[0] == VBA_REL] == [(VBA_REL, "vbaProject.bin")]
        assert zf.read("customUI/customUI14.xml").decode("utf-8") == load_ribbon_xml()
        book = zf.read("xl/workbook.xml").decode("utf-8")
        workbook_code = re.search(r'<workbookPr[^>]*codeName="([^"]+)"', book).group(1)
        sheet_codes = [
            re.search(r'<sheetPr[^>]*codeName="([^"]+)"', zf.read(f"xl/worksheets/sheet{i}.xml").decode()).group(1)
            for i in range(1, 1 + sum(1 for n in names if re.fullmatch(r"xl/worksheets/sheet\d+\.xml", n)))
        ]
        vba_bin = zf.read("xl/vbaProject.bin")
    parser = VBA_Parser(str(path))
    modules = {name.rsplit(".", 1)[0]: code for _f, _s, name, code in parser.extract_macros()}
    documents = [m.name for m in read_vba_project(vba_bin).modules if m.kind == "document"]
    # The workbook's and sheets' code names are exactly the document modules.
    assert documents == [workbook_code, *sheet_codes]
    return {"workbook": workbook_code, "sheets": sheet_codes, "modules": modules}


@pytest.fixture(scope="module")
def master(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("m") / "master.xlsm"
    build_macro_workbook(master_like_xlsx(), out)
    return out


def test_built_master_has_parts_types_relationships_and_code_names(master):
    info = inspect_xlsm(master)
    assert info["workbook"] == "ThisWorkbook"
    assert info["sheets"] == ["Sheet1", "Sheet2", "Sheet3"]
    expected = {m.name: m.source for m in xlwings_modules()}
    expected["CoverageXL"] = load_callback_source()
    for name, source in expected.items():
        assert info["modules"][name] == source, name
    assert set(info["modules"]) == {"ThisWorkbook", "Sheet1", "Sheet2", "Sheet3", "xlwings", "Dictionary", "CoverageXL"}


def test_openpyxl_reads_the_master_back(master):
    wb = openpyxl.load_workbook(master, keep_vba=True)
    assert wb.sheetnames == SHEETS
    assert wb.code_name == "ThisWorkbook"
    assert [ws.sheet_properties.codeName for ws in wb.worksheets] == ["Sheet1", "Sheet2", "Sheet3"]
    assert wb[SHEETS[0]]["C6"].value == 33740 and "A1:S1" in wb[SHEETS[0]].merged_cells


def test_build_is_reproducible(tmp_path):
    a, b = tmp_path / "a.xlsm", tmp_path / "b.xlsm"
    source = master_like_xlsx()  # one input: openpyxl stamps each save with the current second
    build_macro_workbook(source, a)
    build_macro_workbook(source, b)
    assert a.read_bytes() == b.read_bytes()


def _save_after(master: Path, tmp_path: Path, change) -> dict:
    wb = openpyxl.load_workbook(master, keep_vba=True)
    change(wb)
    out = tmp_path / "after.xlsm"
    save_preserving(wb, out, source=master)
    return inspect_xlsm(out) | {"path": out}


def _project(path: Path):
    with zipfile.ZipFile(path) as zf:
        return read_vba_project(zf.read("xl/vbaProject.bin"))


def _code_modules(info: dict) -> dict:
    return {k: v for k, v in info["modules"].items() if k in ("xlwings", "Dictionary", "CoverageXL")}


def test_save_preserving_keeps_ribbon_and_vba_when_a_sheet_is_added(master, tmp_path):
    def change(wb):
        ws = wb.create_sheet("第1周调度")
        ws["A1"] = "调度"

    info = _save_after(master, tmp_path, change)
    assert info["sheets"] == ["Sheet1", "Sheet2", "Sheet3", "Sheet4"]
    assert _code_modules(info) == _code_modules(inspect_xlsm(master))
    assert _project(info["path"]).project_id == _project(master).project_id
    assert openpyxl.load_workbook(info["path"])["第1周调度"]["A1"].value == "调度"


def test_save_preserving_handles_replaced_copied_and_deleted_sheets(master, tmp_path):
    def change(wb):
        del wb["调度表"]  # Sheet2 goes
        wb.create_sheet("调度表", 1)  # a replacement, new code name
        wb.copy_worksheet(wb[SHEETS[0]])  # a copy duplicates Sheet1's code name
        del wb["参数"]

    info = _save_after(master, tmp_path, change)
    assert info["sheets"] == ["Sheet1", "Sheet2", "Sheet3"]
    assert _code_modules(info) == _code_modules(inspect_xlsm(master))


def test_save_preserving_in_place_keeps_a_backup_and_twice_still_works(tmp_path, master):
    path = tmp_path / "master.xlsm"
    path.write_bytes(master.read_bytes())
    for title in ("甲", "乙"):
        wb = openpyxl.load_workbook(path, keep_vba=True)
        wb.create_sheet(title)
        save_preserving(wb, path, source=path)
    assert len(guard.backups(path)) == 2
    info = inspect_xlsm(path)
    assert info["sheets"] == ["Sheet1", "Sheet2", "Sheet3", "Sheet4", "Sheet5"]
    assert _code_modules(info) == _code_modules(inspect_xlsm(master))


def test_save_preserving_keeps_modules_a_user_added(tmp_path):
    user = standard_module("UserCode", "Sub Hello()\r\n    MsgBox \"hi\"\r\nEnd Sub\r\n")
    vba = build_vba_project([document_module("ThisWorkbook", workbook=True), document_module("Sheet1", body="' mine\r\n"), user])
    src = tmp_path / "src.xlsm"
    wb = openpyxl.Workbook()
    buf = io.BytesIO()
    wb.save(buf)
    make_xlsm(buf.getvalue(), src, vba, load_ribbon_xml())
    wb = openpyxl.load_workbook(src, keep_vba=True)
    wb.create_sheet("新表")
    save_preserving(wb, tmp_path / "out.xlsm", source=src)
    info = inspect_xlsm(tmp_path / "out.xlsm")
    assert info["modules"]["UserCode"] == user.source
    assert info["modules"]["Sheet1"].endswith("' mine\r\n")  # a kept sheet keeps its code


def test_save_preserving_refuses_what_it_cannot_keep(master, tmp_path):
    wb = openpyxl.load_workbook(master, keep_vba=True)
    with pytest.raises(InputError, match=r"\.xlsm"):
        save_preserving(wb, tmp_path / "out.xlsx", source=master)
    plain = tmp_path / "plain.xlsx"
    plain.write_bytes(master_like_xlsx())
    with pytest.raises(InputError, match="VBA"):
        save_preserving(wb, tmp_path / "out.xlsm", source=plain)


def test_code_names_keep_valid_unique_ones_and_fill_the_rest():
    assert assign_code_names(["Sheet1", None, "Sheet1", "bad name", "Sheet3"], {"ThisWorkbook", "xlwings"}) == [
        "Sheet1", "Sheet2", "Sheet4", "Sheet5", "Sheet3"]
    assert assign_code_names(["xlwings"], {"ThisWorkbook", "xlwings"}) == ["Sheet1"]


@pytest.mark.parametrize(
    ("xml", "expected"),
    [
        ('<worksheet xmlns="x"><sheetPr><outlinePr/></sheetPr></worksheet>',
         '<worksheet xmlns="x"><sheetPr codeName="S"><outlinePr/></sheetPr></worksheet>'),
        ('<worksheet xmlns="x"><sheetPr codeName="Old" filterMode="1"/></worksheet>',
         '<worksheet xmlns="x"><sheetPr codeName="S" filterMode="1"/></worksheet>'),
        ('<worksheet xmlns="x"><dimension ref="A1"/></worksheet>',
         '<worksheet xmlns="x"><sheetPr codeName="S"/><dimension ref="A1"/></worksheet>'),
        ('<?xml version="1.0"?>\n<x:worksheet xmlns:x="x"><x:dimension ref="A1"/></x:worksheet>',
         '<?xml version="1.0"?>\n<x:worksheet xmlns:x="x"><x:sheetPr codeName="S"/><x:dimension ref="A1"/></x:worksheet>'),
    ],
)
def test_sheet_code_name_goes_where_the_schema_wants_it(xml, expected):
    assert _set_code_name(xml, "sheetPr", (), "S") == expected


def test_workbook_code_name_follows_file_version():
    xml = '<workbook xmlns="x"><fileVersion appName="xl"/><bookViews/></workbook>'
    assert _set_code_name(xml, "workbookPr", ("fileVersion", "fileSharing"), "ThisWorkbook") == (
        '<workbook xmlns="x"><fileVersion appName="xl"/><workbookPr codeName="ThisWorkbook"/><bookViews/></workbook>')


def test_dictionary_class_is_stored_as_excel_stores_it():
    # Excel's own copy (xlwings' quickstart): the attribute block must be identical.
    with zipfile.ZipFile(xlwings_dir() / "quickstart_standalone.xlsm") as zf:
        excel = {m.name: m for m in read_vba_project(zf.read("xl/vbaProject.bin")).modules}["Dictionary"]
    ours = class_source_from_cls((xlwings_dir() / "addin" / "Dictionary.cls").read_text(encoding="cp1252"))
    def head(source: str) -> list[str]:
        return list(itertools.takewhile(lambda ln: ln.startswith("Attribute "), source.split("\r\n")))

    assert head(ours.source) == head(excel.source)
    assert ours.kind == "class" and len(head(excel.source)) == 9


def test_missing_xlwings_is_a_chinese_error(monkeypatch, tmp_path):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "xlwings" else real(name, *a))
    with pytest.raises(CoverageError, match="pip install xlwings"):
        build_macro_workbook(master_like_xlsx(), tmp_path / "m.xlsm")
    assert not (tmp_path / "m.xlsm").exists()
