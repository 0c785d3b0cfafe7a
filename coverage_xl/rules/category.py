"""Columns 7–17: in scope, or out of scope with exactly one reason.

√ ✓ ✔ are ticks. Column 17 (其他) holds a description, which counts as ticked. Anything else in a tick
column is ``category.value``; nothing ticked is ``category.none``; 属于 with a reason, or two reasons,
is ``category.conflict``. Rows with any of these are left without a category (not counted).
"""

from __future__ import annotations

from collections.abc import Iterator

from coverage_xl.findings import Finding
from coverage_xl.layout import ANNEX3, CATEGORY_KEYS, REASON_LABELS
from coverage_xl.rules.base import Context
from coverage_xl.values import Tick, clean_text, parse_tick

_INDEX = [ANNEX3.col(k) - 1 for k in CATEGORY_KEYS]
_LABEL = {"in_scope": "属于覆盖范围", **REASON_LABELS}
_TICKS = {"√", "✓", "✔"}


def check_category(ctx: Context) -> Iterator[Finding]:
    present = [ctx.present(k) for k in CATEGORY_KEYS]
    if not any(present):
        return
    all_present = all(present)
    first, last = _INDEX[0], _INDEX[-1] + 1
    contiguous = _INDEX == list(range(first, last))
    for i, row in enumerate(ctx.survey.rows):
        if all_present and contiguous:  # the common case: one "√" and ten blanks, decided in C
            vals = row[first:last]
            if vals.count("") == len(vals) - 1:
                for mark in _TICKS:
                    if mark in vals:
                        k = vals.index(mark)
                        if k != len(vals) - 1:
                            ctx.categories[i] = CATEGORY_KEYS[k]
                        break
                else:
                    mark = None
                if mark is not None and ctx.categories[i] is not None:
                    continue
        ticked: list[str] = []
        bad = False
        for key, idx, here in zip(CATEGORY_KEYS, _INDEX, present, strict=True):
            v = row[idx]
            if not here or v is None or v == "":
                continue
            if v in _TICKS:  # the common case, without parsing
                ticked.append(key)
                continue
            t = parse_tick(v)
            if t is Tick.EMPTY:
                continue
            if t is Tick.TICK:
                ticked.append(key)
            elif key == "other":
                ticked.append(key)
                ctx.other_text[i] = clean_text(v)
            else:
                bad = True
                yield ctx.finding("category.value", i, key, v)
        if bad:
            continue
        if not ticked:
            yield ctx.finding("category.none", i, "in_scope", None)
        elif len(ticked) > 1:
            names = "、".join(f"“{_LABEL[k]}”" for k in ticked)
            yield ctx.finding("category.conflict", i, ticked[1], row[_INDEX[CATEGORY_KEYS.index(ticked[1])]], detail=names)
        else:
            ctx.categories[i] = ticked[0]
            if ticked[0] == "other" and not ctx.other_text[i]:
                yield ctx.finding("category.other_detail", i, "other", row[_INDEX[-1]])
