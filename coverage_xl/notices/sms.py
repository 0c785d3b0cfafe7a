"""SMS send lists (缴费提醒, 到龄提醒) as CSV for the bureau's SMS platform and for Excel.

- UTF-8 with a BOM (``utf-8-sig``) so that Excel on Windows shows the Chinese instead of mojibake.
- Columns 电话, 姓名, 短信内容, 字数, 是否超长: one SMS holds 70 characters when it contains Chinese
  (UCS-2 encoding), so a longer text is flagged rather than silently split into several messages.
- Formula injection (OWASP "CSV Injection"): a cell starting with ``= + - @`` (or tab / carriage
  return) is prefixed with an apostrophe by the one CSV writer (:mod:`coverage_xl.spreadsheet_text`), and every cell is quoted, so a name typed as
  ``=HYPERLINK(...)`` in a unit's sheet is shown as text when the CSV is opened in Excel or WPS.
- Only mobile numbers can receive an SMS: a person with no mobile number is left out and counted.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from coverage_xl import guard
from coverage_xl.notices.context import birthday, chinese_date, registered_unpaid, turning_60
from coverage_xl.notices.render import text_renderer
from coverage_xl.spreadsheet_text import csv_writer

SMS_COLUMNS = ("电话", "姓名", "短信内容", "字数", "是否超长")
SMS_LIMIT = 70
"""Characters in one SMS when the text contains Chinese (UCS-2: 140 bytes / 2)."""
SIGNATURE = "沅江市人社局"
"""The sender name SMS templates put in 【】 (``signature`` in the context)."""

_MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


def first_mobile(value: object) -> str:
    """The first 11-digit mobile number in a phone cell ("0737-1234567/13812341234" -> 13812341234)."""
    s = re.sub(r"[\s\-]", "", "" if value is None else str(value))
    s = re.sub(r"^(\+?86)", "", s)
    m = _MOBILE.search(s)
    return m.group(0) if m else ""


@dataclass(frozen=True)
class SmsRow:
    phone: str
    name: str
    text: str
    unit: str = ""

    @property
    def length(self) -> int:
        return len(self.text)

    @property
    def too_long(self) -> bool:
        return self.length > SMS_LIMIT


@dataclass
class SmsList:
    """Rows to send and the people left out (no mobile number), for the CLI summary."""

    rows: list[SmsRow] = field(default_factory=list)
    no_mobile: int = 0
    duplicates: int = 0

    @property
    def too_long(self) -> int:
        return sum(r.too_long for r in self.rows)


def _text(v: Any) -> str:
    return "" if v is None or (isinstance(v, float) and v != v) else str(v)


def build_sms(people: pd.DataFrame, template: Path, context: Callable[[Mapping[str, Any]], dict[str, Any]]) -> SmsList:
    """One SMS per person with a mobile number; the same ID number (listed twice) gets one SMS."""
    out = SmsList()
    seen: set[str] = set()
    render = text_renderer(template)
    for p in people.to_dict("records"):
        key = _text(p.get("match_id") or p.get("id")) or f"{p.get('name')}|{p.get('phone')}"
        if key in seen:
            out.duplicates += 1
            continue
        seen.add(key)
        phone = first_mobile(p.get("phone"))
        if not phone:
            out.no_mobile += 1
            continue
        text = render(context(p))
        out.rows.append(SmsRow(phone, _text(p.get("name")), text, _text(p.get("unit"))))
    return out


def base_context(p: Mapping[str, Any], as_of: dt.date) -> dict[str, Any]:
    """Keys every SMS template receives (documented in docs/notices.md)."""
    return {
        "name": _text(p.get("name")),
        "unit": _text(p.get("unit")),
        "year": str(as_of.year),
        "date": chinese_date(as_of),
        "signature": SIGNATURE,
    }


def payment_reminders(people: pd.DataFrame, as_of: dt.date, template: Path) -> SmsList:
    """缴费提醒: in-scope people registered without a counted payment."""
    return build_sms(registered_unpaid(people), template, lambda p: base_context(p, as_of))


def turning60_context(p: Mapping[str, Any], as_of: dt.date) -> dict[str, Any]:
    """The 到龄提醒 context: :func:`base_context` plus birthday60, registered, paid."""
    c = base_context(p, as_of)
    reg, paid = p.get("registered"), p.get("paid")
    c.update(birthday60=chinese_date(birthday(p["birth"], 60)),
             registered=bool(reg) if reg is not None and reg == reg else False,
             paid=bool(paid) if paid is not None and paid == paid else False)
    return c


def turning60_reminders(people: pd.DataFrame, as_of: dt.date, template: Path, months: int = 3) -> SmsList:
    """到龄提醒: in-scope people whose 60th birthday falls within ``months`` months after ``as_of``."""
    return build_sms(turning_60(people, as_of, months), template, lambda p: turning60_context(p, as_of))


def sms_csv_bytes(rows: list[SmsRow]) -> bytes:
    """The CSV as bytes: BOM, quoted cells, CRLF line ends (what Excel expects)."""
    buf = io.StringIO()
    w = csv_writer(buf, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    w.writerow(SMS_COLUMNS)
    for r in rows:
        w.writerow([r.phone, r.name, r.text, r.length, "是" if r.too_long else "否"])
    return buf.getvalue().encode("utf-8-sig")


def write_sms_csv(rows: list[SmsRow], path: str | Path) -> Path:
    """Write the send list atomically (a CSV open in Excel is reported, not half-written)."""
    return guard.write_bytes(path, sms_csv_bytes(rows), kind="notices")
