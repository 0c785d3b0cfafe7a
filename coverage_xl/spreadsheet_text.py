"""Text that a spreadsheet could take for a formula, and how every output keeps it text.

Town-supplied text (names, addresses, 备注, file and sheet names, finding values) ends up in
workbooks and CSV files that go back to the towns. Excel, WPS and LibreOffice treat an entry that
starts with ``=``, ``+``, ``-`` or ``@`` as a formula (OWASP "CSV Injection"), also after a leading
tab or carriage return, and an Asian-language Excel accepts the full-width ``＝＋－＠`` as well.

Two outputs, two mechanisms, one test of what is dangerous (:func:`looks_like_formula`):

* **xlsx** (:mod:`coverage_xl.sheets.cells`): the text is kept exactly and stored as a string cell
  (never a formula, never an error value such as ``#N/A``); a formula-like text also gets Excel's
  quote prefix (``quotePrefix``), so that editing the cell later does not turn it into a formula.
  The clerk sees the original text, without an added apostrophe.
* **CSV** (:func:`csv_field`, :func:`csv_writer`): a CSV cell has no type, so a formula-like text is
  prefixed with an apostrophe, as OWASP advises; Excel shows the apostrophe, which is the price of
  the file being safe to open.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import IO, Any

FORMULA_STARTS = frozenset("=+-@＝＋－＠")
"""First characters (after leading white space) that make a spreadsheet evaluate an entry."""
CONTROL_STARTS = ("\t", "\r", "\n")
"""A leading tab, CR or LF is dangerous by itself (OWASP): some importers strip it, then evaluate."""
_LEADING_SPACE = " \t\r\n\u3000\u00a0"

_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
"""Characters XML 1.0 (and so xlsx and docx) cannot hold; openpyxl refuses them."""
REPLACEMENT = "\ufffd"
MAX_CELL_TEXT = 32767
"""Excel's limit for the text of one cell."""


def looks_like_formula(text: object) -> bool:
    """True when a spreadsheet could evaluate ``text`` if it were typed or imported as is.

    >>> [looks_like_formula(s) for s in ("=1+1", "+1", "-2+3", "@SUM(A1)", "\\t=1", " =1", "张三", "a=b")]
    [True, True, True, True, True, True, False, False]
    """
    if not isinstance(text, str) or not text:
        return False
    if text.startswith(CONTROL_STARTS):
        return True
    stripped = text.lstrip(_LEADING_SPACE)
    return bool(stripped) and stripped[0] in FORMULA_STARTS


def cell_text(text: str) -> str:
    """``text`` as a worksheet can hold it: characters XML cannot carry become U+FFFD (a visible
    mark instead of a crash or a silent loss), and it is cut at Excel's 32,767 characters."""
    if _ILLEGAL.search(text):
        text = _ILLEGAL.sub(REPLACEMENT, text)
    return text[:MAX_CELL_TEXT]


def csv_field(value: object) -> str:
    """A CSV cell that no spreadsheet will run as a formula (OWASP: prefix with an apostrophe).

    >>> csv_field('=HYPERLINK("http://x","y")'), csv_field("张三"), csv_field(None), csv_field(12)
    ('\\'=HYPERLINK("http://x","y")', '张三', '', '12')
    """
    if value is None:
        return ""
    if not isinstance(value, str):  # a number written by the tool itself (-3 is a number, not a formula)
        return str(value)
    return "'" + value if looks_like_formula(value) else value


class SafeCsvWriter:
    """:func:`csv.writer` whose every cell goes through :func:`csv_field`."""

    def __init__(self, fh: IO[str], **fmtparams: Any) -> None:
        self._writer = csv.writer(fh, **fmtparams)

    def writerow(self, row: Iterable[object]) -> Any:
        return self._writer.writerow([csv_field(v) for v in row])

    def writerows(self, rows: Iterable[Iterable[object]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(fh: IO[str], **fmtparams: Any) -> SafeCsvWriter:
    """The one CSV writer of the tool's outputs (same arguments as :func:`csv.writer`)."""
    return SafeCsvWriter(fh, **fmtparams)
