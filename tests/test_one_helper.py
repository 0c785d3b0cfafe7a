"""One helper per concept: cell values from pandas, severity colours, the 滞后 status."""

from __future__ import annotations

import ast
import datetime as dt
import doctest
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from coverage_xl import values
from coverage_xl.codes import Severity
from coverage_xl.values import plain

PACKAGE = Path(__file__).resolve().parents[1] / "coverage_xl"


def test_doctests():
    assert doctest.testmod(values).failed == 0


@pytest.mark.parametrize(("value", "expected"), [
    (None, None), (float("nan"), None), (np.float64("nan"), None), (pd.NA, None), (pd.NaT, None),
    (np.int64(7), 7), (np.float64(0.25), 0.25), (np.bool_(True), True), (pd.Timestamp("2020-09-30"), dt.date(2020, 9, 30)),
    (dt.date(2020, 9, 30), dt.date(2020, 9, 30)), ("滞后", "滞后"), (3, 3), (0.5, 0.5),
])
def test_a_pandas_value_becomes_a_plain_cell_value(value, expected):
    got = plain(value)
    assert got == expected and type(got) is type(expected)


def test_every_marked_cell_uses_the_severity_colour():
    from coverage_xl.sheets.validation import RED_FILL, YELLOW_FILL

    assert [s.rank for s in sorted(Severity, key=lambda s: s.rank)] == [0, 1, 2]
    assert RED_FILL.fgColor.rgb.endswith(Severity.ERROR.fill)
    assert YELLOW_FILL.fgColor.rgb.endswith(Severity.WARNING.fill)


def _string_constants(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {id(n.body[0].value) for n in ast.walk(tree)
                  if isinstance(n, ast.Module | ast.FunctionDef | ast.ClassDef | ast.AsyncFunctionDef)
                  and n.body and isinstance(n.body[0], ast.Expr)}
    return [n.value for n in ast.walk(tree)
            if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docstrings]


def test_the_lagging_status_is_written_once():
    """Code compares with progress.LAGGING; the literal lives only there (messages may say 滞后 in prose)."""
    owners = [str(p.relative_to(PACKAGE)) for p in sorted(PACKAGE.rglob("*.py"))
              if "滞后" in _string_constants(p)]
    assert owners == ["progress.py"]


def test_exports_and_lists_search_the_same_rows_for_their_header(tmp_path):
    """One header search depth (tables.HEADER_SCAN_ROWS) for every table another office sends: a
    header below 20 lines of notes is found by the export reader as by the list reader."""
    import openpyxl

    from coverage_xl import exports as ex
    from coverage_xl import idcard
    from coverage_xl.tables import HEADER_SCAN_ROWS, read_table

    first17 = "43098119650310001"
    pid = first17 + idcard.check_character(first17)
    wb = openpyxl.Workbook()
    for n in range(24):
        wb.active.append([f"说明第{n + 1}行"])
    wb.active.append(["姓名", "公民身份号码"])
    wb.active.append(["张三", pid])
    wb.save(tmp_path / "登记.xlsx")
    assert HEADER_SCAN_ROWS > 25
    assert list(read_table(tmp_path / "登记.xlsx").iloc[:, 1]) == [pid]
    assert ex.read_export(tmp_path / "登记.xlsx", ex.REGISTRATION).rows == 1
