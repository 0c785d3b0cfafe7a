"""The templates' native checks fire in a real spreadsheet program (LibreOffice headless).

Values are typed into the cells through UNO, Calc is asked to circle invalid data (its own
evaluation of the data-validation rules), and the sheet is exported as HTML, where Calc paints the
conditional formats. A second route needs only soffice: formula cells holding the very same rule
text, converted to CSV. Expected answers come from python-stdnum, not from our formulas.
"""

from __future__ import annotations

import csv
import random

import openpyxl
import pytest
from lo_helpers import convert, html_grid, needs_soffice, run_uno
from stdnum.cn import ric

from coverage_xl.sheets.validation import id_flag_formula, id_valid_formula, phone_valid_formula
from coverage_xl.templates import build_templates

pytestmark = pytest.mark.libreoffice

RED, YELLOW = "#FFC7CE", "#FFEB9C"


def _id(body17: str) -> str:
    return body17 + ric.calc_check_digit(body17 + "0")


GOOD = _id("43098119650315123")
GOOD_X = next(x for x in (_id(f"43098119700101{n:03d}") for n in range(1000)) if x.endswith("X"))
BAD_CHECK = GOOD[:-1] + ("1" if GOOD[-1] != "1" else "2")
LEGACY = "430981650315123"

# (cell, typed text, circled by validation?, conditional-format colour or None)
CASES = [
    ("D6", GOOD, False, None),
    ("D7", GOOD_X.lower(), False, None),
    ("D8", BAD_CHECK, True, RED),
    ("D9", GOOD[:17], True, RED),
    ("D10", GOOD + "1", True, RED),
    ("D11", LEGACY, False, YELLOW),
    ("D12", "43098119650315A23X", True, RED),
    ("G13", "√", False, None),
    ("H14", "对", True, None),
    ("R15", "是", False, None),
    ("R16", "不愿意", True, None),
    ("S17", "13812345678", False, None),
    ("S18", "0737-1234567", False, None),
    ("S19", "12345", True, RED),
    ("S20", "123456789", True, RED),
    ("Q21", "长期外出失联", False, None),
]
CONFLICT_ROWS = {22: {"G22": "√", "K22": "√"}, 23: {"G23": "√", "Q23": "户籍已迁出"}}
SINGLE_TICK_ROW = {"J24": "√"}


def _col(ref: str) -> int:
    return ord(ref[0]) - 64


def _row(ref: str) -> int:
    return int(ref[1:])


@pytest.fixture(scope="module")
def all_templates(tmp_path_factory):
    out = tmp_path_factory.mktemp("lo-templates")
    return out, build_templates(out, rows=30)


def test_every_template_rejects_and_paints_bad_input(all_templates):
    out, paths = all_templates
    typed = {ref: text for ref, text, _, _ in CASES}
    for cells in CONFLICT_ROWS.values():
        typed.update(cells)
    typed.update(SINGLE_TICK_ROW)
    results = run_uno([{"path": p, "cells": typed, "html": out / f"{p.stem}.html"} for p in paths])
    expected_invalid = sorted([_row(ref), _col(ref)] for ref, _, bad, _ in CASES if bad)
    expected_red = {(_row(ref), _col(ref)) for ref, _, _, colour in CASES if colour == RED}
    expected_red |= {(row, c) for row in CONFLICT_ROWS for c in range(7, 18)}
    expected_yellow = {(_row(ref), _col(ref)) for ref, _, _, colour in CASES if colour == YELLOW}
    assert len(results) == 14
    for p, res in zip(paths, results, strict=True):
        assert res["loaded"] and "error" not in res, res
        assert res["invalid"] == expected_invalid, p.name
        grid = html_grid(out / f"{p.stem}.html")
        red = {k for k, (_, colour) in grid.items() if colour == RED}
        yellow = {k for k, (_, colour) in grid.items() if colour == YELLOW}
        assert red == expected_red, p.name
        assert yellow == expected_yellow, p.name


def _id_samples(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        born = f"{rng.randint(1930, 2010)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
        good = _id(f"{rng.choice(['430981', '432302', '432323', '110105'])}{born}{rng.randint(0, 999):03d}")
        kind = i % 6
        if kind == 0:
            out.append(good)
        elif kind == 1:  # a wrong check character
            out.append(good[:17] + rng.choice([c for c in "0123456789X" if c != good[17]]))
        elif kind == 2:  # two neighbouring digits swapped (the commonest typing slip)
            j = rng.randint(6, 15)
            out.append(good[:j] + good[j + 1] + good[j] + good[j + 2:])
        elif kind == 3:  # one digit dropped
            j = rng.randint(0, 17)
            out.append(good[:j] + good[j + 1:])
        elif kind == 4:
            out.append(good.lower())
        else:  # a digit mistyped
            j = rng.randint(0, 16)
            out.append(good[:j] + str((int(good[j]) + rng.randint(1, 9)) % 10) + good[j + 1:])
    return out


def _stdnum_accepts(text: str) -> bool:
    if len(text) == 15:
        return text.isdigit()
    return len(text) == 18 and text[:17].isdigit() and ric.calc_check_digit(text[:17] + "0") == text[17].upper()


def test_id_rule_agrees_with_stdnum_on_typed_numbers(tmp_path):
    [path] = build_templates(tmp_path, ["琼湖街道"], rows=60)
    ids = _id_samples(60, seed=11)
    cells = {f"D{6 + i}": v for i, v in enumerate(ids)}
    [res] = run_uno([{"path": path, "cells": cells}])
    circled = {row for row, col in res["invalid"] if col == 4}
    expected = {6 + i for i, v in enumerate(ids) if not _stdnum_accepts(v)}
    assert circled == expected
    assert 20 < len(expected) < 60  # the sample really mixes good and bad numbers


@needs_soffice
def test_same_rule_text_in_formula_cells_via_csv(tmp_path):
    """Route without UNO: the rule text in ordinary formula cells, computed by soffice into CSV."""
    ids = _id_samples(30, seed=3) + [LEGACY, "abc", ""]
    phones = ["13812345678", "12345", "0737-1234567", "123456789", "07371234567", ""]
    wb = openpyxl.Workbook()
    ws = wb.active
    for i, v in enumerate(ids, start=1):
        ws.cell(i, 1, v).number_format = "@"
        ws.cell(i, 2, "=" + id_valid_formula(f"A{i}"))
        ws.cell(i, 3, "=" + id_flag_formula(f"A{i}"))
    for i, v in enumerate(phones, start=1):
        ws.cell(i, 4, v).number_format = "@"
        ws.cell(i, 5, "=" + phone_valid_formula(f"D{i}"))
    src = tmp_path / "rules.xlsx"
    wb.save(src)
    proc = convert(src, "csv", tmp_path)
    assert proc.returncode == 0, proc.stderr
    rows = list(csv.reader((tmp_path / "rules.csv").open(encoding="utf-8")))
    for i, v in enumerate(ids):
        ok = v == "" or _stdnum_accepts(v)
        assert rows[i][1] == str(ok).upper(), v
        assert rows[i][2] == str(not ok).upper(), v
    assert [r[4] for r in rows[: len(phones)]] == ["TRUE", "FALSE", "TRUE", "FALSE", "TRUE", "TRUE"]
