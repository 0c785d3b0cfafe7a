"""The sheets 测算参数 and 测算器: written with openpyxl, read back with calamine, recalculated by LibreOffice.

The estimator must compute with plain formulas (no Python on a clerk's PC), so the decisive test lets
LibreOffice recalculate the sheet and compares every figure with :func:`coverage_xl.estimate.estimate`.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from python_calamine import CalamineWorkbook

from coverage_xl.errors import ParameterError
from coverage_xl.estimate import (
    DEFAULT_PARAMS_PATH,
    ESTIMATOR_INPUT_CELLS,
    ESTIMATOR_RESULT_CELLS,
    ESTIMATOR_WARNING_CELLS,
    ROW_FIELDS,
    estimate,
    load_params,
)
from coverage_xl.layout import ESTIMATOR_SHEET, PARAMS_SHEET


def bureau_params(tmp_path: Path):
    """Defaults with figures a bureau might enter (made up for the test only)."""
    text = DEFAULT_PARAMS_PATH.read_text(encoding="utf-8")
    for key, value in [
        ("provincial_basic_addition", "10"),
        ("local_basic_addition", "5"),
        ("long_contribution_extra", "2"),
        ("interest_rate", "0.02"),
    ]:
        text = re.sub(rf'(\[{key}\][^\[]*?)value = ""', rf"\g<1>value = {value}", text)
    text = text.replace("value = [[100, 30], [500, 60]]", "value = [[100, 30], [200, 35], [500, 60], [1000, 100]]")
    text = re.sub(r"(\[catch_up_subsidy\][^\[]*?)value = false", r"\g<1>value = true", text)
    path = tmp_path / "bureau.toml"
    path.write_text(text, encoding="utf-8")
    return load_params(path)


def build(path: Path, params=None, inputs: dict | None = None) -> Path:
    wb = Workbook()
    wb.active.title = "封面"  # the estimator is not the first sheet in the master workbook either
    from coverage_xl.sheets.estimator import write_estimator_sheet

    write_estimator_sheet(wb, params)
    if inputs:
        ws = wb[ESTIMATOR_SHEET]
        for key, value in inputs.items():
            ws[ESTIMATOR_INPUT_CELLS[key]] = value
    wb.save(path)
    return path


def test_sheets_read_back_with_labels_sources_and_names(tmp_path):
    path = build(tmp_path / "m.xlsx")
    cal = CalamineWorkbook.from_path(str(path))
    assert cal.sheet_names == ["封面", PARAMS_SHEET, ESTIMATOR_SHEET]
    params_rows = cal.get_sheet_by_name(PARAMS_SHEET).to_python()
    by_key = {row[1]: row for row in params_rows if len(row) > 1 and isinstance(row[1], str)}
    assert by_key["divisor"][2] == 139 and "国发〔2014〕8号" in by_key["divisor"][4] and by_key["divisor"][5] == 2014
    assert by_key["central_basic_pension"][2] == 93
    assert by_key["provincial_basic_addition"][2] == ""  # blank: 待市局填写
    assert by_key["meta.name"][2] == "国家基本政策默认参数（2020年7月起）"
    tier_rows = [row for row in params_rows if len(row) > 1 and row[1] == "tier"]
    assert [(r[2], r[3]) for r in tier_rows][:5] == [(100, 30), (200, 30), (300, 30), (400, 30), (500, 60)]
    est = cal.get_sheet_by_name(ESTIMATOR_SHEET).to_python()
    for f in ROW_FIELDS:
        row = int(ESTIMATOR_RESULT_CELLS[f.key][1:])
        assert est[row - 1][0] == f.label
    names = load_workbook(path).defined_names
    assert names["CXL_DIVISOR"].attr_text.startswith(f"'{PARAMS_SHEET}'!$C$")
    assert names["CXL_TIER_TABLE"].attr_text.endswith(":$D$" + str(len(params_rows)))


def test_parameters_round_trip_through_the_sheet(tmp_path):
    path = build(tmp_path / "m.xlsx")
    original, read = load_params(), load_params(path)
    assert read.name == original.name and read.id == original.id
    for key, param in original.entries.items():
        if key != "subsidy":  # the sheet lists one subsidy per tier instead of the step schedule
            assert read[key].value == param.value, key
        assert (read[key].source, read[key].year, read[key].floor) == (param.source, param.year, param.floor), key
    assert [read.subsidy_for(t) for t in read.tiers] == [original.subsidy_for(t) for t in original.tiers]
    assert read.warnings() == original.warnings()
    assert read.origin.endswith(f"m.xlsx#{PARAMS_SHEET}")


def test_bureau_edits_on_the_sheet_are_used_and_checked(tmp_path):
    path = build(tmp_path / "m.xlsx")
    wb = load_workbook(path)
    ws = wb[PARAMS_SHEET]
    rows = {ws.cell(r, 2).value: r for r in range(1, ws.max_row + 1)}
    ws.cell(rows["provincial_basic_addition"], 3).value = 20
    ws.cell(rows["subsidy"], 8).value = None  # no longer a national floor
    wb.save(path)
    params = load_params(path)
    assert params["provincial_basic_addition"].value == 20
    assert not any("最低标准" in w for w in params.warnings())
    assert estimate("1980-06", 300, 2020, params).basic_pension == 113

    ws.cell(rows["divisor"], 3).value = -139
    wb.save(path)
    with pytest.raises(ParameterError, match="个人账户养老金计发月数.*不能为负数"):
        load_params(path)


def test_workbook_without_the_parameter_sheet_is_an_error(tmp_path):
    path = tmp_path / "other.xlsx"
    Workbook().save(path)
    with pytest.raises(ParameterError, match="没有“测算参数”工作表"):
        load_params(path)


# ---------------------------------------------------------------------------------------------
# LibreOffice recalculation: the formulas agree with Python
# ---------------------------------------------------------------------------------------------

CASES = [
    ("under45", {"birth": "1980-06", "tier": 300, "start_year": 2020}, False),
    ("catch_up", {"birth": "1965-03", "tier": 500, "start_year": 2020}, False),
    ("over60", {"birth": "1955-08", "tier": 100, "start_year": 2020}, False),
    ("turning60", {"birth": "1960-12", "tier": 300, "start_year": 2020}, False),
    ("date_cell", {"birth": dt.datetime(1965, 3, 1), "tier": 300, "start_year": 2020}, False),
    ("bureau_interest", {"birth": "1982-12", "tier": 1000, "start_year": 2020}, True),
    ("bureau_catch_up", {"birth": "1965-03", "tier": 200, "start_year": 2020, "support": 50}, True),
]


def recalculate_to_csv(files: list[Path], sheet_number: int, out: Path, profile: Path) -> None:
    subprocess.run(
        [
            shutil.which("soffice") or "soffice",
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--convert-to",
            # separator, quote, UTF-8, start row, column formats, language, quoted text, detect numbers,
            # formatted values (no), formulas (no), remove spaces (no), the sheet to export
            f"csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,{sheet_number}",
            "--outdir",
            str(out),
            *map(str, files),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )


@pytest.mark.libreoffice
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) not installed")
def test_estimator_formulas_equal_the_python_estimate(tmp_path):
    bureau = bureau_params(tmp_path)
    files = []
    for name, inputs, use_bureau in CASES:
        files.append(build(tmp_path / f"{name}.xlsx", bureau if use_bureau else None, inputs))
    sheet_number = load_workbook(files[0], read_only=True).sheetnames.index(ESTIMATOR_SHEET) + 1
    out = tmp_path / "out"
    recalculate_to_csv(files, sheet_number, out, tmp_path / "lo-profile")

    for (name, inputs, use_bureau), _file in zip(CASES, files, strict=True):
        csv_path = out / f"{name}-{ESTIMATOR_SHEET}.csv"
        if not csv_path.exists():  # older LibreOffice names the file after the workbook only
            csv_path = out / f"{name}.csv"
        grid = list(csv.reader(csv_path.read_text(encoding="utf-8").splitlines()))

        def cell(ref: str, grid=grid) -> str:
            return grid[int(ref[1:]) - 1][1]

        e = estimate(
            inputs["birth"], inputs["tier"], inputs["start_year"], bureau if use_bureau else None,
            support=inputs.get("support", 0),
        )
        for f in ROW_FIELDS:
            expected = getattr(e, f.key)
            got = cell(ESTIMATOR_RESULT_CELLS[f.key])
            if f.kind == "text":
                assert got == expected, (name, f.key)
            else:
                assert float(got) == pytest.approx(expected, rel=1e-9, abs=1e-9), (name, f.key, got)
        warnings = [cell(ref) for ref in ESTIMATOR_WARNING_CELLS]
        assert [w for w in warnings if w] == list(e.warnings), name
