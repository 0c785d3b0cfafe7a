"""Finding the Annex 3 sheet and its columns by header, in every file format a town may send."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest

from coverage_xl.layout import ANNEX3
from coverage_xl.read import read_survey
from coverage_xl.sheets.annex3 import write_annex3
from coverage_xl.units import unit_by_name
from coverage_xl.validate import validate_file
from tests.test_validate_rules import AS_OF, person, vid

CAOWEI = unit_by_name("草尾镇")


def _people(n: int = 3) -> list[dict]:
    return [person(name=f"张{i}", id=vid(seq=f"{100 + 2 * i:03d}")) for i in range(n)]


def _save(wb: openpyxl.Workbook, path: Path) -> Path:
    wb.save(path)
    return path


def test_sheet_found_by_header_not_by_name_or_position(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.title = "填表说明"
    wb.active["A1"] = "请按要求填写"
    ws = wb.create_sheet("Sheet1")
    write_annex3(ws, CAOWEI, _people())
    ws.title = "Sheet1"
    wb.create_sheet("其他")["B2"] = "无关内容"
    survey = read_survey(_save(wb, tmp_path / "b.xlsx"))
    assert survey.sheet == "Sheet1"
    assert survey.row_numbers == [6, 7, 8]
    assert survey.unit.name == "草尾镇"


def test_data_ends_at_the_total_row_and_skips_blank_rows(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    write_annex3(ws, CAOWEI, _people(2), blank_rows=5)  # 合计 at row 13
    ws.cell(20, 3, "合计后的备注不是数据")
    survey = read_survey(_save(wb, tmp_path / "b.xlsx"))
    assert survey.row_numbers == [6, 7]


def test_header_shifted_down_and_right_keeps_real_cell_positions(tmp_path):
    wb = openpyxl.Workbook()
    write_annex3(wb.active, CAOWEI, _people(2))
    ws = wb.active
    ws.unmerge_cells("B1:T1")
    for rng in list(ws.merged_cells.ranges):
        ws.unmerge_cells(str(rng))
    ws.insert_rows(1, 3)
    ws.insert_cols(1, 2)
    path = _save(wb, tmp_path / "shifted.xlsx")
    survey = read_survey(path)
    assert survey.header_row == 6 and survey.first_column == 3
    assert survey.row_numbers == [9, 10]
    assert survey.columns["id"] == 6
    # a finding points at the cell as the user sees it
    wb2 = openpyxl.load_workbook(path)
    wb2.active.cell(10, 5).value = None  # name of the second person
    wb2.save(path)
    assert [(f.row, f.column, f.code) for f in validate_file(path, AS_OF).report.findings] == [(10, 5, "name.missing")]


def test_renamed_column_is_a_header_mismatch_naming_expected_and_found(tmp_path):
    wb = openpyxl.Workbook()
    write_annex3(wb.active, CAOWEI, _people(1))
    wb.active.cell(3, 4, "身份证")
    report = validate_file(_save(wb, tmp_path / "r.xlsx"), AS_OF).report
    (f,) = report.findings
    assert (f.row, f.column, f.code) == (3, 4, "header.mismatch")
    assert "身份证号码" in f.message() and "身份证" in f.message()


def test_header_line_break_and_half_width_brackets_still_match(tmp_path):
    wb = openpyxl.Workbook()
    write_annex3(wb.active, CAOWEI, _people(1))
    wb.active.cell(3, 1, "行政\n代码")
    wb.active.cell(3, 18, "是否愿意参保(是,否)")
    assert validate_file(_save(wb, tmp_path / "r.xlsx"), AS_OF).report.findings == []


def test_missing_column_is_reported_and_other_columns_still_read(tmp_path):
    wb = openpyxl.Workbook()
    write_annex3(wb.active, CAOWEI, _people(2))
    ws = wb.active
    for rng in list(ws.merged_cells.ranges):
        ws.unmerge_cells(str(rng))
    ws.delete_cols(6)  # 户籍地址 removed: everything right of it moves left
    checked = validate_file(_save(wb, tmp_path / "m.xlsx"), AS_OF)
    codes = [(f.column, f.code) for f in checked.report.findings]
    assert (6, "header.mismatch") in codes
    assert checked.survey.columns["address"] is None
    assert checked.survey.columns["in_scope"] == 6  # found by its header, one to the left
    assert list(checked.people["category"]) == ["in_scope", "in_scope"]
    assert checked.report.errors == sum(1 for f in checked.report.findings if f.code == "header.mismatch")


def test_swapped_columns_are_read_by_header(tmp_path):
    wb = openpyxl.Workbook()
    write_annex3(wb.active, CAOWEI, _people(1))
    ws = wb.active
    for rng in list(ws.merged_cells.ranges):
        ws.unmerge_cells(str(rng))
    for r in range(3, 7):
        a, b = ws.cell(r, 18).value, ws.cell(r, 19).value
        ws.cell(r, 18).value, ws.cell(r, 19).value = b, a
    checked = validate_file(_save(wb, tmp_path / "s.xlsx"), AS_OF)
    assert [(f.column, f.code) for f in checked.report.findings] == [(18, "header.mismatch"), (19, "header.mismatch")]
    assert checked.people.loc[0, "willing"] == "是" and checked.people.loc[0, "phone"] == "13812341234"


def test_no_annex3_header_anywhere(tmp_path):
    wb = openpyxl.Workbook()
    wb.active["A1"] = "姓名"
    report = validate_file(_save(wb, tmp_path / "x.xlsx"), AS_OF).report
    assert [f.code for f in report.findings] == ["sheet.not_found"]
    assert report.readable


@pytest.mark.parametrize(("content", "why"), [
    (b"PK\x03\x04garbage-not-a-zip", "损坏"),
    ("name,id\n张三,430981\n".encode("gbk"), "不是"),
    (b"<html><body><table><tr><td>1</td></tr></table></body></html>", "网页"),
    (b"", "空"),
])
def test_unreadable_files_get_a_chinese_reason(tmp_path, content, why):
    path = tmp_path / "bad.xlsx"
    path.write_bytes(content)
    report = validate_file(path, AS_OF).report
    assert not report.readable
    (f,) = report.findings
    assert f.code == "file.unreadable" and why in f.message()


def test_unit_recognised_from_regions_when_the_unit_line_is_blank(tmp_path):
    wb = openpyxl.Workbook()
    write_annex3(wb.active, None, [person(region="沅江市南嘴镇", code="430981107")])
    survey = read_survey(_save(wb, tmp_path / "n.xlsx"))
    assert survey.unit.name == "南嘴镇"


def test_numbering_row_missing_is_a_warning(tmp_path):
    wb = openpyxl.Workbook()
    write_annex3(wb.active, CAOWEI, _people(1))
    wb.active.delete_rows(5)
    report = validate_file(_save(wb, tmp_path / "n.xlsx"), AS_OF).report
    assert [(f.code, f.severity.value) for f in report.findings] == [("header.numbering", "warning")]
    assert report.rows == 1


def _soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


@pytest.mark.libreoffice
@pytest.mark.parametrize("fmt", ["xls", "ods"])
def test_xls_and_ods_files_give_the_same_findings_as_xlsx(tmp_path, fmt):
    if not _soffice():
        pytest.skip("LibreOffice (soffice) not installed")
    rows = [*_people(2), person(name=None, id=vid(seq="201")), person(name="李四", id=vid(seq="203"), phone="12345")]
    src = tmp_path / "unit.xlsx"
    wb = openpyxl.Workbook()
    write_annex3(wb.active, CAOWEI, rows)
    wb.save(src)
    subprocess.run([_soffice(), "--headless", f"-env:UserInstallation=file://{tmp_path}/lo", "--convert-to", fmt,
                    "--outdir", str(tmp_path / "conv"), str(src)], check=True, capture_output=True, timeout=180)
    converted = tmp_path / "conv" / f"unit.{fmt}"
    expected = [(8, 3, "name.missing"), (9, 19, "phone.format")]
    got = [(f.row, f.column, f.code) for f in validate_file(converted, AS_OF).report.findings]
    assert got == expected == [(f.row, f.column, f.code) for f in validate_file(src, AS_OF).report.findings]


def test_layout_numbers_columns_one_to_twenty():
    assert [c.number for c in ANNEX3.columns] == list(range(1, 21))
    assert ANNEX3.col("id") == 4 and ANNEX3.col("willing") == 18


def test_raw_types_are_kept(tmp_path):
    wb = openpyxl.Workbook()
    write_annex3(wb.active, CAOWEI, [person(id=430981196503151234, birth=dt.datetime(1965, 3, 1))])
    survey = read_survey(_save(wb, tmp_path / "t.xlsx"))
    assert isinstance(survey.rows[0][ANNEX3.col("id") - 1], float)


def test_a_single_row_header_without_merged_groups_is_accepted(tmp_path):
    from coverage_xl.layout import leaf_headers

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["附件3", "沅江市城乡居民养老保险全覆盖摸底明细表"])
    ws.append(["填报单位：草尾镇"])
    ws.append(list(leaf_headers(ANNEX3).values()))
    ws.append(list(range(1, 21)))
    p = person()
    ws.append([p.get(k) for k in ANNEX3.keys])
    ws.append(["合计"])
    checked = validate_file(_save(wb, tmp_path / "flat.xlsx"), AS_OF)
    assert checked.report.findings == []
    assert checked.report.rows == 1 and checked.people.loc[0, "category"] == "in_scope"


def test_a_second_annex3_sheet_with_data_is_reported_not_skipped_quietly(tmp_path):
    wb = openpyxl.Workbook()
    write_annex3(wb.active, CAOWEI, _people(3))
    wb.active.title = "新华村"
    other = wb.create_sheet("胜利村")
    write_annex3(other, CAOWEI, [person(name="李四", id=vid(seq="301"))])
    other.title = "胜利村"
    report = validate_file(_save(wb, tmp_path / "two.xlsx"), AS_OF).report
    assert report.sheet == "新华村" and report.rows == 3
    (f,) = report.findings
    assert (f.code, f.severity.value) == ("sheet.multiple", "warning")
    assert "胜利村" in f.message() and "新华村" in f.message()
