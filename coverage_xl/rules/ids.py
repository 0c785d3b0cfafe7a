"""Column 4 身份证号码: missing, stored as a number, format, birth date, checksum, region, duplicates."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator

from coverage_xl import idcard
from coverage_xl.findings import Finding
from coverage_xl.layout import ANNEX3
from coverage_xl.rules.base import Context

_VALID = {None, "id.region"}
ID_INDEX = ANNEX3.col("id") - 1


def check_ids(ctx: Context) -> Iterator[Finding]:
    if not ctx.present("id"):
        return
    seen: dict[str, list[int]] = defaultdict(list)
    dates: dict[str, dt.date | None] = {}
    as_of = ctx.as_of
    for i, raw in enumerate(ctx.column_values("id")):
        # Fast path for a clean 18-character text ID: same checks as idcard.check, fewer calls.
        if raw.__class__ is str and len(raw) == 18 and raw[:17].isdigit() and (raw[17].isdigit() or raw[17] == "X"):
            ymd = raw[6:14]
            born = dates.get(ymd, False)
            if born is False:
                born = idcard.birth_date(raw)
                dates[ymd] = born
            if born is not None and idcard.EARLIEST_BIRTH <= born <= as_of and \
                    raw[17] == idcard.check_character(raw[:17]) and idcard.region_existed(raw[:6]):
                ctx.ids[i] = raw
                ctx.births[i] = born
                ctx.id_ok[i] = True
                seen[raw].append(i)
                continue
        if isinstance(raw, int | float) and not isinstance(raw, bool):
            if not (float(raw).is_integer() and 10**14 <= raw < 10**15):
                yield ctx.finding("id.numeric", i, "id", raw)
                continue
            raw = str(int(raw))  # a 15-digit legacy number survives as a number: check it as text
        if raw is None or raw == "":
            yield ctx.finding("id.missing", i, "id", None)
            continue
        if not isinstance(raw, str):  # a date or time cell in the ID column
            yield ctx.finding("id.format", i, "id", raw)
            continue
        res = idcard.check(raw, ctx.as_of)
        if res.normalised != raw and res.normalised:
            yield ctx.finding("id.normalised", i, "id", raw, expected=res.normalised)
        if res.code == "id.legacy15":
            yield ctx.finding("id.legacy15", i, "id", raw, expected=res.expected)
            ctx.ids[i] = res.expected
            ctx.births[i] = res.birth
            ctx.id_ok[i] = True
        elif res.code in _VALID:
            if res.code:
                yield ctx.finding(res.code, i, "id", raw, detail=res.detail)
            ctx.ids[i] = res.normalised
            ctx.births[i] = res.birth
            ctx.id_ok[i] = True
        else:
            yield ctx.finding(res.code, i, "id", raw, expected=res.expected, detail=res.detail)
            ctx.ids[i] = res.normalised
            ctx.births[i] = res.birth  # a wrong check character still leaves a readable birth date
        if ctx.ids[i]:
            seen[ctx.ids[i]].append(i)
    for rows in seen.values():
        if len(rows) > 1:
            where = "、".join(str(ctx.survey.row_numbers[j]) for j in rows)
            for j in rows:
                yield ctx.finding("id.duplicate", j, "id", ctx.survey.rows[j][ID_INDEX], detail=where)
