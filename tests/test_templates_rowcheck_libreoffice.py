"""The template's per-row check column, its counts and row deletion, in a real LibreOffice (UNO).

Values are typed into a unit template as a clerk types them; Calc computes the check column; the
expected answers are the Python validator's (the authority), not our formulas. Deleting a data row is
done as a clerk does it (select the row, 删除行) on the protected sheet.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from lo_helpers import convert, html_grid, run_uno
from stdnum.cn import ric

from coverage_xl.layout import ANNEX3
from coverage_xl.read import read_survey
from coverage_xl.sheets.rowcheck import CODES, message
from coverage_xl.templates import build_templates, new_unit_workbook
from coverage_xl.units import unit_by_name
from coverage_xl.validate import validate_file

pytestmark = pytest.mark.libreoffice

ROOT = Path(__file__).resolve().parent.parent
AS_OF = dt.date(2020, 9, 30)
RED = "#FFC7CE"


def _id(body17: str) -> str:
    return body17 + ric.calc_check_digit(body17 + "0")


GOOD = _id("43098119650315123")
OK = {"G": "√", "R": "是", "S": "13812345678"}

# row -> (typed cells, the message the check column must show)
CASES: dict[int, tuple[dict[str, str], str]] = {
    6: ({"C": "张三", "D": GOOD, "E": "1965.03", **OK}, ""),
    7: ({"C": "李四", "D": GOOD[:-1] + ("1" if GOOD[-1] != "1" else "2"), "E": "1965.03", **OK}, "身份证号码校验位错误"),
    8: ({"C": "王五", "D": _id("43098119650230123"), "E": "1965.02", **OK}, "身份证号码出生日期错误"),
    9: ({"C": "赵六", "D": _id("43098119700101123"), "E": "1970.01", "S": "13812345678"}, "未勾选分类"),
    10: ({"C": "钱七", "D": _id("43098119700101223"), "E": "1970.01", "H": "✔", "R": "是"}, "不属于覆盖范围却填了意愿"),
    11: ({"C": "孙八", "D": _id("43098119700101323"), "E": "1970.01", "G": "✓"}, "未填写参保意愿"),
    12: ({"C": "周九", "D": _id("43098119700101423"), "E": "1970.01", "G": "√", "R": "是", "S": "1381234567"},
         "联系电话格式错误"),
    13: ({"C": "吴十", "D": _id("43098119700101523"), "E": "1971.01", **OK}, "出生年月与身份证不符"),
    14: ({"C": "郑一", "D": _id("43098119700101623"), "E": "1970年1月", "G": "✔", "R": "否"}, ""),
    15: ({"C": "冯二", "D": _id("43098119700101723"), "E": "1970.01", "G": "√", "K": "√"}, "分类勾选冲突"),
    16: ({"C": "陈三", "D": _id("43098119700101823"), "E": "1970.01", "Q": "长期外出失联"}, ""),
    17: ({"C": "褚四", "D": GOOD, "E": "1965.03", **OK}, ""),  # the same ID as row 6: painted, not a row message
    18: ({"C": "卫五", "D": _id("43098119801301123"), "E": "1980.13", **OK}, "身份证号码出生日期错误"),
}
DELETED_ROW = 19  # typed, then deleted as a clerk does


@pytest.fixture(scope="module")
def typed(tmp_path_factory):
    out = tmp_path_factory.mktemp("rowcheck")
    [path] = build_templates(out, ["琼湖街道"], rows=40)
    cells = {f"{col}{row}": v for row, (values, _) in CASES.items() for col, v in values.items()}
    cells.update({"C19": "删除的行", "D19": "123", "G19": "√"})
    cells["U22"] = "手工改写"  # a clerk overwrote one check cell
    reads = ["U1", "U2", *(f"U{r}" for r in range(6, 25)), "C19", "C20"]
    [res] = run_uno([{"path": path, "cells": cells, "delete_rows": [DELETED_ROW], "read": reads, "invalid": False}])
    assert res["loaded"] and "error" not in res, res
    return res


def test_check_column_names_the_first_problem_of_each_row(typed):
    res = typed
    got = {row: res["values"][f"U{row}"] for row in CASES}
    assert got == {row: expected for row, (_, expected) in CASES.items()}


def test_a_data_row_can_be_deleted_and_the_checks_still_cover_the_rows(typed):
    res = typed
    assert res["deleted"] == [[DELETED_ROW, True]]
    assert res["values"]["C19"] == ""  # the next (blank) row moved up
    # 9 problem rows above, the deleted row's problem is gone, the overwritten cell counts as a problem
    assert res["values"]["U1"] == "有问题的行：10"
    assert res["values"]["U2"] == "检查公式缺失的行：1"  # the overwritten one (now U21)
    assert res["values"]["U21"] == "手工改写"


def test_same_id_twice_is_painted_by_the_native_duplicate_format(tmp_path):
    """A filled template as the bureau or the clerk reopens it: Calc paints both rows of an ID given
    twice (the duplicate-values format), and no other ID. (Headless Calc does not repaint the
    duplicates format for values typed through UNO after loading, so the file is filled first.)"""
    other = _id("43098119700101123")
    people = [{"name": n, "id": i} for n, i in (("甲", GOOD), ("乙", other), ("丙", GOOD), ("丁", _id("43098119700101223")))]
    path = tmp_path / "dup.xlsx"
    new_unit_workbook(unit_by_name("琼湖街道"), people, rows=3).save(path)
    proc = convert(path, "html", tmp_path)
    assert proc.returncode == 0, proc.stderr
    grid = html_grid(tmp_path / "dup.html")
    red_ids = {row for (row, col), (_, colour) in grid.items() if col == 4 and colour == RED and row >= 6}
    assert red_ids == {6, 8}


def _sample_paths() -> list[Path]:
    return sorted(p for p in (ROOT / "workbooks" / "units").iterdir() if p.suffix in (".xlsx", ".xls", ".ods"))


def test_check_column_agrees_with_the_python_validator_on_the_demo_sample(tmp_path):
    """Each demo unit's rows, written into its template; Calc's check column against validate_file's
    findings of the same file: the message is the title of the row's first finding among the codes the
    column checks (an unreadable 出生年月 reads as 不符), and "" where the validator finds none of them."""
    jobs, expected = [], []
    for src in _sample_paths():
        survey = read_survey(src)
        people = [dict(zip(ANNEX3.keys, row, strict=True)) for row in survey.rows]
        path = tmp_path / f"{src.stem}.xlsx"
        new_unit_workbook(survey.unit, people, day=AS_OF, rows=2).save(path)
        codes: dict[int, list[str]] = {}
        for f in validate_file(path, AS_OF).report.findings:
            code = "birth.mismatch" if f.code == "birth.format" else f.code
            if f.row and code in CODES:
                codes.setdefault(f.row, []).append(code)
        rows = range(6, 6 + len(people))
        expected.append({r: message(min(codes[r], key=CODES.index)) if r in codes else "" for r in rows})
        jobs.append({"path": path, "read": [f"U{r}" for r in rows], "invalid": False})
    results = run_uno(jobs)
    flagged = 0
    for job, res, want in zip(jobs, results, expected, strict=True):
        assert res["loaded"] and "error" not in res, res
        got = {int(ref[1:]): v for ref, v in res["values"].items()}
        assert got == want, job["path"].name
        flagged += sum(1 for v in want.values() if v)
    assert flagged >= 20  # the sample's planted mistakes are really there
