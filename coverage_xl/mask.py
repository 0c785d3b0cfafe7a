"""Masking of personal data (ID numbers, phones) wherever it leaves the workbook.

Logs, the console, notices and JSON reports show ``430981********123X`` and ``138****1234`` unless
the user asks for full values. Masking never raises: junk comes back masked by length.
"""

from __future__ import annotations

import re

_ID_LIKE = re.compile(r"(?<![0-9A-Za-z])(\d{6})(\d{8})(\d{3}[\dXx])(?![0-9A-Za-z])|(?<!\d)(\d{6})(\d{6})(\d{3})(?!\d)")
_MOBILE = re.compile(r"(?<!\d)(1\d{2})(\d{4})(\d{4})(?!\d)")


def mask_id(value: object) -> str:
    """430981196503151234 -> 430981********1234; short junk keeps only its first and last character."""
    s = "" if value is None else str(value)
    if len(s) >= 15:
        return s[:6] + "*" * (len(s) - 10) + s[-4:]
    if len(s) > 2:
        return s[0] + "*" * (len(s) - 2) + s[-1]
    return "*" * len(s)


def mask_phone(value: object) -> str:
    """13812341234 -> 138****1234; a landline keeps its area code and last 4 digits."""
    s = "" if value is None else str(value)
    digits = re.sub(r"\D", "", s)
    if len(digits) == 11 and digits.startswith("1"):
        return f"{digits[:3]}****{digits[-4:]}"
    if "-" in s and len(s.split("-", 1)[1]) > 4:
        area, local = s.split("-", 1)
        return f"{area}-{'*' * (len(local) - 4)}{local[-4:]}"
    if len(s) > 6:
        return re.sub(r"\d", "*", s[:-4]) + s[-4:]
    return "*" * len(s)


def mask_text(text: str) -> str:
    """Mask every ID-number-like and mobile-like digit run inside free text (log lines, messages)."""

    def _id(m: re.Match[str]) -> str:
        if m.group(1):
            return m.group(1) + "*" * 8 + m.group(3)[-4:].rjust(4, "*")
        return m.group(4) + "*" * 5 + (m.group(5)[-1:] + m.group(6))[-4:]

    text = _ID_LIKE.sub(_id, text)
    return _MOBILE.sub(lambda m: f"{m.group(1)}****{m.group(3)}", text)
