"""Column 4 身份证号码: missing, stored as a number, format, birth date, checksum, region, duplicates.

Clean 18-character IDs — nearly all of them — are checked together with numpy (check character,
birth date, address code); anything that fails or looks unusual goes through :func:`idcard.check`,
which decides the exact finding. Both paths apply the same rules.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator

import numpy as np

from coverage_xl import idcard
from coverage_xl.findings import Finding
from coverage_xl.rules.base import Context

_VALID = {None, "id.region"}
_WEIGHTS = np.array([pow(2, 17 - i, 11) for i in range(17)], dtype=np.int64)
_CHECK_CHARS = np.frombuffer(b"10X98765432", dtype=np.uint8)
_DAYS = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)


_LAST = frozenset("0123456789X")


def fast_valid(ids: list[str], as_of: dt.date) -> np.ndarray:
    """For clean 18-character IDs: True where check character, birth date and address code are right."""
    a = np.frombuffer("".join(ids).encode("ascii"), dtype=np.uint8).reshape(-1, 18)
    d = a[:, :17].astype(np.int64) - 48
    ok = _CHECK_CHARS[(d @ _WEIGHTS) % 11] == a[:, 17]
    year = d[:, 6] * 1000 + d[:, 7] * 100 + d[:, 8] * 10 + d[:, 9]
    month = d[:, 10] * 10 + d[:, 11]
    day = d[:, 12] * 10 + d[:, 13]
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    mdays = _DAYS[np.clip(month - 1, 0, 11)] + ((month == 2) & leap)
    ok &= (month >= 1) & (month <= 12) & (day >= 1) & (day <= mdays)
    ymd = year * 10000 + month * 100 + day
    lo = idcard.EARLIEST_BIRTH
    ok &= (ymd >= lo.year * 10000 + lo.month * 100 + lo.day) & (ymd <= as_of.year * 10000 + as_of.month * 100 + as_of.day)
    codes = [s[:6] for s in ids]
    known = {c: idcard.region_existed(c) for c in set(codes)}
    ok &= np.fromiter((known[c] for c in codes), dtype=bool, count=len(codes))
    return ok


def check_ids(ctx: Context) -> Iterator[Finding]:
    if not ctx.present("id"):
        return
    values = ctx.column_values("id")
    clean = [i for i, raw in enumerate(values)
             if raw.__class__ is str and len(raw) == 18 and raw.isascii() and raw[:17].isdigit() and raw[17] in _LAST]
    good: set[int] = set()
    if clean:
        ids = [values[i] for i in clean]
        ok = fast_valid(ids, ctx.as_of)
        births: dict[str, dt.date] = {}
        for i, pid, fine in zip(clean, ids, ok.tolist(), strict=True):
            if fine:
                ymd = pid[6:14]
                born = births.get(ymd)
                if born is None:
                    born = births[ymd] = dt.date(int(ymd[:4]), int(ymd[4:6]), int(ymd[6:]))
                ctx.ids[i] = pid
                ctx.births[i] = born
                ctx.id_ok[i] = True
                good.add(i)
    as_of = ctx.as_of
    for i, raw in enumerate(values):
        if i in good:
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
        res = idcard.check(raw, as_of)
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
    counts = Counter(ctx.ids)
    dups = {k for k, n in counts.items() if n > 1 and k}
    if dups:
        rows: dict[str, list[int]] = {}
        for i, pid in enumerate(ctx.ids):
            if pid in dups:
                rows.setdefault(pid, []).append(i)
        for same in rows.values():
            where = "、".join(str(ctx.survey.row_numbers[j]) for j in same)
            for j in same:
                yield ctx.finding("id.duplicate", j, "id", values[j], detail=where)
