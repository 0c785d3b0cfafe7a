"""Columns 1–2: every row belongs to the unit of the workbook (行政代码 430981 or the unit's own code)."""

from __future__ import annotations

from collections.abc import Iterator

from coverage_xl.findings import Finding
from coverage_xl.rules.base import Context
from coverage_xl.units import CITY_NAME, Unit, find_unit
from coverage_xl.values import clean_text


def check_unit(ctx: Context) -> Iterator[Finding]:
    unit = ctx.survey.unit
    if unit is None:
        yield Finding("unit.unknown", sheet=ctx.survey.sheet, row=ctx.survey.header_row - 1 if ctx.survey.header_row > 1 else None,
                      column=ctx.survey.first_column)
        return
    ok_names = {unit.name, unit.full_name, f"{CITY_NAME}{unit.name}"}
    details = {"expected": unit.name, "expected_code": unit.code}
    # A column holds a handful of distinct values: each is judged once, and only rows holding a
    # wrong one are visited.
    if ctx.present("region"):
        values = ctx.column_values("region")
        wrong = {v for v in set(values) if not _region_ok(v, unit, ok_names)}
        for i in [i for i, v in enumerate(values) if v in wrong] if wrong else []:
            yield ctx.finding("unit.mismatch", i, "region", values[i], field_label="行政区划", **details)
    if ctx.present("code"):
        codes = set(unit.codes)
        values = ctx.column_values("code")
        wrong = {v for v in set(values) if not (v is None or v == "" or v in codes or clean_text(v) in codes)}
        for i in [i for i, v in enumerate(values) if v in wrong] if wrong else []:
            yield ctx.finding("unit.mismatch", i, "code", values[i], field_label="行政代码", **details)


def _region_ok(raw: object, unit: Unit, ok_names: set[str]) -> bool:
    """A 行政区划 cell is blank, or names the workbook's unit."""
    if raw is None or raw == "":
        return True
    s = raw if isinstance(raw, str) else str(raw)
    if s in ok_names:
        return True
    c = clean_text(s)
    return c in ok_names or find_unit(c) is unit
