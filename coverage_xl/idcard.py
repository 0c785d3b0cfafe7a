"""Resident ID numbers (GB 11643-1999): normalise, check, convert 15 → 18 digits.

Follows python-stdnum's ``stdnum.cn.ric`` (the tests hold the check character to it). Its
``validate()`` is *not* used: it ties the address code to the birth year, and rejects a person born
in 1965 whose number carries 430981 (a code created in 1994) — yet that is normal here, because the
number records the county of first registration. So the address code is at most a warning, and only
for a code that never existed at any time (``id.region``). stdnum's table of address codes is kept
as ``data/county_codes.txt`` (a test holds it equal to stdnum's): loading stdnum's table cost about
0.1 s in every process that checks a file, more than checking a county's file. The check character
of one number is stdnum's ``iso7064.mod_11_2``, imported only when a number needs it; the fast path
that clears a whole column of clean numbers at once (``rules.ids``) is held to it by a property test.

>>> check("430981196503151236").code is None
True
>>> check("430981196503151230").code
'id.checksum'
>>> normalise("４３０９８１ 1965 0315 123ｘ")
'43098119650315123X'
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources

_SPACES = re.compile(r"[\s\u3000\u00a0\u200b\ufeff'’‘]+")
_ID18 = re.compile(r"^\d{17}[\dX]$")
_ID15 = re.compile(r"^\d{15}$")
EARLIEST_BIRTH = dt.date(1890, 1, 1)


def normalise(value: object) -> str:
    """Full-width to half-width, every kind of space removed, lowercase x to X.

    Used for the survey and for the registration/payment exports alike, so that an ID typed as
    "４３０９８１…ｘ" in one place matches "430981…X" in another.
    """
    if value is None:
        return ""
    s = str(value)
    if s.isascii():
        s = s.strip()
        if " " in s or "\t" in s or "'" in s:
            s = _SPACES.sub("", s)
    else:
        # NFKC twice: removing a space can leave a combining mark that composes anew
        s = unicodedata.normalize("NFKC", _SPACES.sub("", unicodedata.normalize("NFKC", s)))
        s = _SPACES.sub("", s)
    return s.replace("x", "X") if "x" in s else s


CHECK_CHARS = "10X98765432"  # ISO 7064 MOD 11-2: the check character, indexed by the weighted sum mod 11 (fast path)


def check_character(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character of the first 17 digits (python-stdnum's, as its ``cn.ric``).

    Imported here, not at the top: a file whose numbers all pass the fast path never loads stdnum."""
    from stdnum.iso7064 import mod_11_2

    return mod_11_2.calc_check_digit(first17)


def to18(id15: str) -> str:
    """Legacy 15-digit number (YYMMDD, no check character) → 18 digits: insert 19, add the check."""
    body = id15[:6] + "19" + id15[6:15]
    return body + check_character(body)


def birth_date(number: str) -> dt.date | None:
    """Birth date encoded in a normalised 18-digit (or 15-digit) number, or None if impossible."""
    if len(number) == 15:
        number = number[:6] + "19" + number[6:]
    try:
        return dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return None


def region_existed(code6: str) -> bool:
    """True when the 6-digit address code was a county code at any time (stdnum's region table)."""
    return code6 in county_codes()


@cache
def county_codes() -> frozenset[str]:
    """Every address code that was a county at any time, from ``data/county_codes.txt`` (python-stdnum's
    ``cn/loc`` table; tests/test_idcard.py holds the two together)."""
    text = resources.files("coverage_xl").joinpath("data/county_codes.txt").read_text(encoding="utf-8")
    codes: set[str] = set()
    for line in text.splitlines():
        if line and not line.startswith("#"):
            province, *counties = line.split()
            codes.update(province + c for c in counties)
    return frozenset(codes)


@dataclass(frozen=True)
class IdResult:
    """Outcome of checking one ID: the normalised value and, if any, the finding code with details."""

    normalised: str
    code: str | None = None
    expected: str = ""
    detail: str = ""
    birth: dt.date | None = None
    legacy: bool = False


def check(value: object, as_of: dt.date | None = None) -> IdResult:
    """Check one ID cell value (already known to be text). The first problem found wins.

    Order: missing → format → (15-digit: birth date, legacy) → birth date → checksum → region.
    """
    as_of = as_of or dt.date.today()
    s = normalise(value)
    if not s:
        return IdResult(s, "id.missing")
    if _ID15.match(s):
        born = birth_date(s)
        if born is None or born > as_of:
            return IdResult(s, "id.birthdate", detail=f"19{s[6:12]}")
        return IdResult(s, "id.legacy15", expected=to18(s), birth=born, legacy=True)
    if not _ID18.match(s):
        return IdResult(s, "id.format")
    born = birth_date(s)
    if born is None or born > as_of or born < EARLIEST_BIRTH:
        return IdResult(s, "id.birthdate", detail=s[6:14])
    expected = check_character(s[:17])
    if s[17] != expected:
        return IdResult(s, "id.checksum", expected=expected, birth=born)
    if not region_existed(s[:6]):
        return IdResult(s, "id.region", detail=s[:6], birth=born)
    return IdResult(s, None, birth=born)


def is_valid(value: object, as_of: dt.date | None = None) -> bool:
    """True when the number is a usable 18-digit ID (an unknown address code still counts as valid)."""
    r = check(value, as_of)
    return r.code in (None, "id.region")


def age_on(born: dt.date, day: dt.date) -> int:
    """Completed years of age on ``day``. Someone born on 29 February turns a year older on 1 March
    in a common year (the usual rule in Chinese administrative practice)."""
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def latest_birth_for_age(years: int, day: dt.date) -> dt.date:
    """The last birth date of someone at least ``years`` old on ``day``: ``age_on(b, day) >= years``
    exactly when ``b <= latest_birth_for_age(years, day)``. So a column of birth dates is compared
    with one date instead of computing each person's age."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # ``day`` is 29 February and that year is common: nobody was born on it
        return dt.date(day.year - years, 2, 28)
