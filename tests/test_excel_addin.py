"""The add-in's buttons (校验当前工作簿, 校验文件…, 检查环境) against tests/xlwings_standin.py.

The add-in is the caller (``Book.caller()``); the workbook the clerk has in front (``xw.books.active``)
is a town's file loaded from a real .xlsx. What the macros write is checked against validate_file on
the same file (calamine), and the annotated copies are read back with openpyxl."""

from __future__ import annotations

import hashlib
from pathlib import Path

import openpyxl
import pytest
import xlwings_standin as standin

from coverage_xl import excel
from coverage_xl.doctor import VERSION_NAME, installed_xlwings_version
from coverage_xl.master import RESULT_SHEET
from coverage_xl.report import RESULT_HEADERS
from coverage_xl.synth import make_people, plant_errors, write_unit_workbook
from coverage_xl.units import unit_by_name
from coverage_xl.validate import validate_file

ADDIN = "城乡居保校验.xlam"


@pytest.fixture(autouse=True)
def use_standin(monkeypatch):
    monkeypatch.setattr(excel, "xw", standin)
    monkeypatch.setattr(standin.Book, "_mock_caller", None)
    monkeypatch.setattr(standin, "books", standin.Books())


def _town_file(folder: Path, name: str, seed: int, *, with_instructions: bool = False) -> Path:
    unit = unit_by_name(name)
    people = make_people(unit, 25, seed=seed)
    plant_errors(people, 5, seed=seed)
    path = folder / f"{unit.name}_摸底明细表.xlsx"
    write_unit_workbook(path, unit, people, with_instructions=with_instructions)
    return path


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _addin() -> standin.Book:
    addin = standin.Book(ADDIN)
    addin.set_mock_caller()
    return addin


def test_validate_active_book_marks_the_open_workbook_not_the_addin(tmp_path):
    path = _town_file(tmp_path, "共华镇", 3, with_instructions=True)
    before = _digest(path)
    town = standin.load_book(path)
    town.sheets.active = town.sheets["填表说明"]  # the Annex 3 sheet is found even if not in front
    standin.books.active = town
    addin = _addin()
    excel.BUTTONS["validate_active_book"]()

    expected = validate_file(path).report
    marked = {(r, c) for (r, c) in town.sheets["附件3"].colors}
    want = {(f.row, f.column) for f in expected.findings if f.row and f.column and f.sheet == "附件3"}
    assert marked == want and len(want) >= 5
    rows = town.sheets[RESULT_SHEET].range((1, 1), (200, len(RESULT_HEADERS))).value
    listed = [r for r in rows[1:] if any(v not in (None, "") for v in r)]
    assert [str(v) for v in rows[0]] == list(RESULT_HEADERS) and len(listed) == len(expected.findings)
    assert [s.name for s in addin.sheets] == []  # nothing written into the add-in
    alert = town.app.alerts[-1] if town.app.alerts else addin.app.alerts[-1]
    assert "尚未保存" in alert["prompt"] and "另存为" in alert["prompt"]
    assert _digest(path) == before  # the town's file on disk is untouched


def test_validate_active_book_refuses_a_book_without_annex3(tmp_path):
    other = standin.Book(tmp_path / "会议名单.xlsx")
    sheet = standin.Sheet(other, "Sheet1")
    other.sheets._list.append(sheet)
    other.sheets.active = sheet
    sheet.range("A1").value = [["姓名", "单位"], ["张三", "草尾镇"]]
    standin.books.active = other
    addin = _addin()
    excel.BUTTONS["validate_active_book"]()
    assert "没有附件3摸底明细表" in addin.app.alerts[-1]["prompt"]
    assert addin.app.alerts[-1]["mode"] == "critical"
    assert [s.name for s in other.sheets] == ["Sheet1"]


def test_validate_files_writes_annotated_copies_next_to_the_chosen_files(tmp_path):
    a = _town_file(tmp_path / "a", "南嘴镇", 5)
    b = _town_file(tmp_path / "b", "新湾镇", 6)
    digests = {p: _digest(p) for p in (a, b)}
    addin = _addin()
    addin.app.api.picked = [str(a), str(b)]
    excel.BUTTONS["validate_files"]()

    assert addin.app.api.calls[-1]["MultiSelect"] is True
    for path in (a, b):
        copy = path.with_name(f"{path.stem}_校验标注.xlsx")
        assert copy.exists() and _digest(path) == digests[path]
        expected = validate_file(path).report
        ws = openpyxl.load_workbook(copy)[RESULT_SHEET]
        assert ws.max_row - 1 == len(expected.findings)
        assert f"{path.name}（{expected.unit}）" in addin.app.alerts[-1]["prompt"]
    assert sorted(p.name for p in tmp_path.rglob("*.xlsx")) == sorted(
        [a.name, b.name, f"{a.stem}_校验标注.xlsx", f"{b.stem}_校验标注.xlsx"])


def test_validate_files_cancelled_does_nothing(tmp_path):
    addin = _addin()
    excel.BUTTONS["validate_files"]()
    assert addin.app.alerts == [] and list(tmp_path.iterdir()) == []


def test_check_environment_compares_the_recorded_xlwings_version():
    addin = _addin()
    installed = installed_xlwings_version()
    addin.names[VERSION_NAME] = standin.Name(f'="{installed}"')
    excel.BUTTONS["check_environment"]()
    assert addin.app.alerts[-1]["prompt"].startswith("正常")
    addin.names[VERSION_NAME] = standin.Name('="0.30.0"')
    excel.BUTTONS["check_environment"]()
    text = addin.app.alerts[-1]["prompt"]
    assert "版本不一致" in text and "pip install xlwings==0.30.0" in text and f"coverage-xl addin {ADDIN}" in text


def test_add_in_buttons_are_the_excel_functions_the_ribbon_names():
    from coverage_xl.xlsm.ribbon import ADDIN_RIBBON, load_callback_source, run_python_targets

    targets = run_python_targets(load_callback_source(ADDIN_RIBBON))
    assert {f for _, f in targets} == {b.function for b in ADDIN_RIBBON.buttons}
    assert all(f in excel.BUTTONS for _, f in targets)



def test_validate_active_book_with_no_workbook_open_says_so():
    addin = _addin()
    excel.BUTTONS["validate_active_book"]()
    assert addin.app.alerts[-1]["prompt"] == "无法完成：请先打开要校验的摸底明细表，再点“校验当前工作簿”。"
