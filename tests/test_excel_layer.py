"""The ribbon's macro functions, run against tests/xlwings_standin.py (the one stand-in in the suite).

Each test builds real workbooks, loads them into the stand-in as Excel would show them, runs the
macro through ``Book.caller()`` as RunPython does, and checks what was written back against an
independent computation by the library on the files (calamine reader)."""

from __future__ import annotations

import csv
import datetime as dt
import importlib
import re
from pathlib import Path

import pytest
import xlwings_standin as standin

from coverage_xl import excel
from coverage_xl.consolidate import consolidate
from coverage_xl.layout import ANNEX3, ANNEX4, ANNEX5, RESULT_SHEET, SETTINGS_SHEET
from coverage_xl.master import master_workbook
from coverage_xl.report import RESULT_HEADERS
from coverage_xl.survey import load_batch
from coverage_xl.synth import make_people, plant_errors, write_sample_folder, write_unit_workbook
from coverage_xl.units import unit_by_name
from coverage_xl.validate import validate_file

AS_OF = dt.date(2020, 9, 30)
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def use_standin(monkeypatch):
    monkeypatch.setattr(excel, "xw", standin)
    monkeypatch.setattr(standin.Book, "_mock_caller", None)


@pytest.fixture
def unit_file(tmp_path):
    unit = unit_by_name("共华镇")
    people = make_people(unit, 30, seed=7)
    plant_errors(people, 6, seed=7)
    path = tmp_path / "共华镇_摸底明细表.xlsx"
    write_unit_workbook(path, unit, people, day=AS_OF)
    return path


def _run(book, name):
    book.set_mock_caller()
    excel.BUTTONS[name]()
    return book.app.alerts[-1] if book.app.alerts else None


def _master(tmp_path, **settings):
    wb = master_workbook()
    ws = wb[SETTINGS_SHEET]
    labels = {"survey_dir": "摸底表文件夹", "registrations": "参保登记导出", "payments": "缴费导出",
              "as_of": "统计日期", "templates_dir": "模板输出文件夹", "notices_dir": "通报输出文件夹"}
    for key, value in settings.items():
        row = next(r for r in range(1, 20) if ws.cell(r, 1).value == labels[key])
        ws.cell(row, 2, value)
    path = tmp_path / "总表.xlsx"
    wb.save(path)
    return standin.load_book(path, tmp_path / "总表.xlsm")


def test_every_ribbon_target_is_a_function_of_the_excel_module():
    targets = []
    for bas in ("CoverageXL.bas", "CoverageXLAddin.bas"):  # the master's ribbon and the add-in's
        text = (ROOT / "templates/vba" / bas).read_text(encoding="utf-8")
        targets += re.findall(r"import (coverage_xl\.\w+) as m; m\.(\w+)\(\)", text)
    assert {t for _, t in targets} == set(excel.BUTTONS)
    for module, name in targets:
        assert callable(getattr(importlib.import_module(module), name))


def test_validate_current_marks_the_cells_the_validator_finds(unit_file):
    book = standin.load_book(unit_file)
    alert = _run(book, "validate_current")
    expected = validate_file(unit_file, excel._as_of(book)).report  # a unit file has no 统计日期: today, as the button uses
    sheet = book.sheets[ANNEX3.sheet_name]
    cells = {f.cell for f in expected.findings if f.cell}
    assert {f"{standin.get_column_letter(c)}{r}" for r, c in sheet.colors} == cells
    for f in expected.findings:
        if f.cell:
            r, c = f.row, f.column
            assert f.code in sheet.notes[(r, c)]
    results = standin.to_openpyxl(book)[RESULT_SHEET]
    assert [c.value for c in results[1]] == list(RESULT_HEADERS)
    assert results.max_row - 1 == len(expected.findings)
    assert alert["mode"] == "info" and f"共 {expected.rows} 行" in alert["prompt"]
    assert f"错误 {expected.errors} 条" in alert["prompt"]
    assert book.app.status_bar is False and book.app.screen_updating is True


def test_validate_current_sees_unsaved_edits_and_clears_old_marks(unit_file):
    book = standin.load_book(unit_file)
    sheet = book.sheets[ANNEX3.sheet_name]
    _run(book, "validate_current")
    before = set(sheet.colors)
    id_col = ANNEX3.col("id")
    numbering = next(r for r in range(1, 20) if sheet.cells.get((r, 1)) == 1 and sheet.cells.get((r, 2)) == 2)
    clean = next(r for r in range(numbering + 1, numbering + 31) if (r, id_col) not in before)
    good = sheet.cells[(clean, id_col)]
    sheet.range((clean, id_col)).value = good[:17] + ("1" if good[17] != "1" else "2")  # typed, not saved
    _run(book, "validate_current")
    assert "id.checksum" in sheet.notes[(clean, id_col)]
    assert set(sheet.colors) == before | {(clean, id_col)}
    sheet.range((clean, id_col)).value = good  # corrected: the mark goes on the next run
    _run(book, "validate_current")
    assert set(sheet.colors) == before and (clean, id_col) not in sheet.notes


def test_validate_current_on_a_sheet_that_is_not_annex3(tmp_path):
    book = _master(tmp_path)
    alert = _run(book, "validate_current")
    assert alert["mode"] == "critical" and "不是附件3摸底明细表" in alert["prompt"]


def test_an_unexpected_error_is_a_message_box_with_a_log(unit_file, monkeypatch, tmp_path):
    monkeypatch.setattr(excel.tempfile, "gettempdir", lambda: str(tmp_path))

    def boom(*_a, **_k):
        raise RuntimeError("磁盘坏了")

    monkeypatch.setattr("coverage_xl.validate.validate_survey", boom)
    book = standin.load_book(unit_file)
    alert = _run(book, "validate_current")
    assert alert["mode"] == "critical" and "RuntimeError" in alert["prompt"] and "磁盘坏了" in alert["prompt"]
    assert "Traceback" in (tmp_path / excel.LOG_NAME).read_text(encoding="utf-8")
    assert book.app.status_bar is False


def test_consolidate_units_writes_annex4_equal_to_the_library(tmp_path):
    folder = tmp_path / "units"
    write_sample_folder(folder, total=140, seed=3)
    book = _master(tmp_path, survey_dir=str(folder), as_of="2020-09-30")
    alert = _run(book, "consolidate_units")
    assert alert["mode"] == "info", alert
    assert "已汇总 14/14 个单位" in alert["prompt"]
    expected = consolidate(load_batch(folder, AS_OF)).counts()
    ws = standin.to_openpyxl(book)[ANNEX4.sheet_name]
    total = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "合计")
    for key in ("in_scope", "out_total", "unwilling", "willing"):
        assert ws.cell(total, ANNEX4.col(key)).value == expected[key], key
    codes = [ws.cell(r, 1).value for r in range(total - 14, total)]
    assert all(isinstance(c, str) and len(c) == 9 for c in codes)  # codes stayed text, not numbers
    names = [s.name for s in book.sheets]
    assert names.index("重复人员") == names.index(ANNEX4.sheet_name) + 1
    results = standin.to_openpyxl(book)[RESULT_SHEET]
    assert results.max_row > 1  # the planted errors of every unit are listed


def test_consolidate_without_a_folder_says_what_to_fill_in(tmp_path):
    book = _master(tmp_path)
    alert = _run(book, "consolidate_units")
    assert alert["mode"] == "critical" and "没有填写摸底表文件夹" in alert["prompt"]


def _exports(tmp_path, folder):
    people = load_batch(folder, AS_OF).people()
    in_scope = people[people["category"] == "in_scope"]["id"].tolist()
    reg = tmp_path / "登记.csv"
    pay = tmp_path / "缴费.csv"
    with reg.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["姓名", "公民身份号码"])
        for pid in in_scope[::2]:
            w.writerow(["某", pid])
    with pay.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["公民身份号码", "缴费年度", "实缴金额"])
        for pid in in_scope[::4]:
            w.writerow([pid, 2020, 200])
    return reg, pay, len(in_scope[::2]), len(in_scope[::4])


def test_make_dispatch_writes_annex5_and_keeps_history(tmp_path):
    folder = tmp_path / "units"
    write_sample_folder(folder, total=140, seed=4, errors_per_unit=0)
    reg, pay, n_reg, n_pay = _exports(tmp_path, folder)
    book = _master(tmp_path, survey_dir=str(folder), registrations=str(reg), payments=str(pay), as_of="2020-09-30")
    alert = _run(book, "make_dispatch")
    assert alert["mode"] == "info", alert
    ws = standin.to_openpyxl(book)[ANNEX5.sheet_name]
    total = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "合计" or ws.cell(r, 2).value == "合计")
    assert ws.cell(total, ANNEX5.col("registered")).value == n_reg
    assert ws.cell(total, ANNEX5.col("paid")).value == n_pay
    history = book.sheets["调度历史"]
    rows_after_first = len(history.cells)
    book.sheets[SETTINGS_SHEET].range("B6").value = "2020-10-07"  # next week's run
    _run(book, "make_dispatch")
    assert len(history.cells) > rows_after_first  # a second snapshot was added, the first kept


def test_make_notices_writes_the_notices_folder(tmp_path):
    folder = tmp_path / "units"
    write_sample_folder(folder, total=70, seed=5, errors_per_unit=0)
    reg, pay, _, _ = _exports(tmp_path, folder)
    out = tmp_path / "通报"
    book = _master(tmp_path, survey_dir=str(folder), registrations=str(reg), payments=str(pay), as_of="2020-09-30",
                   notices_dir=str(out))
    alert = _run(book, "make_notices")
    assert alert["mode"] == "info", alert
    written = [p for p in out.rglob("*") if p.is_file() and not p.name.startswith(".")]  # not the guard's manifest
    assert written and f"已生成 {len(written)} 个文件" in alert["prompt"]


def test_make_dispatch_needs_the_exports(tmp_path):
    book = _master(tmp_path, survey_dir=str(tmp_path))
    alert = _run(book, "make_dispatch")
    assert alert["mode"] == "critical" and "参保登记导出" in alert["prompt"]


def test_make_templates_writes_one_file_per_unit(tmp_path, monkeypatch):
    import functools

    import coverage_xl.templates as templates

    monkeypatch.setattr(templates, "build_templates", functools.partial(templates.build_templates, rows=5))
    out = tmp_path / "模板"
    book = _master(tmp_path, templates_dir=str(out))
    alert = _run(book, "make_templates")
    assert alert["mode"] == "info" and "已生成 14 个单位模板" in alert["prompt"]
    assert len(list(out.glob("*.xlsx"))) == 14


def test_open_help_goes_to_the_help_sheet(tmp_path):
    book = _master(tmp_path)
    book.sheets.active = book.sheets[ANNEX4.sheet_name]
    assert _run(book, "open_help") is None
    assert book.sheets.active.name == "使用说明"


def test_cxl_pension_is_the_estimate_udf():
    from coverage_xl.estimate import pension_udf

    assert excel.CXL_PENSION(dt.date(1965, 3, 1), 3, 2020) == pension_udf(dt.date(1965, 3, 1), 3, 2020)
    assert str(excel.CXL_PENSION("not a date", 3)).startswith("错误")


def test_standin_turns_numeric_text_into_numbers_like_excel():
    book = standin.Book("x.xlsx")
    sheet = book.sheets.add("s")
    sheet.range("A1").value = "430981196503151234"
    sheet.range("B1").number_format = "@"
    sheet.range("B1").value = "430981196503151234"
    assert sheet.range("A1").value == 430981196503151000.0 and sheet.range("B1").value == "430981196503151234"
