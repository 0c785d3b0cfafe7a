"""Column 18 是否愿意参保: required (是/否) for in-scope people, unexpected for the others."""

from __future__ import annotations

from collections.abc import Iterator

from coverage_xl.findings import Finding
from coverage_xl.rules.base import Context
from coverage_xl.values import Willing, parse_willing


def check_willing(ctx: Context) -> Iterator[Finding]:
    if not ctx.present("willing"):
        return
    fast = {"是": Willing.YES, "否": Willing.NO, "": Willing.EMPTY}
    for i, raw in enumerate(ctx.column_values("willing")):
        w = fast.get(raw) if raw.__class__ is str else None
        if w is None:
            w = parse_willing(raw)
        cat = ctx.categories[i]
        if w is Willing.INVALID:
            yield ctx.finding("willing.value", i, "willing", raw)
            continue
        if w is not Willing.EMPTY:
            ctx.willing[i] = w.value
        if cat == "in_scope" and w is Willing.EMPTY:
            yield ctx.finding("willing.missing", i, "willing", None)
        elif cat is not None and cat != "in_scope" and w is not Willing.EMPTY:
            yield ctx.finding("willing.unexpected", i, "willing", raw)
