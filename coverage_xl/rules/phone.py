"""Column 19 联系电话: a mobile or a landline; in-scope people should have one."""

from __future__ import annotations

from collections.abc import Iterator

from coverage_xl.findings import Finding
from coverage_xl.rules.base import Context
from coverage_xl.values import phone_ok

_MOBILE_2ND = frozenset("3456789")


def check_phone(ctx: Context) -> Iterator[Finding]:
    if not ctx.present("phone"):
        return
    values = ctx.column_values("phone")
    # Only cells that are not a plain 11-digit mobile need a closer look.
    suspects = [i for i, raw in enumerate(values)
                if not (raw.__class__ is str and len(raw) == 11 and raw.isdigit() and raw[0] == "1" and raw[1] in _MOBILE_2ND)]
    for i in suspects:
        raw = values[i]
        if raw is None or raw == "" or (isinstance(raw, str) and not raw.strip()):
            if ctx.categories[i] == "in_scope":
                yield ctx.finding("phone.missing", i, "phone", None)
            continue
        if not phone_ok(raw):
            yield ctx.finding("phone.format", i, "phone", raw)
