"""Columns 3 and 5, and age: name present, 出生年月 agrees with the ID, age limits for in-scope people."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from coverage_xl import idcard
from coverage_xl.findings import Finding
from coverage_xl.rules.base import Context
from coverage_xl.values import parse_birth_month

MIN_AGE = 16
PENSION_AGE = 60


def check_name(ctx: Context) -> Iterator[Finding]:
    if not ctx.present("name"):
        return
    for i, raw in enumerate(ctx.column_values("name")):
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            yield ctx.finding("name.missing", i, "name", None)


def _ym(d: dt.date) -> str:
    return f"{d.year}年{d.month}月"


def check_birth(ctx: Context) -> Iterator[Finding]:
    if not ctx.present("birth"):
        return
    cache: dict[object, tuple | None] = {}
    for i, raw in enumerate(ctx.column_values("birth")):
        born = ctx.births[i]
        if raw is None or raw == "":
            if born is not None:
                yield ctx.finding("birth.missing", i, "birth", None, expected=f"{born.year}.{born.month:02d}")
            continue
        key = (type(raw), raw)
        if key not in cache:
            cache[key] = parse_birth_month(raw)
        readings = cache[key]
        if readings is None:
            yield ctx.finding("birth.format", i, "birth", raw)
        elif born is not None and (born.year, born.month) not in readings:
            yield ctx.finding("birth.mismatch", i, "birth", raw, expected=_ym(born))


def check_age(ctx: Context) -> Iterator[Finding]:
    day = ctx.as_of
    as_of_text = f"{day.year}年{day.month}月{day.day}日"
    for i, cat in enumerate(ctx.categories):
        born = ctx.births[i]
        if cat != "in_scope" or born is None or not ctx.id_ok[i]:
            continue
        age = idcard.age_on(born, day)
        if age < MIN_AGE:
            yield ctx.finding("age.under16", i, "id", ctx.survey.rows[i][3], detail=as_of_text)
        elif age >= PENSION_AGE:
            yield ctx.finding("age.over60", i, "id", ctx.survey.rows[i][3], detail=as_of_text)
