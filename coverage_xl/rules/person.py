"""Columns 3 and 5, and age: name present, 出生年月 agrees with the ID, age limits for in-scope people,
and students old enough to be checked."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from operator import eq, itemgetter

from coverage_xl import idcard
from coverage_xl.findings import Finding
from coverage_xl.rules.base import Context
from coverage_xl.values import parse_birth_month

MIN_AGE = 16
PENSION_AGE = 60
_ID_YEAR_MONTH = itemgetter(slice(6, 12))  # YYYYMM of a normalised 18-digit ID
STUDENT_AGE_LIMIT = 25  # a 在校学生 this old on the as-of date is flagged for checking (as the peer county's tool)


def check_name(ctx: Context) -> Iterator[Finding]:
    if not ctx.present("name"):
        return
    values = ctx.column_values("name")
    for i in [i for i, raw in enumerate(values) if raw == "" or raw is None]:
        yield ctx.finding("name.missing", i, "name", None)


def _ym(d: dt.date) -> str:
    return f"{d.year}年{d.month}月"


def check_birth(ctx: Context) -> Iterator[Finding]:
    if not ctx.present("birth"):
        return
    values = ctx.column_values("birth")
    births = ctx.births
    readings_of = {v: parse_birth_month(v) for v in set(values) if v is not None and v != ""}
    # A cell with one reading that names the year and month in the ID is fine. The normalised ID's
    # characters 7–12 always agree with ctx.births, so that is compared as text, row by row in C;
    # only the other rows are looked at as before.
    one = {v: f"{r[0][0]:04d}{r[0][1]:02d}" for v, r in readings_of.items() if r is not None and len(r) == 1}
    agree = map(eq, map(one.get, values), map(_ID_YEAR_MONTH, ctx.ids))
    suspects = [i for i, ok in enumerate(agree) if not ok]
    suspects = [i for i in suspects
                if (v := values[i]) is None or v == "" or readings_of[v] is None
                or ((b := births[i]) is not None and (b.year, b.month) not in readings_of[v])]
    for i in suspects:
        raw, born = values[i], ctx.births[i]
        if raw is None or raw == "":
            if born is not None:
                yield ctx.finding("birth.missing", i, "birth", None, expected=f"{born.year}.{born.month:02d}")
            continue
        readings = readings_of[raw]
        if readings is None:
            yield ctx.finding("birth.format", i, "birth", raw)
        elif born is not None and (born.year, born.month) not in readings:
            yield ctx.finding("birth.mismatch", i, "birth", raw, expected=_ym(born))


def check_age(ctx: Context) -> Iterator[Finding]:
    day = ctx.as_of
    as_of_text = f"{day.year}年{day.month}月{day.day}日"
    young = idcard.latest_birth_for_age(MIN_AGE, day)  # born after it: under 16 on the as-of date
    old = idcard.latest_birth_for_age(PENSION_AGE, day)  # born on it or before: 60 or over
    ids = ctx.column_values("id")
    births = ctx.births
    for i in [i for i, (c, ok, b) in enumerate(zip(ctx.categories, ctx.id_ok, births, strict=True))
              if ok and c == "in_scope" and b is not None and (b > young or b <= old)]:
        if births[i] > young:
            yield ctx.finding("age.under16", i, "id", ids[i], detail=as_of_text)
        else:
            yield ctx.finding("age.over60", i, "id", ids[i], detail=as_of_text)


def check_student_age(ctx: Context) -> Iterator[Finding]:
    """A 在校学生 aged 25 or more on the as-of date is worth a second look (a warning, not an error:
    postgraduates exist); the finding sits on the 在校学生 cell."""
    day = ctx.as_of
    as_of_text = f"{day.year}年{day.month}月{day.day}日"
    ticks = ctx.column_values("student") if ctx.present("student") else ()
    for i in [i for i, (c, ok) in enumerate(zip(ctx.categories, ctx.id_ok, strict=True)) if ok and c == "student"]:
        born = ctx.births[i]
        age = idcard.age_on(born, day) if born is not None else None
        if age is not None and age >= STUDENT_AGE_LIMIT:
            yield ctx.finding("age.student_over25", i, "student", ticks[i] if ticks else None, detail=as_of_text,
                              expected=age)
