"""Read the registration and payment exports (数据比对) the dispatch table is matched against.

The pension business system exports who is registered (参保登记); the tax bureau exports who has
paid (缴费). They arrive as xlsx, xls (sometimes split over several sheets at 65,536 rows) or CSV,
and CSV from government systems is usually GBK/GB18030, sometimes UTF-8 with a BOM. Nothing about
them is fixed except that a person is keyed by the ID number, so every column is found by its header:

- the ID column: 公民身份号码, 身份证号码, 证件号码, 身份证号 … (:data:`ID_HEADERS`, first match wins);
- the payment year: 缴费年度 (or 所属年度 …), else the year of 缴费日期 / 缴费时间 (a date cell, text such
  as 2020-08-15 or 2020年8月15日, or a number such as 20200815 or 202008);
- the amount: 实缴金额, 缴费金额, 金额 ….

IDs are normalised with :func:`coverage_xl.idcard.normalise` (the validator's rule: full-width digits,
spaces, lowercase x) and legacy 15-digit numbers are turned into 18 digits, so the same person matches
however each system typed the number. Each export is read once; the result is a small DataFrame.

A file that cannot be used raises :class:`ExportError` whose Chinese message names the file.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from coverage_xl import idcard
from coverage_xl.errors import InputError
from coverage_xl.layout import header_key
from coverage_xl.tables import CSV_SUFFIXES, ID_HEADERS, TableError, raw_sheets

REGISTRATION = "registration"
PAYMENT = "payment"
KIND_LABELS = {REGISTRATION: "参保登记", PAYMENT: "缴费"}

# Header texts, most specific first. Compared after header_key() (no spaces, full-width brackets).
YEAR_HEADERS: tuple[str, ...] = ("缴费年度", "所属年度", "费款所属年度", "缴费年份", "征收年度", "参保年度", "年度")
DATE_HEADERS: tuple[str, ...] = (
    "缴费日期", "缴费时间", "入账日期", "到账日期", "征收日期", "实缴日期", "缴款日期", "费款所属期",
)
AMOUNT_HEADERS: tuple[str, ...] = (
    "实缴金额", "缴费金额", "个人缴费金额", "实缴金额合计", "缴费额", "个人缴费", "金额", "缴费金额（元）",
    "金额（元）", "实缴金额（元）",
)
HEADER_SCAN_ROWS = 20  # the header must be within the first rows (a title or date line may come first)
SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods")
TEXT_SUFFIXES = CSV_SUFFIXES

_NUM_RE = re.compile(r"[-+]?\d[\d,]*(?:\.\d+)?|[-+]?\.\d+")
_YEAR_IN_TEXT = re.compile(r"(?<!\d)((?:19|20)\d{2})(?:\d{2,4})?(?!\d)|(?<!\d)((?:19|20)\d{2})\s*[-/.年]")
_EXCEL_EPOCH = dt.date(1899, 12, 30)


class ExportError(InputError):
    """An export file cannot be used; the message (Chinese) names the file and says why."""

    def __init__(self, path: Path, kind: str, reason: str) -> None:
        self.path = Path(path)
        self.kind = kind
        self.reason = reason
        super().__init__(f"{KIND_LABELS.get(kind, '')}导出文件“{self.path.name}”无法使用：{reason}")


@dataclass
class ExportFile:
    """One export as read: a frame of (id, year, amount) rows and what was found on the way.

    ``frame`` columns: ``id`` (match key: normalised, 15→18 digits; '' when blank), ``valid`` (an
    18-digit shaped number), and for payments ``year`` (Int64, <NA> when unknown) and ``amount``
    (float, NaN when unknown)."""

    path: Path
    kind: str
    frame: pd.DataFrame
    sheets: list[str] = field(default_factory=list)
    encoding: str | None = None  # CSV only
    id_header: str = ""
    year_header: str = ""
    amount_header: str = ""
    warnings: list[str] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return len(self.frame)

    @property
    def blank_ids(self) -> int:
        return int((self.frame["id"] == "").sum())

    @property
    def bad_ids(self) -> int:
        """Rows whose ID is not an 18-character ID shape (e.g. a number Excel rounded to 15 digits)."""
        return int(((self.frame["id"] != "") & ~self.frame["valid"]).sum())


# --------------------------------------------------------------------------- cell parsing


_ID_SHAPE = re.compile(r"^\d{17}[\dX]$")
_CHECK_CHARS = frozenset("0123456789X")


def match_key(value: object) -> str:
    """The key a person is matched by: the validator's normalisation, legacy 15 → 18 digits.

    A number cell is taken at its integer value (a 15-digit legacy ID survives a number cell); an
    18-digit one has lost its last digits (Excel keeps 15), so it gets a key that matches nobody and
    counts as a bad ID."""
    if type(value) is str and len(value) == 18 and value.isascii() and value[:17].isdigit() \
            and value[17] in _CHECK_CHARS:
        return value  # the common case: already clean
    if value is None or isinstance(value, bool):
        return ""
    if isinstance(value, float):
        if value != value:  # NaN
            return ""
        if abs(value) >= 1e15:  # an 18-digit ID typed into a number cell: digits lost, match nobody
            return f"{value:.0f}#"
        value = int(value) if value.is_integer() else value
    s = idcard.normalise(value)
    if s.startswith("=") or s.startswith('"'):  # ="430981…" and "430981…" from CSV exports
        s = s.lstrip("=").strip('"')
    if len(s) == 15 and s.isdigit():
        return idcard.to18(s)
    return s




def parse_year(value: object) -> int | None:
    """The year of a 缴费年度 or 缴费日期 cell: 2020, 2020.0, '2020', '2020年度', a date, '2020-08-15',
    '2020/8/15 10:20', '2020年8月15日', 20200815, 202008, or an Excel serial date number."""
    t = type(value)
    if t is dt.date or t is dt.datetime:
        return value.year
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime | dt.date):
        return value.year
    if isinstance(value, bool):
        return None
    if t is float and 1900 <= value <= 2100 and value.is_integer():
        return int(value)
    if isinstance(value, int | float):
        if value != value:
            return None
        n = int(value)
        if 1900 <= n <= 2100:
            return n
        if 190001 <= n <= 210012:  # YYYYMM
            return n // 100
        if 19000101 <= n <= 21001231:  # YYYYMMDD
            return n // 10000
        if 20000 <= value < 80000:  # an Excel serial date stored without a date format
            return (_EXCEL_EPOCH + dt.timedelta(days=int(value))).year
        return None
    s = str(value).strip()
    if not s:
        return None
    if s.replace(".", "", 1).isdigit():
        try:
            return parse_year(float(s)) if "." in s else parse_year(int(s))
        except ValueError:
            return None
    m = _YEAR_IN_TEXT.search(s)
    if m:
        return int(m.group(1) or m.group(2))
    return None


def parse_amount(value: object) -> float | None:
    """An amount cell: a number, or text such as '1,200.00', '￥200', '200元'. None when unreadable."""
    t = type(value)
    if t is float or t is int:
        return None if value != value else float(value)
    if value is None or value == "" or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return None if value != value else float(value)
    s = str(value).strip().replace("，", ",").replace("－", "-")
    m = _NUM_RE.search(s)
    if not m:
        return None
    try:
        return float(m.group(0).replace(",", ""))
    except ValueError:
        return None


# --------------------------------------------------------------------------- raw rows


def _sheets(path: Path, kind: str) -> tuple[list[tuple[str, list[list[Any]]]], str | None]:
    """Every sheet's rows as Python values, or the CSV rows with the encoding used (tables.raw_sheets)."""
    if not path.is_file():
        raise ExportError(path, kind, "文件不存在")
    try:
        return raw_sheets(path)
    except TableError as exc:
        raise ExportError(path, kind, exc.reason) from exc


def _find_column(keys: Sequence[str], wanted: Iterable[str]) -> int | None:
    for want in wanted:
        w = header_key(want)
        for i, k in enumerate(keys):
            if k == w:
                return i
    return None


def _find_id_column(keys: Sequence[str]) -> int | None:
    i = _find_column(keys, ID_HEADERS)
    if i is not None:
        return i
    for i, k in enumerate(keys):  # 参保人身份证号, 身份证号码（必填） …
        if ("身份证" in k or "身份号码" in k or "证件号" in k) and "类型" not in k:
            return i
    return None


def _header(rows: list[list[Any]]) -> tuple[int, int, list[str]] | None:
    for r, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        keys = [header_key(v) if isinstance(v, str) else "" for v in row]
        c = _find_id_column(keys)
        if c is not None:
            return r, c, keys
    return None


# --------------------------------------------------------------------------- public


def read_export(path: str | Path, kind: str) -> ExportFile:
    """Read one registration (``kind='registration'``) or payment (``kind='payment'``) export.

    All sheets carrying an ID header are used (an .xls export split over several sheets); sheets
    without one (a cover or notes sheet) are skipped. Raises :class:`ExportError` when the file cannot
    be opened or no sheet has an ID column, or (payments) no year or date column."""
    if kind not in KIND_LABELS:
        raise ValueError(kind)
    path = Path(path)
    ids: list[str] = []
    years: list[int | None] = []
    amounts: list[float | None] = []
    used: list[str] = []
    id_header = year_header = amount_header = ""
    warnings: list[str] = []
    checked: list[bool] = []  # per row: the sheet had an amount column
    sheets, encoding = _sheets(path, kind)
    for name, rows in sheets:
        found = _header(rows)
        if found is None:
            continue
        hr, c_id, keys = found
        id_header = id_header or keys[c_id]
        c_year = c_date = c_amount = None
        if kind == PAYMENT:
            c_year = _find_column(keys, YEAR_HEADERS)
            c_date = _find_column(keys, DATE_HEADERS) if c_year is None else None
            c_amount = _find_column(keys, AMOUNT_HEADERS)
            if c_year is None and c_date is None:
                raise ExportError(path, kind, f"工作表“{name}”找不到缴费年度或缴费日期列（表头应含“缴费年度”或“缴费日期”）")
            year_header = year_header or keys[c_year if c_year is not None else c_date]
            if c_amount is None:
                msg = f"{path.name}（{name}）没有缴费金额列：按缴费年度计入，未核对金额"
                if msg not in warnings:
                    warnings.append(msg)
            else:
                amount_header = amount_header or keys[c_amount]
        used.append(name)
        width = max(c for c in (c_id, c_year, c_date, c_amount) if c is not None) + 1
        for row in rows[hr + 1:]:
            if len(row) < width:
                row = list(row) + [""] * (width - len(row))
            key = match_key(row[c_id])
            if key == "" and all(v in ("", None) for v in row):
                continue  # a blank line
            if key and not key[0].isdigit() and _find_id_column([header_key(key)]) is not None:
                continue  # a repeated header line (page break in a printed export)
            ids.append(key)
            if kind == PAYMENT:
                years.append(parse_year(row[c_year if c_year is not None else c_date]))
                amounts.append(parse_amount(row[c_amount]) if c_amount is not None else None)
                checked.append(c_amount is not None)
    if not used:
        raise ExportError(path, kind, "找不到身份证号码列（表头应为“身份证号码”“公民身份号码”或“证件号码”等，须在前"
                                      f"{HEADER_SCAN_ROWS}行内）")
    frame = pd.DataFrame({"id": pd.Series(ids, dtype=object)})
    frame["valid"] = frame["id"].str.match(_ID_SHAPE) if len(frame) else pd.Series(dtype=bool)
    if kind == PAYMENT:
        frame["year"] = pd.array(years, dtype="Int64")
        frame["amount"] = pd.array([float("nan") if a is None else a for a in amounts], dtype="float64")
        frame["amount_checked"] = pd.array(checked, dtype=bool)
    return ExportFile(path, kind, frame, used, encoding, id_header, year_header, amount_header, warnings)


def counted_payments(export: ExportFile, year: int) -> pd.Series:
    """Boolean per row of a payment export: the year is the campaign year and the amount is above
    zero (a file without an amount column counts by year alone; a row with an unreadable amount
    does not count). Refund rows are not netted against payments: any qualifying row counts."""
    f = export.frame
    in_year = (f["year"] == year).fillna(False).astype(bool)
    positive = (f["amount"] > 0) | ~f["amount_checked"]
    return in_year & positive & (f["id"] != "")


def export_files(paths: Iterable[str | Path]) -> list[Path]:
    """Expand folders into the export files they hold (spreadsheets and CSV, no lock or hidden files)."""
    out: list[Path] = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            out.extend(sorted(
                q for q in p.iterdir()
                if q.is_file() and q.suffix.lower() in SPREADSHEET_SUFFIXES + TEXT_SUFFIXES
                and not q.name.startswith(("~$", ".", "~"))))
        else:
            out.append(p)
    return out
