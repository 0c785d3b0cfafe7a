"""The add-in package (.xlam), tested as the master is: content types, relationships, the ribbon,
the VBA read back with oletools' olevba, the recorded xlwings version, and LibreOffice opening it.
Everything is read back with zipfile/ElementTree/olevba, independent of our package writer."""

from __future__ import annotations

import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from click.testing import CliRunner
from lo_helpers import run_uno

from coverage_xl.addin import ADDIN_SHEETS, build_addin
from coverage_xl.cli import main
from coverage_xl.doctor import VERSION_NAME, installed_xlwings_version
from coverage_xl.errors import InputError
from coverage_xl.master import build_master

ROOT = Path(__file__).resolve().parents[1]
CT = "{http://schemas.openxmlformats.org/package/2006/content-types}"
REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
UI = "{http://schemas.microsoft.com/office/2009/07/customui}"


@pytest.fixture(scope="module")
def addin(tmp_path_factory):
    return build_addin(tmp_path_factory.mktemp("addin") / "城乡居保校验.xlam")


def _xml(path: Path, part: str) -> ET.Element:
    with zipfile.ZipFile(path) as zf:
        return ET.fromstring(zf.read(part))


def test_content_type_is_an_excel_addin(addin):
    types = {el.get("PartName"): el.get("ContentType") for el in _xml(addin, "[Content_Types].xml").iter(f"{CT}Override")}
    assert types["/xl/workbook.xml"] == "application/vnd.ms-excel.addin.macroEnabled.main+xml"
    assert types["/xl/vbaProject.bin"] == "application/vnd.ms-office.vbaProject"


def test_relationships_reach_the_ribbon_and_the_vba_project(addin):
    root = {r.get("Type").rsplit("/", 1)[-1]: r.get("Target") for r in _xml(addin, "_rels/.rels").iter(f"{REL}Relationship")}
    assert root["extensibility"] == "customUI/customUI14.xml"
    book = {r.get("Type").rsplit("/", 1)[-1]: r.get("Target") for r in _xml(addin, "xl/_rels/workbook.xml.rels").iter(f"{REL}Relationship")}
    assert book["vbaProject"] == "vbaProject.bin"


def test_ribbon_is_the_checking_tab(addin):
    ui = _xml(addin, "customUI/customUI14.xml")
    assert [t.get("label") for t in ui.iter(f"{UI}tab")] == ["城乡居保校验"]
    buttons = {b.get("label"): b.get("onAction") for b in ui.iter(f"{UI}button")}
    assert buttons == {"校验当前工作簿": "CXL_ValidateBook", "校验文件…": "CXL_ValidateFiles", "检查环境": "CXL_Doctor"}


def test_olevba_reads_the_callbacks_and_xlwings(addin):
    from oletools.olevba import VBA_Parser

    parser = VBA_Parser(str(addin))
    modules = {Path(name).stem: code for _, _, name, code in parser.extract_macros()}
    parser.close()
    ours = (ROOT / "templates/vba/CoverageXLAddin.bas").read_text(encoding="ascii")
    body = [line for line in ours.splitlines() if not line.startswith("Attribute VB_Name")]
    got = [line for line in modules["CoverageXLAddin"].replace("\r\n", "\n").splitlines()
           if not line.startswith("Attribute VB_Name")]
    assert "\n".join(got).strip() == "\n".join(body).strip()
    assert 'RunPython "import coverage_xl.excel as m; m.validate_active_book()"' in modules["CoverageXLAddin"]
    assert "xlwings" in modules and "ThisWorkbook" in modules
    assert f"xlwings64-{installed_xlwings_version()}.dll" in modules["xlwings"]


def test_addin_and_master_record_the_xlwings_version(addin, tmp_path):
    master = build_master(tmp_path / "总表.xlsm")
    for path in (addin, master):
        names = {el.get("name"): el.text for el in _xml(path, "xl/workbook.xml").iter(f"{MAIN}definedName")}
        assert names[VERSION_NAME] == f'"{installed_xlwings_version()}"'


def test_master_keeps_its_own_ribbon(tmp_path):
    master = build_master(tmp_path / "总表.xlsm")
    ui = _xml(master, "customUI/customUI14.xml")
    assert [t.get("label") for t in ui.iter(f"{UI}tab")] == ["城乡居保"]
    assert "汇总各单位" in {b.get("label") for b in ui.iter(f"{UI}button")}


def test_addin_must_be_xlam(tmp_path):
    with pytest.raises(InputError, match=r"\.xlam"):
        build_addin(tmp_path / "加载项.xlsm")
    result = CliRunner().invoke(main, ["addin", str(tmp_path / "加载项.xlsx")])
    assert result.exit_code != 0 and ".xlam" in result.output and "Traceback" not in result.output


def test_cli_addin(tmp_path):
    out = tmp_path / "城乡居保校验.xlam"
    result = CliRunner().invoke(main, ["addin", str(out), "--interpreter-win", r"C:\cxl\pythonw.exe"])
    assert result.exit_code == 0, result.output
    assert "已生成加载项" in result.output and out.exists()


@pytest.mark.libreoffice
def test_libreoffice_opens_the_addin(addin):
    """Calc's type detection does not know the add-in content type, so the OOXML filter is named (as
    choosing "Excel 2007-365" in its 打开 dialog does); the package then loads with every module."""
    [res] = run_uno([{"path": addin, "invalid": False, "filter": "Calc MS Excel 2007 XML"}])
    assert res["loaded"] and "error" not in res, res
    assert res["sheets"] == list(ADDIN_SHEETS)
    modules = {m for mods in res.get("basic", {}).values() for m in mods}
    assert "CoverageXLAddin" in modules, res.get("basic")
