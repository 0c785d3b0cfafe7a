"""Column 18 是否愿意参保: required (是/否) for in-scope people, unexpected for the others."""

from __future__ import annotations

from collections.abc import Iterator

from coverage_xl.findings import Finding
from coverage_xl.rules.base import Context
from coverage_xl.values import Willing, parse_willing


def check_willing(ctx: Context) -> Iterator[Finding]:
    if not ctx.present("willing"):
        return
    values = ctx.column_values("willing")
    cats = ctx.categories
    # ctx.willing: '是'/'否' where given; the loop below only visits cells that may be a finding.
    ctx.willing[:] = [v if v == "是" or v == "否" else "" for v in values]
    suspects = [i for i, (v, c) in enumerate(zip(values, cats, strict=True))
                if not ((v == "是" or v == "否") and c == "in_scope") and not (v == "" and c != "in_scope")]
    for i in suspects:
        raw = values[i]
        w = parse_willing(raw)
        cat = cats[i]
        if w is Willing.INVALID:
            yield ctx.finding("willing.value", i, "willing", raw)
            continue
        if w is not Willing.EMPTY:
            ctx.willing[i] = w.value
        if cat == "in_scope" and w is Willing.EMPTY:
            yield ctx.finding("willing.missing", i, "willing", None)
        elif cat is not None and cat != "in_scope" and w is not Willing.EMPTY:
            yield ctx.finding("willing.unexpected", i, "willing", raw)
