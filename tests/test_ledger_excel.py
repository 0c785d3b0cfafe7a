"""The master's face of the ledger: the 更新台账 button runs the same library function as the CLI and
puts 台账汇总 into the book (run against tests/xlwings_standin.py, checked with sqlite3 and the library)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import ledger_world as w
import pytest
import xlwings_standin as standin

from coverage_xl import excel
from coverage_xl.layout import LEDGER_SUMMARY_SHEET, SETTINGS_SHEET
from coverage_xl.ledger import update_ledger
from coverage_xl.master import HELP_LINES, SETTING_LABELS, master_workbook
from coverage_xl.xlsm.ribbon import BUTTONS


@pytest.fixture(autouse=True)
def use_standin(monkeypatch):
    monkeypatch.setattr(excel, "xw", standin)
    monkeypatch.setattr(standin.Book, "_mock_caller", None)


def _master(tmp_path: Path, **settings: str):
    wb = master_workbook()
    ws = wb[SETTINGS_SHEET]
    for key, value in settings.items():
        row = next(r for r in range(1, 30) if ws.cell(r, 1).value == SETTING_LABELS[key])
        ws.cell(row, 2, value)
    path = tmp_path / "总表.xlsx"
    wb.save(path)
    return standin.load_book(path, tmp_path / "总表.xlsm")


def test_the_ribbon_has_an_update_ledger_button_calling_the_excel_macro():
    button = next(b for b in BUTTONS if b.label == "更新台账")
    assert button.function == "update_ledger" and button.function in excel.BUTTONS
    assert any("【更新台账】" in line for line in HELP_LINES)


def test_update_ledger_button_fills_the_ledger_beside_the_master_and_its_summary_sheet(tmp_path):
    lists = w.write_list(tmp_path / "list")
    survey = w.write_surveys(tmp_path / "survey")
    reg, pay = w.write_exports(tmp_path / "exports", *w.week1_facts(), "0904")
    book = _master(tmp_path, lists=";".join(map(str, lists)), survey_dir=str(survey), registrations=str(reg),
                   payments=str(pay), as_of=w.AS_OF_1.isoformat())
    book.set_mock_caller()
    excel.BUTTONS["update_ledger"]()
    alert = book.app.alerts[-1]
    assert alert["mode"] == "info", alert
    db = tmp_path / "台账.sqlite"  # beside the master
    con = sqlite3.connect(db)
    assert con.execute("SELECT COUNT(*) FROM people").fetchone()[0] == len(w.PEOPLE)
    con.close()
    expected = update_ledger(tmp_path / "独立.sqlite", lists=lists, survey=survey, registrations=[reg],
                             payments=[pay], as_of=w.AS_OF_1).summary()["units"]
    ws = standin.to_openpyxl(book)[LEDGER_SUMMARY_SHEET]
    header = [c.value for c in ws[3]]
    for row in ws.iter_rows(min_row=4, values_only=True):
        if row[0] in expected:
            assert row[header.index("已缴费")] == expected[row[0]]["paid"]
            assert row[header.index("待登记")] == expected[row[0]]["pending"]
            assert row[header.index("已销号")] == expected[row[0]]["settled"]
    assert f"台账 {len(w.PEOPLE)} 人" in alert["prompt"]
