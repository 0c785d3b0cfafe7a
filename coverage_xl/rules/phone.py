"""Column 19 联系电话: a mobile or a landline; in-scope people should have one."""

from __future__ import annotations

from collections.abc import Iterator

from coverage_xl.findings import Finding
from coverage_xl.rules.base import Context
from coverage_xl.values import phone_ok


def check_phone(ctx: Context) -> Iterator[Finding]:
    if not ctx.present("phone"):
        return
    for i, raw in enumerate(ctx.column_values("phone")):
        if raw is None or raw == "" or (isinstance(raw, str) and not raw.strip()):
            if ctx.categories[i] == "in_scope":
                yield ctx.finding("phone.missing", i, "phone", None)
            continue
        if isinstance(raw, str) and len(raw) == 11 and raw.isdigit() and raw[0] == "1" and raw[1] in "3456789":
            continue  # the common case
        if not phone_ok(raw):
            yield ctx.finding("phone.format", i, "phone", raw)
