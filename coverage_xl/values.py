"""Parsers for the hand-typed cells of Annex 3: tick marks, 是/否, 出生年月, phone numbers.

Each takes a raw cell value (str, float, int, datetime, None — whatever the reader returns) and
never raises: it returns a parsed value or a sentinel that the rules turn into a finding.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from enum import Enum

TICK_MARKS = frozenset("√✓✔")
_SPACES = re.compile(r"[\s\u3000\u00a0\u200b\ufeff]+")


def clean_text(value: object) -> str:
    """Cell value as text: full-width folded to half-width (NFKC), all spaces removed.

    Numbers that are whole come back without ".0" (13812341234.0 → "13812341234")."""
    if value.__class__ is str:
        if value.isascii() and " " not in value and "\t" not in value and "\n" not in value and "\r" not in value:
            return value
    elif value is None:
        return ""
    if isinstance(value, float):
        if value != value:  # NaN
            return ""
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, bool):
        return str(value)
    s = str(value)
    if not s.isascii():
        s = unicodedata.normalize("NFKC", s)
    return _SPACES.sub("", s)


class Tick(Enum):
    EMPTY = "empty"
    TICK = "tick"
    TEXT = "text"  # something that is not a tick mark


def plain(value: object) -> object:
    """A pandas/numpy value as the plain Python value a cell, JSON or a template takes: missing (None,
    NaN, ``pd.NA``, ``NaT``) → None, numpy numbers → int/float, a pandas Timestamp → its date.
    pandas is only touched when the value comes from it, so this module does not import it.

    >>> import numpy as np, pandas as pd
    >>> [plain(v) for v in (np.int64(3), np.float64("nan"), pd.NA, pd.Timestamp("2020-09-30"), "x", 1.5)]
    [3, None, None, datetime.date(2020, 9, 30), 'x', 1.5]
    """
    if value is None:
        return None
    if value.__class__.__module__.startswith(("pandas", "numpy")):
        import pandas as pd

        if value is pd.NA or value is pd.NaT:
            return None
        if isinstance(value, pd.Timestamp):
            return value.date()
        if hasattr(value, "item"):
            value = value.item()
    if isinstance(value, float) and value != value:
        return None
    return value


def parse_tick(value: object) -> Tick:
    """√ ✓ ✔ are ticks; blank is empty; anything else is TEXT (a finding unless column 17)."""
    s = clean_text(value)
    if not s:
        return Tick.EMPTY
    if all(ch in TICK_MARKS for ch in s):
        return Tick.TICK
    return Tick.TEXT


class Willing(Enum):
    EMPTY = "empty"
    YES = "是"
    NO = "否"
    INVALID = "invalid"


def parse_willing(value: object) -> Willing:
    s = clean_text(value)
    if not s:
        return Willing.EMPTY
    if s == "是":
        return Willing.YES
    if s == "否":
        return Willing.NO
    return Willing.INVALID


# Excel day serials for 1908–2118: no year-month number (196503) or year.month (1965.03) falls here.
EXCEL_SERIAL_MIN, EXCEL_SERIAL_MAX = 3000, 80000  # 1908-03-18 … 2119-01-10: every date this campaign meets
EXCEL_EPOCH = dt.date(1899, 12, 30)  # serial 0 in Excel's 1900 system (its phantom 1900-02-29 included)
_DATE_TEXT = re.compile(r"\s*(\d{4})[-/.年]?(\d{1,2})[-/.月]?(\d{1,2})日?(?:[\sT]+\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?\s*")


def excel_date(value: object) -> dt.date | None:
    """The day an Excel serial number stands for (a date cell read as a number, or whose format was
    lost), or None outside ``EXCEL_SERIAL_MIN`` … ``EXCEL_SERIAL_MAX`` — a small number is a count or
    a year, not a date.

    >>> excel_date(44104), excel_date(44104.75), excel_date(2020), excel_date(True)
    (datetime.date(2020, 9, 30), datetime.date(2020, 9, 30), None, None)
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if not (EXCEL_SERIAL_MIN <= value <= EXCEL_SERIAL_MAX):  # also False for NaN
        return None
    return EXCEL_EPOCH + dt.timedelta(days=int(value))


def parse_date(value: object) -> dt.date | None:
    """A day from a cell or an option: a date, an Excel serial number, or text such as 2020-09-30,
    2020/9/30, 2020.9.30, 20200930, 2020年9月30日 (a time after it is ignored). None when unreadable.

    >>> parse_date("2020年9月30日"), parse_date(" 2020/9/30 08:00 "), parse_date("2020-02-30")
    (datetime.date(2020, 9, 30), datetime.date(2020, 9, 30), None)
    """
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float):
        return excel_date(value)
    if not isinstance(value, str):
        return None
    m = _DATE_TEXT.fullmatch(value)
    if not m:
        return None
    try:
        return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None

_YM_PATTERNS = (
    re.compile(r"^(\d{4})[.\-/年](\d{1,2})(?:月)?(?:[.\-/](\d{1,2})日?|(\d{1,2})日)?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})?$"),
)


def parse_birth_month(value: object) -> tuple[tuple[int, int], ...] | None:
    """Possible (year, month) readings of a 出生年月 cell, or None when it cannot be read.

    Accepts "1980.01", "1980-01", "1980/1", "198001", "19800115", "1980年1月", "1980年1月15日", real
    date cells, and numbers. A number such as 1980.1 is ambiguous — the clerk may have typed
    "1980.10" and Excel dropped the zero — so it yields both (1980, 1) and (1980, 10).
    """
    if value is None:
        return None
    if isinstance(value, dt.datetime | dt.date):
        return ((value.year, value.month),)
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        if not math.isfinite(value):
            return None
        day = excel_date(value)  # a date cell whose format hides it is a date
        if day is not None:
            return ((day.year, day.month),)
        if float(value).is_integer():
            return parse_birth_month(str(int(value)))
        text = f"{value:.2f}"
        year, frac = text.split(".")
        m2 = int(frac)
        readings = []
        if frac.endswith("0") and 1 <= m2 // 10 <= 9:
            readings.append((int(year), m2 // 10))
        if 1 <= m2 <= 12:
            readings.append((int(year), m2))
        return tuple(readings) or None
    s = clean_text(value)
    if not s:
        return None
    for pat in _YM_PATTERNS:
        m = pat.match(s)
        if m:
            y, mo = int(m.group(1)), int(m.group(2))
            if 1 <= mo <= 12 and 1880 <= y <= 2100:
                return ((y, mo),)
            return None
    return None


_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^(?:0\d{2,3}-?)?[2-9]\d{6,7}(?:-\d{1,6})?$")
_PHONE_SPLIT = re.compile(r"[/、,，;；]+")


def phone_ok(value: object) -> bool:
    """An 11-digit mobile (1[3-9]…) or a landline (optional 0xxx area code, 7–8 digits, extension).

    Several numbers separated by / 、 , ; are fine when each one is. "+86" and "86-" prefixes are
    accepted. Blank is not this function's business (see ``phone.missing``)."""
    s = clean_text(value).replace("(", "").replace(")", "").replace("（", "").replace("）", "")
    if not s:
        return True
    parts = [p for p in _PHONE_SPLIT.split(s) if p]
    if not parts:
        return False
    for p in parts:
        p = re.sub(r"^(\+?86-?)", "", p) if len(p) > 11 else p
        if not (_MOBILE.match(p) or _LANDLINE.match(p)):
            return False
    return True
