"""Unit templates as files: the rules are in the XML, the layout is the notice's, and the
validator (a second, independent reader: calamine) reads a filled template without complaint."""

from __future__ import annotations

import datetime as dt
import zipfile

import openpyxl
import pytest
from click.testing import CliRunner
from openpyxl.utils import get_column_letter

from coverage_xl.cli import main
from coverage_xl.errors import InputError
from coverage_xl.layout import ANNEX3, INSTRUCTIONS_SHEET
from coverage_xl.sheets.frame import fitted_height
from coverage_xl.sheets.rowcheck import (
    CHECK_HEADER,
    CHECK_NAME,
    CHECK_NUMBER_FORMAT,
    check_name_formula,
    overwritten_count_formula,
    problem_count_formula,
    row_check_formula,
)
from coverage_xl.sheets.validation import (
    conflict_formula,
    id_flag_formula,
    id_valid_formula,
    phone_valid_formula,
)
from coverage_xl.synth import make_people
from coverage_xl.templates import build_templates, new_unit_workbook, rows_for, template_name
from coverage_xl.units import default_units, unit_by_name
from coverage_xl.validate import validate_file

FIRST = 6  # first data row of an Annex 3 sheet drawn by write_frame


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    out = tmp_path_factory.mktemp("tpl")
    [path] = build_templates(out, ["草尾镇"], day=dt.date(2020, 9, 1), rows=50)
    return path


def _dv_by_cell(ws):
    found = {}
    for dv in ws.data_validations.dataValidation:
        for rng in dv.sqref.ranges:
            found[rng.coord.split(":")[0][0]] = dv
    return found


def test_one_template_per_unit_in_annex1_order(tmp_path):
    paths = build_templates(tmp_path, rows=3)
    assert [p.name for p in paths] == [template_name(u) for u in default_units()]
    assert all(p.exists() for p in paths)


def test_unknown_unit_is_a_chinese_error(tmp_path):
    with pytest.raises(InputError, match="无法识别单位"):
        build_templates(tmp_path, ["不存在镇"])


def test_id_column_is_text_and_checked_by_the_same_formula(template):
    wb = openpyxl.load_workbook(template)
    ws = wb[ANNEX3.sheet_name]
    # every empty cell of the columns holding digits is text (the column's own style)
    assert [ws.column_dimensions[c].number_format for c in "ADES"] == ["@"] * 4
    dvs = _dv_by_cell(ws)
    assert dvs["D"].type == "custom"
    assert dvs["D"].formula1 == id_valid_formula("D6")
    assert str(dvs["D"].sqref) == "D6:D55"
    assert "18位" in dvs["D"].prompt and dvs["D"].errorStyle == "stop"
    assert "{" not in dvs["D"].formula1  # no array constants (Excel rejects them in validation)


def test_every_rule_formula_fits_excels_255_character_limit():
    for f in (id_valid_formula("D6"), id_flag_formula("D6"), conflict_formula(6), phone_valid_formula("S6")):
        assert len(f) <= 255, f


def test_tick_willing_and_phone_lists(template):
    ws = openpyxl.load_workbook(template)[ANNEX3.sheet_name]
    by_formula = {}
    for dv in ws.data_validations.dataValidation:
        by_formula.setdefault(dv.formula1, set()).update(r.coord for r in dv.sqref.ranges)
    assert by_formula['"√,✓,✔"'] == {f"{chr(64 + n)}6:{chr(64 + n)}55" for n in range(7, 17)}
    assert by_formula['"是,否"'] == {"R6:R55"}
    assert by_formula[phone_valid_formula("S6")] == {"S6:S55"}


def test_conditional_formats_flag_ids_conflicts_and_phones(template):
    ws = openpyxl.load_workbook(template)[ANNEX3.sheet_name]
    rules = {str(cf.sqref): [r.formula[0] if r.formula else r.type for r in cf.rules]
             for cf in ws.conditional_formatting}
    assert id_flag_formula("D6") in rules["D6:D55"]
    assert "duplicateValues" in rules["D6:D55"]  # native, evaluated for the cells on screen only
    assert rules["G6:Q55"] == [conflict_formula(6)]
    assert rules["S6:S55"] == [f"NOT({phone_valid_formula('S6')})"]


def test_header_locked_data_rows_editable(template):
    ws = openpyxl.load_workbook(template)[ANNEX3.sheet_name]
    assert ws.protection.sheet
    assert not ws.protection.password
    assert ws.cell(3, 4).protection.locked and ws.cell(5, 1).protection.locked
    assert ws.cell(56, 1).value == "合计" and ws.cell(56, 1).protection.locked
    assert ws.protection.insertRows is False  # False = allowed: people are added above 合计
    assert ws.protection.deleteRows is False and ws.protection.sort is False


def test_whole_data_rows_are_unlocked_so_they_can_be_deleted(template):
    """A row with one locked cell anywhere (even column XFD) cannot be deleted in Excel or Calc."""
    ws = openpyxl.load_workbook(template)[ANNEX3.sheet_name]
    dims = ws.column_dimensions
    assert all(dims[c].protection.locked is False for c in "ABCDEFGHIJKLMNOPQRSTU")
    rest = dims["V"]
    assert (rest.min, rest.max, rest.protection.locked) == (22, 16384, False)
    assert all(not ws.cell(r, c).protection.locked for r in (FIRST, 55) for c in (1, 2, 21))
    assert all(ws.cell(r, c).protection.locked for r in range(1, FIRST) for c in range(1, 22))


def test_layout_freeze_print_and_instructions(template):
    wb = openpyxl.load_workbook(template)
    ws = wb[ANNEX3.sheet_name]
    assert wb.sheetnames == [ANNEX3.sheet_name, INSTRUCTIONS_SHEET]
    assert ws["B1"].value == ANNEX3.title and ws["A2"].value == "填报单位：草尾镇"
    assert [ws.cell(5, c).value for c in range(1, 21)] == list(range(1, 21))
    assert ws.freeze_panes == "D6"
    assert ws.page_setup.orientation == "landscape" and ws.print_title_rows == "$1:$5"
    assert ws.column_dimensions["D"].width >= 20
    text = "\n".join(str(c.value) for c in wb[INSTRUCTIONS_SHEET]["A"] if c.value)
    for phrase in ("身份证号码", "√", "是", "合计", "撤销工作表保护", "不需要“启用宏”"):
        assert phrase in text


def test_filled_template_validates_clean_with_the_independent_reader(tmp_path):
    unit = unit_by_name("南嘴镇")
    people = make_people(unit, 25, seed=5)
    wb = new_unit_workbook(unit, (p.values for p in people), day=dt.date(2020, 9, 30), rows=10)
    path = tmp_path / "filled.xlsx"
    wb.save(path)
    checked = validate_file(path, dt.date(2020, 9, 30))
    assert checked.report.unit == "南嘴镇"
    assert checked.report.rows == 25  # blank rows carrying only 行政代码/行政区划 are not people
    assert checked.report.errors == 0, checked.report.flatten()
    assert list(checked.people["id"]) == [p.values["id"] for p in people]


def test_empty_template_reads_as_the_unit_with_no_people(template):
    report = validate_file(template).report
    assert report.unit == "草尾镇" and report.rows == 0


def test_totals_row_counts_names_and_ticks(template):
    ws = openpyxl.load_workbook(template)[ANNEX3.sheet_name]
    assert ws["C56"].value == "=COUNTA(C6:C55)"
    assert ws["G56"].value == '=COUNTIF(G6:G55,"√")+COUNTIF(G6:G55,"✓")+COUNTIF(G6:G55,"✔")'
    assert ws["Q56"].value == "=COUNTA(Q6:Q55)"


def test_cli_templates_writes_chosen_units(tmp_path):
    result = CliRunner().invoke(main, ["templates", str(tmp_path), "--units", "琼湖街道", "--units", "新湾",
                                       "--rows", "5"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.glob("*.xlsx")) == sorted(
        [template_name(unit_by_name("琼湖街道")), template_name(unit_by_name("新湾镇"))])
    assert "已生成 2 个单位模板" in result.output


def test_cli_templates_rejects_unknown_unit(tmp_path):
    result = CliRunner().invoke(main, ["templates", str(tmp_path), "--units", "火星镇"])
    assert result.exit_code == 2
    assert "无法识别单位" in result.output


def test_template_size_follows_the_annex1_task_plus_ten_percent(tmp_path):
    """task × 1.1 rounded up to 100: 漉湖芦苇场 1,301 → 1,500 rows; 琼湖街道 33,740 → 37,200."""
    assert rows_for(unit_by_name("漉湖芦苇场")) == 1500
    assert rows_for(unit_by_name("琼湖街道")) == 37200
    assert rows_for(unit_by_name("南嘴镇")) == 3400  # 3,055 × 1.1 = 3,360.5
    [path] = build_templates(tmp_path, ["漉湖芦苇场"])
    ws = openpyxl.load_workbook(path)[ANNEX3.sheet_name]
    assert ws.cell(FIRST + 1500, 1).value == "合计"
    assert ws.print_area == f"'{ANNEX3.sheet_name}'!$A$1:$T${FIRST + 1500}"


def test_cli_rows_overrides_the_size(tmp_path):
    result = CliRunner().invoke(main, ["templates", str(tmp_path), "--units", "漉湖芦苇场", "--rows", "7"])
    assert result.exit_code == 0, result.output
    ws = openpyxl.load_workbook(tmp_path / template_name(unit_by_name("漉湖芦苇场")))[ANNEX3.sheet_name]
    assert ws.cell(FIRST + 7, 1).value == "合计"


def test_check_column_after_remark_is_shaded_unlocked_and_not_printed(template):
    ws = openpyxl.load_workbook(template)[ANNEX3.sheet_name]
    assert ws["U3"].value == CHECK_HEADER == "自动检查，请勿填写"
    assert "U3:U4" in {str(r) for r in ws.merged_cells.ranges}
    assert ws["U6"].value == ws["U55"].value == "=行检查" == "=" + CHECK_NAME  # shared, read back per row
    assert ws.defined_names[CHECK_NAME].attr_text == check_name_formula(ANNEX3.sheet_name, unit_by_name("草尾镇"))
    assert all(not ws.cell(r, 21).protection.locked and ws.cell(r, 21).fill.fgColor.rgb.endswith("EDEDED")
               and ws.cell(r, 21).number_format == CHECK_NUMBER_FORMAT == ";;;@" for r in (6, 30, 55))
    assert ws["U1"].value == problem_count_formula(6, 55)
    assert ws["U2"].value == overwritten_count_formula(6, 55)
    assert ws.print_area.endswith("$A$1:$T$56")


def test_every_check_cell_holds_the_name_as_a_formula_of_its_own(template):
    """The long formula is in the defined name only; each of the 50 rows holds ``=行检查`` (not a shared
    formula, which LibreOffice opens slower and recomputes), with its blank-row result 0."""
    with zipfile.ZipFile(template) as z:
        xml = z.read("xl/worksheets/sheet1.xml").decode()
    name = "行检查".encode("ascii", "xmlcharrefreplace").decode()
    assert xml.count(f"<f>{name}</f><v>0</v>") == 50
    assert 't="shared"' not in xml and "IF(COUNTA" not in xml


def test_check_name_holds_the_row_check_relative_to_a1():
    """The defined name is the row check of row 1 with sheet-qualified, column-absolute references:
    what Excel stores for a name whose rows are relative (they count from A1), so in U6 it reads row 6."""
    unit = unit_by_name("琼湖街道")
    text = check_name_formula("附件3", unit)
    assert text.startswith("IF(COUNTA('附件3'!$C1:$T1)=0,0,IF(")
    assert "'附件3'!$D1" in text and "'附件3'!$G1:$P1" in text and "'附件3'!$G1:$Q1" in text
    bare = text.replace("'附件3'!", "").replace("$", "")
    assert bare == row_check_formula(1, unit)


def test_an_empty_template_carries_every_formula_result(template):
    """Every formula cell of a template without people has its result cached in the file (an
    independent reader, calamine, sees them), so no application has to compute 37,000 checks on
    opening, and Excel/WPS are not asked to (fullCalcOnLoad off). Clean rows give 0, shown as nothing."""
    from python_calamine import CalamineWorkbook

    rows = CalamineWorkbook.from_path(str(template)).get_sheet_by_name(ANNEX3.sheet_name).to_python()
    u = [r[20] if len(r) > 20 else "" for r in rows]
    assert u[0] == "有问题的行：0" and u[1] == "检查公式缺失的行：0"
    assert u[FIRST - 1:55] == [0.0] * 50
    total = rows[55]
    assert total[0] == "合计" and total[2] == 0.0 and total[6] == 0.0 and total[17] == "是0/否0"
    with zipfile.ZipFile(template) as z:
        xml = z.read("xl/worksheets/sheet1.xml").decode()
        book = z.read("xl/workbook.xml").decode()
    formulas = [c for c in xml.split("</sheetData>")[0].split("<c ")[1:] if "<f>" in c or "<f " in c]
    assert len(formulas) == 2 + 50 + 13  # the two counts, the check cells, the 合计 row (C, G–Q, R)
    assert formulas and all("<v>" in c and "<v></v>" not in c and "<v/>" not in c for c in formulas)
    assert 'fullCalcOnLoad="1"' not in book


def test_a_prefilled_template_leaves_the_filled_rows_to_compute(tmp_path):
    """People rows have no cached check result (it depends on what was written): those cells and the
    problem count are left without one, and Excel/WPS are asked to recalculate on load; the blank
    rows after them still carry their 0."""
    people = [{"name": "甲", "id": "123"}, {"name": "乙"}]
    path = tmp_path / "pre.xlsx"
    new_unit_workbook(unit_by_name("琼湖街道"), people, rows=3).save(path)
    with zipfile.ZipFile(path) as z:
        xml = z.read("xl/worksheets/sheet1.xml").decode()
        book = z.read("xl/workbook.xml").decode()
    cells = {c.split('"', 2)[1]: c for c in xml.split("</sheetData>")[0].split("<c ")[1:]}
    assert [("<v>0</v>" in cells[f"U{r}"]) for r in range(6, 11)] == [False, False, True, True, True]
    assert "<v></v>" in cells["U1"] and "<v></v>" not in cells["U2"] and "<v>" in cells["U2"]
    assert 'fullCalcOnLoad="1"' in book


def test_check_formulas_are_cheap_and_portable():
    """No array constant (Excel refuses them in some places, WPS mis-reads them), no volatile function
    (it would recompute 37,000 rows on every edit), no per-row COUNTIF over the ID column."""
    f = row_check_formula(6, unit_by_name("琼湖街道"))
    assert "{" not in f and "INDIRECT" not in f and "TODAY" not in f and "OFFSET" not in f
    assert "$D" not in f and "COUNTIF(D" not in f
    assert len(f) < 8192 and f.count("(") <= 2000
    assert "ISFORMULA" in overwritten_count_formula(6, 100)
    for unit in default_units():  # what the defined name holds: Excel's 8,192-character limit, no array constant
        name = check_name_formula("附件3", unit)
        assert len(name) < 8192 and "{" not in name and "INDIRECT" not in name


def test_header_cells_fit_their_text(template):
    """Every header cell has enough lines for its text at the column widths drawn, and a bracketed
    hint starts its own line instead of breaking as “（√” / “）”."""
    ws = openpyxl.load_workbook(template)[ANNEX3.sheet_name]
    assert ws["G3"].value == "属于城乡居保覆盖范围\n（√）" and ws["R3"].value == "是否愿意参保\n（是，否）"
    assert ws["K4"].value == "职工养老保险法定人员\n（未参保）"
    for cell in ANNEX3.header:
        r0, c0, r1, c1 = cell.span
        text = ws.cell(3 + r0, c0).value
        width = sum(ws.column_dimensions[get_column_letter(c)].width for c in range(c0, c1 + 1))
        height = sum(ws.row_dimensions[r].height for r in range(3 + r0, 3 + r1 + 1))
        assert fitted_height(text, width, minimum=0) <= height, (cell.text, height)
