"""Column 4 身份证号码: missing, stored as a number, format, birth date, checksum, region, duplicates.

Clean 18-character IDs — nearly all of them — take a short path (:func:`fast_births`) that checks
the check character, the birth date and the address code; anything that fails or looks unusual goes
through :func:`idcard.check`, which decides the exact finding. Both paths apply the same rules (a
property test holds them together).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator, Sequence
from operator import itemgetter
from typing import Any

from coverage_xl import idcard
from coverage_xl.findings import Finding
from coverage_xl.rules.base import Context

_VALID = {None, "id.region"}
_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))  # ISO 7064 MOD 11-2
_CHECK_CHARS = "10X98765432"
_REGION, _YMD, _SEQ, _LAST = itemgetter(slice(0, 6)), itemgetter(slice(6, 14)), itemgetter(slice(14, 17)), itemgetter(17)


def _weighted(digits: str, first: int) -> int:
    return sum(int(ch) * _WEIGHTS[first + k] for k, ch in enumerate(digits))


def _digits(part: str) -> bool:
    return part.isascii() and part.isdigit()


def fast_births(values: Sequence[Any], as_of: dt.date) -> list[dt.date | None]:
    """For each cell value: its birth date when it is a clean, usable 18-character ID (ASCII digits,
    check character right, birth date between :data:`idcard.EARLIEST_BIRTH` and ``as_of``, an address
    code that existed), None for anything else (left to :func:`idcard.check`).

    Plain Python, no numpy (whose import alone costs a clerk's ``validate`` call more than this saves),
    and no Python-level work per character: the check character's weighted sum splits into address
    code, birth date and sequence number, and each part is judged once per distinct value — a
    county's file holds a few address codes, some thousands of birth dates and at most a thousand
    sequence numbers. The slicing and the look-ups per row run in C (``map``)."""
    out: list[dt.date | None] = [None] * len(values)
    rows = [i for i, v in enumerate(values) if v.__class__ is str and len(v) == 18]
    if not rows:
        return out
    ids = [values[i] for i in rows]
    codes, ymds, seqs = list(map(_REGION, ids)), list(map(_YMD, ids)), list(map(_SEQ, ids))
    region_sum = {c: _weighted(c, 0) if _digits(c) and idcard.region_existed(c) else None for c in set(codes)}
    seq_sum = {s: _weighted(s, 14) if _digits(s) else None for s in set(seqs)}
    births = _birth_parts(set(ymds), as_of)
    check = _CHECK_CHARS
    for i, last, r, b, s in zip(rows, map(_LAST, ids), map(region_sum.__getitem__, codes),
                                map(births.__getitem__, ymds), map(seq_sum.__getitem__, seqs), strict=True):
        if r is not None and b is not None and s is not None and check[(r + b[0] + s) % 11] == last:
            out[i] = b[1]
    return out


def _birth_parts(ymds: set[str], as_of: dt.date) -> dict[str, tuple[int, dt.date] | None]:
    """For each distinct YYYYMMDD: (its weighted sum, the date) when it is a possible birth date."""
    earliest = idcard.EARLIEST_BIRTH
    years: dict[str, int] = {}
    days: dict[str, int] = {}
    out: dict[str, tuple[int, dt.date] | None] = {}
    for ymd in ymds:
        out[ymd] = None
        if not _digits(ymd):
            continue
        try:
            born = dt.date.fromisoformat(ymd)  # YYYYMMDD (ASCII digits only, checked above)
        except ValueError:
            continue
        if earliest <= born <= as_of:
            y, md = ymd[:4], ymd[4:]
            wy = years.get(y)
            if wy is None:
                wy = years[y] = _weighted(y, 6)
            wd = days.get(md)
            if wd is None:
                wd = days[md] = _weighted(md, 10)
            out[ymd] = (wy + wd, born)
    return out


def check_ids(ctx: Context) -> Iterator[Finding]:
    if not ctx.present("id"):
        return
    values = ctx.column_values("id")
    births = fast_births(values, ctx.as_of)
    ctx.births = births  # one entry per row; the rows left to idcard.check are filled in below
    ctx.ids = [v if b is not None else "" for v, b in zip(values, births, strict=True)]
    ctx.id_ok = [b is not None for b in births]
    as_of = ctx.as_of
    for i in [i for i, b in enumerate(births) if b is None]:
        raw = values[i]
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
