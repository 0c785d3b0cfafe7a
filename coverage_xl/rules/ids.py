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
from itertools import compress, repeat
from operator import and_, eq, is_not, itemgetter, mod
from typing import Any

from coverage_xl import idcard
from coverage_xl.findings import Finding
from coverage_xl.rules.base import Context

_VALID = {None, "id.region"}
# The MOD 11-2 weights are 2^(17-i) mod 11, and 13 ≡ 2 (mod 11): the first 17 digits read as a base-13
# number, doubled, give the weighted sum mod 11. int(text, 13) does that in C.
_CHECK_OF_BASE13 = "".join(idcard.CHECK_CHARS[2 * k % 11] for k in range(11))
_REGION, _YMD, _SEQ, _FIRST17, _LAST = (itemgetter(slice(0, 6)), itemgetter(slice(6, 14)), itemgetter(slice(14, 17)),
                                        itemgetter(slice(0, 17)), itemgetter(17))


def _digits(part: str) -> bool:
    return part.isascii() and part.isdigit()


def fast_births(values: Sequence[Any], as_of: dt.date) -> list[dt.date | None]:
    """For each cell value: its birth date when it is a clean, usable 18-character ID (ASCII digits,
    check character right, birth date between :data:`idcard.EARLIEST_BIRTH` and ``as_of``, an address
    code that existed), None for anything else (left to :func:`idcard.check`).

    Plain Python, no numpy (whose import alone costs a clerk's ``validate`` call more than this saves),
    and nothing done in Python per character or per row: address code, birth date and sequence number
    are judged once per distinct value (a county's file holds a few address codes, some thousands of
    birth dates, at most a thousand sequence numbers), and the per-row slicing, look-ups and check
    character run in C through ``map`` and ``compress``."""
    out: list[dt.date | None] = [None] * len(values)
    rows = [i for i, v in enumerate(values) if v.__class__ is str and len(v) == 18]
    if not rows:
        return out
    ids = [values[i] for i in rows]
    ymds = list(map(_YMD, ids))
    regions = {c: _digits(c) and idcard.region_existed(c) for c in set(map(_REGION, ids))}
    seqs = {s: _digits(s) for s in set(map(_SEQ, ids))}
    births = _possible_births(set(ymds), as_of)
    born_of = list(map(births.__getitem__, ymds))
    ok = list(map(and_, map(and_, map(regions.__getitem__, map(_REGION, ids)), map(seqs.__getitem__, map(_SEQ, ids))),
                  map(is_not, born_of, repeat(None))))
    usable = list(compress(ids, ok))  # their first 17 characters are ASCII digits: int() cannot fail
    right = map(eq, map(_CHECK_OF_BASE13.__getitem__, map(mod, map(int, map(_FIRST17, usable), repeat(13)), repeat(11))),
                map(_LAST, usable))
    for i, born in compress(zip(compress(rows, ok), compress(born_of, ok), strict=True), right):
        out[i] = born
    return out


def _possible_births(ymds: set[str], as_of: dt.date) -> dict[str, dt.date | None]:
    """Each distinct YYYYMMDD: its date when it is a real date between the earliest birth and ``as_of``."""
    earliest = idcard.EARLIEST_BIRTH
    out: dict[str, dt.date | None] = {}
    for ymd in ymds:
        born = None
        if ymd.isascii() and ymd.isdigit():
            try:
                born = dt.date.fromisoformat(ymd)  # YYYYMMDD
            except ValueError:
                pass
            if born is not None and not earliest <= born <= as_of:
                born = None
        out[ymd] = born
    return out


def check_ids(ctx: Context) -> Iterator[Finding]:
    if not ctx.present("id"):
        return
    values = ctx.column_values("id")
    births = fast_births(values, ctx.as_of)
    rest = [i for i, b in enumerate(births) if b is None]  # left to idcard.check, filled in below
    ctx.births = births
    ctx.id_ok = list(map(is_not, births, repeat(None)))
    ctx.ids = list(values)
    for i in rest:
        ctx.ids[i] = ""
    as_of = ctx.as_of
    for i in rest:
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
