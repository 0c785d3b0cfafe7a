"""The rules' short paths (出生年月 compared as text with the ID, ages compared with two cut-off dates)
give exactly the findings of the plain per-row definitions, on a sheet full of their edge cases:
legacy, wrong, missing and untidy IDs, every form of 出生年月, people born on the day they turn 16
or 60 (29 February included)."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from coverage_xl import idcard
from coverage_xl.layout import ANNEX3
from coverage_xl.read import read_survey
from coverage_xl.rules import Context
from coverage_xl.rules.ids import check_ids
from coverage_xl.rules.person import MIN_AGE, PENSION_AGE, check_age, check_birth
from coverage_xl.synth import make_people, write_unit_workbook
from coverage_xl.units import default_units
from coverage_xl.values import parse_birth_month

AS_OF_DATES = (dt.date(2020, 9, 30), dt.date(2020, 2, 29), dt.date(2021, 2, 28))
BIRTH, ID, TICK_IN_SCOPE = ANNEX3.col("birth") - 1, ANNEX3.col("id") - 1, ANNEX3.col("in_scope") - 1
BIRTH_CELLS = ("1965.03", "1965.3", "1965-03", "196503", "19650315", "1965年3月", "1965年3月15日", "1980.1",
               "1980.10", "1980.01", 1980.1, 1965.03, 196503, "", None, "x", "1965.13", dt.datetime(1965, 3, 15),
               "１９６５.０３", " 1965.03 ")


def edge_case_sheet(tmp_path, seed: int):
    """A unit's workbook whose ID and 出生年月 cells are drawn from the edge cases, read back."""
    unit = default_units()[0]
    people = make_people(unit, 300, seed=seed)
    path = tmp_path / f"edges_{seed}.xlsx"
    write_unit_workbook(path, unit, people)
    survey = read_survey(path)
    rng = random.Random(seed)
    for row in survey.rows:
        pid = row[ID]
        roll = rng.random()
        if roll < 0.05:
            row[ID] = pid[:6] + pid[8:17]  # a 15-digit legacy number
        elif roll < 0.08:
            row[ID] = pid[:17] + ("0" if pid[17] != "0" else "1")  # wrong check character
        elif roll < 0.10:
            row[ID] = ""
        elif roll < 0.12:
            row[ID] = pid.lower() + " "
        born = idcard.birth_date(pid)
        roll = rng.random()
        if roll < 0.5:
            row[BIRTH] = rng.choice(BIRTH_CELLS)
        elif roll < 0.8 and born:
            row[BIRTH] = f"{born.year}.{born.month:02d}"
        row[TICK_IN_SCOPE] = "√" if rng.random() < 0.8 else row[TICK_IN_SCOPE]
    # people born exactly on, and a day after, the day they turn 16 and 60 on each as-of date
    edges = [d + dt.timedelta(days=k) for day in AS_OF_DATES for years in (MIN_AGE, PENSION_AGE)
             for d in (idcard.latest_birth_for_age(years, day),) for k in (-1, 0, 1)]
    for row, born in zip(survey.rows, edges, strict=False):
        first17 = f"430981{born:%Y%m%d}123"
        row[ID] = first17 + idcard.check_character(first17)
        row[TICK_IN_SCOPE] = "√"
    return survey


def reference_birth_rows(values, births) -> list[int]:
    """The plain definition: a blank cell, an unreadable one, or one whose readings miss the ID's month."""
    readings = {v: parse_birth_month(v) for v in set(values) if v is not None and v != ""}
    return [i for i, (v, b) in enumerate(zip(values, births, strict=True))
            if v is None or v == "" or readings[v] is None or (b is not None and (b.year, b.month) not in readings[v])]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_birth_and_age_short_paths_agree_with_the_plain_definitions(tmp_path, seed):
    survey = edge_case_sheet(tmp_path, seed)
    for as_of in AS_OF_DATES:
        ctx = Context(survey, as_of)
        list(check_ids(ctx))
        ctx.categories = ["in_scope" if r[TICK_IN_SCOPE] == "√" else None for r in survey.rows]
        values = ctx.column_values("birth")
        expected_birth = [(survey.row_numbers[i], f) for i in reference_birth_rows(values, ctx.births)
                          for f in ("birth",) if not ((values[i] is None or values[i] == "") and ctx.births[i] is None)]
        got_birth = [(f.row, f.field) for f in check_birth(ctx)]
        assert got_birth == expected_birth
        assert len(got_birth) > 20  # the edge cases are there
        expected_age = []
        for i, (c, ok, b) in enumerate(zip(ctx.categories, ctx.id_ok, ctx.births, strict=True)):
            if ok and c == "in_scope" and b is not None:
                age = idcard.age_on(b, as_of)
                if age < MIN_AGE:
                    expected_age.append((survey.row_numbers[i], "age.under16"))
                elif age >= PENSION_AGE:
                    expected_age.append((survey.row_numbers[i], "age.over60"))
        assert [(f.row, f.code) for f in check_age(ctx)] == expected_age
