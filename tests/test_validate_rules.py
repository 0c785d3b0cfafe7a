"""Each Annex 3 rule, positive and negative, asserted as exact (row, column, code) lists.

Workbooks are written with openpyxl in the notice's layout (data starts at Excel row 6) and read
back by the validator through python-calamine: two independent libraries on a real file.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest

from coverage_xl import idcard
from coverage_xl.layout import ANNEX3
from coverage_xl.sheets.annex3 import write_annex3
from coverage_xl.units import unit_by_name
from coverage_xl.validate import validate_file

AS_OF = dt.date(2020, 9, 30)
FIRST = 6  # first data row of a sheet written by write_annex3
CAOWEI = unit_by_name("草尾镇")


def vid(code6: str = "430981", ymd: str = "19650315", seq: str = "123") -> str:
    body = code6 + ymd + seq
    return body + idcard.check_character(body)


def person(**over) -> dict:
    base = {"code": "430981", "region": "草尾镇", "name": "张三", "id": vid(), "birth": "1965.03",
            "address": "沅江市草尾镇新华村3组", "in_scope": "√", "willing": "是", "phone": "13812341234"}
    base.update(over)
    return {k: v for k, v in base.items() if v is not None}


def book(tmp_path: Path, people: list[dict], *, unit=CAOWEI, name: str = "unit.xlsx") -> Path:
    wb = openpyxl.Workbook()
    write_annex3(wb.active, unit, people)
    path = tmp_path / name
    wb.save(path)
    return path


def flat(path: Path, *, info: bool = False) -> list[tuple[int | None, int | None, str]]:
    report = validate_file(path, AS_OF).report
    return [(f.row, f.column, f.code) for f in report.findings if info or f.severity.value != "info"]


def test_a_clean_row_has_no_findings(tmp_path):
    assert flat(book(tmp_path, [person()]), info=True) == []


@pytest.mark.parametrize("pid", [
    vid("432323", "19650315"),  # 沅江县 code, used before 1988
    vid("432302", "19900101"),  # 沅江市 code 1988–1993
    vid("430981", "19500101"),  # 430981 with a birth long before 1994 (stdnum's validate() rejects it)
    vid("110101", "19800229"),  # 29 February of a leap year, registered elsewhere
    vid("430902", "20000229", "002"),  # 29 February 2000 (a leap century), 益阳 code
])
def test_valid_but_unusual_ids_give_no_error(tmp_path, pid):
    born = idcard.birth_date(pid)
    row = person(id=pid, birth=f"{born.year}.{born.month:02d}")
    assert [c for c in flat(book(tmp_path, [row])) if c[2].startswith("id.")] == []


def _x_id() -> str:
    for seq in range(1000):
        body = f"43098119700101{seq:03d}"
        if idcard.check_character(body) == "X":
            return body + "X"
    raise AssertionError


def test_x_check_character_and_lowercase_x(tmp_path):
    pid = _x_id()
    path = book(tmp_path, [person(id=pid, birth="1970.01"), person(id=pid[:-1] + "x", birth="1970.01", name="李四")])
    # the lowercase x is only a warning (normalised), but both rows are the same person
    assert flat(path) == [(6, 4, "id.duplicate"), (7, 4, "id.normalised"), (7, 4, "id.duplicate")]


def test_full_width_digits_and_spaces_are_a_warning_not_an_error(tmp_path):
    pid = vid()
    typed = "".join(chr(ord(c) + 0xFEE0) for c in pid[:6]) + " " + pid[6:14] + "\u3000" + pid[14:]
    report = validate_file(book(tmp_path, [person(id=typed)]), AS_OF).report
    assert [(f.row, f.column, f.code, f.severity.value) for f in report.findings] == [(6, 4, "id.normalised", "warning")]
    assert report.errors == 0


@pytest.mark.parametrize(("value", "code"), [
    (None, "id.missing"),
    ("4309811965031512", "id.format"),
    ("43098119650315123", "id.format"),
    ("4309811965031512345", "id.format"),
    ("43098119650315123A", "id.format"),
    ("430981196502301234", "id.birthdate"),  # 30 February
    ("430981203001011234", "id.birthdate"),  # in the future
    ("430981196503151230", "id.checksum"),
])
def test_id_errors(tmp_path, value, code):
    if code == "id.birthdate":
        value = value[:17] + idcard.check_character(value[:17])
    if code == "id.checksum":
        good = vid()
        value = good[:17] + ("0" if good[17] != "0" else "1")
    row = person(id=value, birth=None)
    assert (6, 4, code) in flat(book(tmp_path, [row]))
    assert [c for c in flat(book(tmp_path, [row])) if c[2].startswith("id.")] == [(6, 4, code)]


def test_id_stored_as_number_is_reported_not_reformatted(tmp_path):
    path = book(tmp_path, [person(id=430981196503151234, birth=None)])
    report = validate_file(path, AS_OF).report
    (f,) = [f for f in report.findings if f.field == "id"]
    assert (f.row, f.column, f.code) == (6, 4, "id.numeric")
    assert isinstance(f.value, float)
    assert "文本" in f.message()


def test_legacy_15_digit_id_is_a_warning_with_the_18_digit_form(tmp_path):
    report = validate_file(book(tmp_path, [person(id="430981650315123", birth="1965.03")]), AS_OF).report
    (f,) = report.findings
    assert (f.code, f.severity.value) == ("id.legacy15", "warning")
    assert idcard.to18("430981650315123") in f.message(masked=False)


def test_region_code_that_never_existed_is_a_warning(tmp_path):
    report = validate_file(book(tmp_path, [person(id=vid("990981"))]), AS_OF).report
    assert [(f.code, f.severity.value) for f in report.findings] == [("id.region", "warning")]


def test_duplicate_ids_report_every_row_involved(tmp_path):
    rows = [person(), person(name="李四", id=vid(seq="125")), person(name="王五"), person(name="赵六")]
    assert flat(book(tmp_path, rows)) == [(6, 4, "id.duplicate"), (8, 4, "id.duplicate"), (9, 4, "id.duplicate")]


def test_name_missing(tmp_path):
    assert flat(book(tmp_path, [person(name=None)])) == [(6, 3, "name.missing")]


@pytest.mark.parametrize("birth", ["1965.03", "1965-03", "196503", "1965年3月", "1965/3", dt.datetime(1965, 3, 1),
                                   "19650315", "１９６５．０３", 196503])
def test_birth_month_formats_accepted(tmp_path, birth):
    assert flat(book(tmp_path, [person(birth=birth)])) == []


def test_birth_month_as_number_with_a_lost_zero_is_accepted():
    from coverage_xl.values import parse_birth_month

    assert (1980, 10) in parse_birth_month(1980.1)


@pytest.mark.parametrize(("birth", "code"), [("1964.03", "birth.mismatch"), ("1965.04", "birth.mismatch"),
                                             ("三月", "birth.format"), ("1965.13", "birth.format")])
def test_birth_month_errors(tmp_path, birth, code):
    assert flat(book(tmp_path, [person(birth=birth)])) == [(6, 5, code)]


def test_category_none(tmp_path):
    assert flat(book(tmp_path, [person(in_scope=None, willing=None)])) == [(6, 7, "category.none")]


def test_category_conflict_in_scope_with_reason(tmp_path):
    assert flat(book(tmp_path, [person(student="√")])) == [(6, 12, "category.conflict")]


def test_category_conflict_two_reasons(tmp_path):
    rows = [person(in_scope=None, willing=None, prov_enterprise="√", deceased="✔")]
    assert flat(book(tmp_path, rows)) == [(6, 16, "category.conflict")]


@pytest.mark.parametrize("mark", ["√", "✓", "✔", " √ "])
def test_tick_marks_accepted(tmp_path, mark):
    assert flat(book(tmp_path, [person(in_scope=mark)])) == []


@pytest.mark.parametrize("junk", ["v", "是", "1", "x", "对"])
def test_category_value_junk_in_a_tick_column(tmp_path, junk):
    assert flat(book(tmp_path, [person(in_scope=None, willing=None, student=junk)])) == [(6, 12, "category.value")]


def test_other_column_holds_a_description_which_counts_as_ticked(tmp_path):
    rows = [person(in_scope=None, willing=None, other="长期外出失联"), person(name="李四", id=vid(seq="125"),
                                                                      in_scope=None, willing=None, other="√")]
    assert flat(book(tmp_path, rows)) == [(7, 17, "category.other_detail")]


def test_willingness(tmp_path):
    rows = [
        person(willing=None),  # in scope, blank
        person(name="李四", id=vid(seq="125"), willing="愿意"),  # not 是/否
        person(name="王五", id=vid(seq="135"), in_scope=None, student="√", willing="否", birth="2002.03"),
        person(name="赵六", id=vid(seq="145"), willing="否"),
    ]
    rows[2]["id"] = vid(ymd="20020315", seq="135")
    assert flat(book(tmp_path, rows)) == [(6, 18, "willing.missing"), (7, 18, "willing.value"), (8, 18, "willing.unexpected")]


@pytest.mark.parametrize("phone", ["13812341234", 13812341234, "0737-2822222", "07372822222", "2822222",
                                   "138 1234 1234", "13812341234/0737-2822222"])
def test_phone_accepted(tmp_path, phone):
    assert flat(book(tmp_path, [person(phone=phone)])) == []


@pytest.mark.parametrize("phone", ["1381234123", "138123412345", "12345", "电话", "23812341234"])
def test_phone_format(tmp_path, phone):
    assert flat(book(tmp_path, [person(phone=phone)])) == [(6, 19, "phone.format")]


def test_ages(tmp_path):
    rows = [
        person(id=vid(ymd="20100101"), birth="2010.01"),  # 10 years old, in scope
        person(name="李四", id=vid(ymd="19500101"), birth="1950.01"),  # 70, in scope: info
        person(name="王五", id=vid(ymd="20041001"), birth="2004.10"),  # turns 16 on 2020-10-01: still 15
        person(name="赵六", id=vid(ymd="20040930"), birth="2004.09"),  # 16 on the as-of date
    ]
    assert flat(book(tmp_path, rows), info=True) == [(6, 4, "age.under16"), (7, 4, "age.over60"), (8, 4, "age.under16")]


def test_students_aged_25_or_more_on_the_as_of_date_are_a_warning_on_the_student_cell(tmp_path):
    student = {"in_scope": None, "willing": None, "student": "√"}
    rows = [
        person(id=vid(ymd="19951001"), birth="1995.10", **student),  # 24 until 2020-10-01
        person(name="李四", id=vid(ymd="19950930"), birth="1995.09", **student),  # 25 on the as-of date
        person(name="王五", id=vid(ymd="19800101"), birth="1980.01", **student),  # 40
        person(name="赵六", id=vid(ymd="19800102"), birth="1980.01"),  # 40, in scope: not a student
    ]
    assert flat(book(tmp_path, rows)) == [(7, 12, "age.student_over25"), (8, 12, "age.student_over25")]
    report = validate_file(book(tmp_path, rows, name="again.xlsx"), AS_OF).report
    assert report.findings[0].message() == ("勾选了“在校学生”，但按身份证号码截至2020年9月30日已满25周岁。"
                                            "请核实是否仍在校（如研究生）；已不在校的请改为其他分类。")


def test_unit_mismatch_by_region_and_code(tmp_path):
    rows = [person(), person(name="李四", id=vid(seq="125"), region="南嘴镇"),
            person(name="王五", id=vid(seq="135"), code="430981107"), person(name="赵六", id=vid(seq="145"), code="430981114"),
            person(name="钱七", id=vid(seq="155"), region="沅江市草尾镇")]
    assert flat(book(tmp_path, rows)) == [(7, 2, "unit.mismatch"), (8, 1, "unit.mismatch")]



def test_unit_values_repeated_numeric_and_untidy_are_judged_alike_on_every_row(tmp_path):
    rows = [person(name=f"人{k}", id=vid(seq=f"{100 + 10 * k}"), **cells) for k, cells in enumerate([
        {"code": 430981}, {"code": 430981.0}, {"code": " 430981 "}, {"code": "430981107"}, {"code": "430981107"},
        {"region": ""}, {"region": "草尾镇"}, {"region": "沅江市草尾镇"}, {"region": "草 尾 镇"},
        {"region": "南嘴镇"}, {"region": "南嘴镇"}, {"region": 12}])]
    assert flat(book(tmp_path, rows)) == [(9, 1, "unit.mismatch"), (10, 1, "unit.mismatch"),
                                          (15, 2, "unit.mismatch"), (16, 2, "unit.mismatch"), (17, 2, "unit.mismatch")]

def test_junk_in_every_column_never_raises(tmp_path):
    junk = ["", "   ", "……", 0, -1, 1e300, True, dt.datetime(2020, 1, 1), dt.time(12, 0), "😀", "=SUM(A1)",
            "１２３", "x" * 500, 4.30981196503151e17, "√√", "是否"]
    keys = ANNEX3.keys
    rows = [{k: junk[(i + n) % len(junk)] for n, k in enumerate(keys)} for i in range(len(junk))]
    report = validate_file(book(tmp_path, rows), AS_OF).report
    assert report.readable and report.rows == len(junk)
    assert all(f.message() and f.message(masked=False) for f in report.findings)
    assert {f.code for f in report.findings} >= {"id.numeric", "category.value", "willing.value", "phone.format"}


def test_a_15_digit_legacy_number_stored_as_a_number_lost_nothing(tmp_path):
    report = validate_file(book(tmp_path, [person(id=430981650315123, birth="1965.03")]), AS_OF).report
    assert [f.code for f in report.findings] == ["id.legacy15"]
