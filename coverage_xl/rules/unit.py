"""Columns 1–2: every row belongs to the unit of the workbook (行政代码 430981 or the unit's own code)."""

from __future__ import annotations

from collections.abc import Iterator

from coverage_xl.findings import Finding
from coverage_xl.rules.base import Context
from coverage_xl.units import CITY_NAME, find_unit
from coverage_xl.values import clean_text


def check_unit(ctx: Context) -> Iterator[Finding]:
    unit = ctx.survey.unit
    if unit is None:
        yield Finding("unit.unknown", sheet=ctx.survey.sheet, row=ctx.survey.header_row - 1 if ctx.survey.header_row > 1 else None,
                      column=ctx.survey.first_column)
        return
    ok_names = {unit.name, unit.full_name, f"{CITY_NAME}{unit.name}"}
    details = {"expected": unit.name, "expected_code": unit.code}
    if ctx.present("region"):
        cache: dict[str, bool] = {}
        for i, raw in enumerate(ctx.column_values("region")):
            if raw is None or raw == "":
                continue
            s = raw if isinstance(raw, str) else str(raw)
            if s in ok_names:
                continue
            if s not in cache:
                c = clean_text(s)
                cache[s] = c in ok_names or find_unit(c) is unit
            if not cache[s]:
                yield ctx.finding("unit.mismatch", i, "region", raw, field_label="行政区划", **details)
    if ctx.present("code"):
        codes = set(unit.codes)
        for i, raw in enumerate(ctx.column_values("code")):
            if raw is None or raw == "" or raw in codes:
                continue
            c = clean_text(raw)
            if c not in codes:
                yield ctx.finding("unit.mismatch", i, "code", raw, field_label="行政代码", **details)
