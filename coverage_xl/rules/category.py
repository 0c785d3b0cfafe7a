"""Columns 7–17: in scope, or out of scope with exactly one reason.

√ ✓ ✔ are ticks. Column 17 (其他) holds a description, which counts as ticked. Anything else in a tick
column is ``category.value``; nothing ticked is ``category.none``; 属于 with a reason, or two reasons,
is ``category.conflict``. Rows with any of these are left without a category (not counted).

Rows repeat a handful of patterns (one "√" and ten blanks), so each distinct pattern of the eleven
cells is judged once and the verdict reused.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from coverage_xl.findings import Finding
from coverage_xl.layout import ANNEX3, CATEGORY_KEYS, REASON_LABELS
from coverage_xl.rules.base import Context
from coverage_xl.values import Tick, clean_text, parse_tick

_LABEL = {"in_scope": "属于覆盖范围", **REASON_LABELS}
_OTHER = len(CATEGORY_KEYS) - 1

# A verdict: (category or None, other_text, [(code, position in the pattern, extra details)])
Verdict = tuple[str | None, str, list[tuple[str, int, dict[str, Any]]]]


def judge(cells: tuple[Any, ...], present: tuple[bool, ...]) -> Verdict:
    """The category of one row from its eleven cells (in scope, then the ten reasons)."""
    ticked: list[int] = []
    problems: list[tuple[str, int, dict[str, Any]]] = []
    other_text = ""
    for k, (v, here) in enumerate(zip(cells, present, strict=True)):
        if not here or v is None or v == "":
            continue
        t = parse_tick(v)
        if t is Tick.EMPTY:
            continue
        if t is Tick.TICK:
            ticked.append(k)
        elif k == _OTHER:
            ticked.append(k)
            other_text = clean_text(v)
        else:
            problems.append(("category.value", k, {}))
    if problems:
        return None, other_text, problems
    if not ticked:
        return None, other_text, [("category.none", 0, {})]
    if len(ticked) > 1:
        names = "、".join(f"“{_LABEL[CATEGORY_KEYS[k]]}”" for k in ticked)
        return None, other_text, [("category.conflict", ticked[1], {"detail": names})]
    key = CATEGORY_KEYS[ticked[0]]
    if key == "other" and not other_text:
        return key, "", [("category.other_detail", _OTHER, {})]
    return key, other_text, []


def check_category(ctx: Context) -> Iterator[Finding]:
    present = tuple(ctx.present(k) for k in CATEGORY_KEYS)
    if not any(present):
        return
    first = ANNEX3.col(CATEGORY_KEYS[0]) - 1
    patterns = zip(*ctx.columns[first : first + len(CATEGORY_KEYS)], strict=True)
    verdicts: dict[tuple[Any, ...], Verdict] = {}
    categories, other_text = ctx.categories, ctx.other_text
    for i, cells in enumerate(patterns):
        try:
            verdict = verdicts.get(cells)
        except TypeError:  # an unhashable cell value: judge it directly
            verdict = None
        if verdict is None:
            verdict = judge(cells, present)
            if len(verdicts) < 4096:
                try:
                    verdicts[cells] = verdict
                except TypeError:
                    pass
        categories[i], other_text[i], problems = verdict
        for code, k, details in problems:
            key = CATEGORY_KEYS[k]
            value = None if code == "category.none" else cells[k]
            yield ctx.finding(code, i, key, value, **details)
