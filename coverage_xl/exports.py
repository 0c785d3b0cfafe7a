"""Read the registration and payment exports (数据比对) and say, per person, what they establish.

The pension business system exports who is registered (参保登记, with a 参保状态); the tax bureau
exports who has paid (缴费). They arrive as xlsx, xls (sometimes split over several sheets at 65,536
rows) or CSV, and CSV from government systems is usually GBK/GB18030, sometimes UTF-8 with a BOM.
Nothing about them is fixed except that a person is keyed by the ID number, so every column is found
by its header: the ID (:data:`~coverage_xl.tables.ID_HEADERS`), the status (:data:`STATUS_HEADERS`),
the payment year (:data:`YEAR_HEADERS`), the payment date (:data:`DATE_HEADERS`), the amount.

The counting contract (issue 13; ``docs/dispatch.md``), applied by :func:`person_facts`:

- **registered**: at least one registration row whose 参保状态 is not a terminated status. The status
  vocabulary is data (``data/registration_statuses.csv``: registered / drawing / terminated); an
  unknown status counts as registered and is named in a warning; a file without a status column counts
  every row as registered (with a warning).
- **drawing** (待遇领取): a non-terminated registration row whose status means drawing a pension.
- **paid**: registered, plus a payment row with amount > 0 whose 缴费年度/所属年度 is the campaign year
  *or* whose 缴费日期 falls in the campaign year (补缴 of earlier years and 一次性补缴 paid this year
  count; a 补缴 paid in an earlier year does not). A file with both columns uses both; with one, that
  one (:attr:`ExportFile.basis` says which). A file without an amount column counts by year/date alone.

Exports can be large (a 10-million-row payments CSV), so they are streamed: CSV through pandas
``read_csv(chunksize=…, usecols=…)``, workbooks row by row through python-calamine; only the ID and
the needed fields are kept, and each file is reduced at once to its distinct IDs. IDs are normalised
with :func:`coverage_xl.idcard.normalise` and legacy 15-digit numbers become 18 digits, so the same
person matches however each system typed the number.

A file that cannot be used raises :class:`ExportError` whose Chinese message names the file.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import itertools
import operator
import re
import warnings as _warnings
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from coverage_xl import idcard
from coverage_xl.errors import InputError, ParameterError
from coverage_xl.layout import header_key
from coverage_xl.tables import (  # HEADER_SCAN_ROWS: the one header search depth for other offices' tables
    CSV_ENCODINGS,
    CSV_SUFFIXES,
    HEADER_SCAN_ROWS,
    IdColumnError,
    choose_id_column,
    csv_delimiter,
    csv_rows,
)
from coverage_xl.values import EXCEL_SERIAL_MAX, EXCEL_SERIAL_MIN, excel_date

REGISTRATION = "registration"
PAYMENT = "payment"
KIND_LABELS = {REGISTRATION: "参保登记", PAYMENT: "缴费"}

# Header texts, most specific first. Compared after header_key() (no spaces, full-width brackets).
STATUS_HEADERS: tuple[str, ...] = ("参保状态", "人员参保状态", "个人参保状态", "参保人员状态", "人员状态", "状态")
YEAR_HEADERS: tuple[str, ...] = (
    "缴费年度", "所属年度", "费款所属年度", "缴费年份", "征收年度", "参保年度", "费款所属期", "年度",
)
DATE_HEADERS: tuple[str, ...] = (
    "缴费日期", "缴费时间", "入账日期", "到账日期", "征收日期", "实缴日期", "缴款日期",
)
AMOUNT_HEADERS: tuple[str, ...] = (
    "实缴金额", "缴费金额", "个人缴费金额", "实缴金额合计", "缴费额", "个人缴费", "金额", "缴费金额（元）",
    "金额（元）", "实缴金额（元）",
)
SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods")
TEXT_SUFFIXES = CSV_SUFFIXES
CHUNK_ROWS = 200_000  # rows per streamed chunk: bounds memory whatever the file's size

# Meanings of a 参保状态 in data/registration_statuses.csv.
LIVE = "registered"
DRAWING = "drawing"
TERMINATED = "terminated"
MEANINGS = (LIVE, DRAWING, TERMINATED)
BASIS_BOTH, BASIS_YEAR, BASIS_DATE = "缴费年度和缴费日期", "仅缴费年度", "仅缴费日期"

_NUM_RE = re.compile(r"[-+]?\d[\d,]*(?:\.\d+)?|[-+]?\.\d+")
_YEAR_IN_TEXT = re.compile(r"(?<!\d)((?:19|20)\d{2})(?:\d{2,4})?(?!\d)|(?<!\d)((?:19|20)\d{2})\s*[-/.年]")
_SPACES = re.compile(r"\s+")


class ExportError(InputError):
    """An export file cannot be used; the message (Chinese) names the file and says why."""

    def __init__(self, path: Path, kind: str, reason: str) -> None:
        self.path = Path(path)
        self.kind = kind
        self.reason = reason
        super().__init__(f"{KIND_LABELS.get(kind, '')}导出文件“{self.path.name}”无法使用：{reason}")


# --------------------------------------------------------------------------- status vocabulary


def status_key(value: object) -> str:
    """A 参保状态 cell as compared with the vocabulary: text without any spaces ('' when blank)."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return _SPACES.sub("", str(value))  # \s also matches the full-width space U+3000


def load_statuses(path: str | Path | None = None) -> dict[str, str]:
    """The 参保状态 vocabulary: status text → registered / drawing / terminated.

    From the packaged ``data/registration_statuses.csv`` or a bureau-edited copy (UTF-8 CSV with the
    columns status, meaning[, note]); a bad line is a :class:`ParameterError` naming it."""
    if path is None:
        source = "data/registration_statuses.csv"
        text = resources.files("coverage_xl").joinpath(source).read_text(encoding="utf-8")
    else:
        source = str(path)
        try:
            text = Path(path).read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise ParameterError(f"参保状态对照表“{source}”无法读取：{exc}") from exc
    out: dict[str, str] = {}
    for n, row in enumerate(csv.DictReader(text.splitlines()), start=2):
        status, meaning = status_key(row.get("status")), (row.get("meaning") or "").strip()
        if not status or meaning not in MEANINGS:
            raise ParameterError(f"参保状态对照表“{source}”第{n}行无法识别：应为“参保状态,含义”，含义为 "
                                 f"{' / '.join(MEANINGS)} 之一。")
        out[status] = meaning
    if not out:
        raise ParameterError(f"参保状态对照表“{source}”没有任何状态。")
    return out


# --------------------------------------------------------------------------- one export as read


@dataclass
class ExportFile:
    """One export, reduced to its distinct IDs and the counts a clerk needs to trust it.

    ``frame`` has one row per distinct ID key (sorted; a malformed one only matches the same text):
    for a registration export the columns ``id``, ``registered`` (a non-terminated row), ``drawing``
    (a non-terminated drawing row); for a payment export ``id`` only — the people with a payment that
    counts in ``campaign_year``."""

    path: Path
    kind: str
    frame: pd.DataFrame
    sheets: list[str] = field(default_factory=list)
    encoding: str | None = None  # CSV only
    id_header: str = ""
    status_header: str = ""
    year_header: str = ""
    date_header: str = ""
    amount_header: str = ""
    rows: int = 0
    blank_ids: int = 0
    bad_ids: int = 0  # not an 18-character ID shape (e.g. a number Excel rounded to 15 digits)
    status_counts: dict[str, int] = field(default_factory=dict)  # registration rows per status text
    unknown_statuses: dict[str, int] = field(default_factory=dict)  # not in the vocabulary: rows
    campaign_year: int | None = None  # payments
    rows_counted: int = 0  # payments that count (amount > 0, year or date in the campaign year)
    rows_counted_by_date_only: int = 0  # of those, counted by the date alone (补缴 of an earlier year)
    rows_other_year: int = 0
    rows_not_positive: int = 0  # campaign year, amount zero, negative or unreadable
    warnings: list[str] = field(default_factory=list)

    @property
    def basis(self) -> str:
        """Which payment columns decided (缴费年度和缴费日期 / 仅缴费年度 / 仅缴费日期)."""
        if self.year_header and self.date_header:
            return BASIS_BOTH
        return BASIS_YEAR if self.year_header else BASIS_DATE if self.date_header else ""


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
        day = excel_date(value)  # an Excel serial date stored without a date format
        return day.year if day else None
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


# --------------------------------------------------------------------------- streaming the rows


def _find_column(keys: Sequence[str], wanted: Iterable[str]) -> int | None:
    for want in wanted:
        w = header_key(want)
        for i, k in enumerate(keys):
            if k == w:
                return i
    return None


def id_column(keys: Sequence[str]) -> int | None:
    """The citizen's ID column (tables.choose_id_column: the one helper, by header meaning)."""
    choice = choose_id_column(keys)
    return None if choice is None else choice.index


def _header(rows: Sequence[Sequence[Any]]) -> tuple[int, int, list[str]] | None:
    for r, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        keys = [header_key(v) if isinstance(v, str) else "" for v in row]
        c = id_column(keys)
        if c is not None:
            return r, c, keys
    return None


# (header row, columns, the ID column: always text) → data chunks
ChunkReader = Callable[[int, list[int], int], Iterator[pd.DataFrame]]


def _csv_encoding(path: Path) -> str | None:
    """The first of CSV_ENCODINGS that decodes the whole file strictly, checked block by block."""
    for enc in CSV_ENCODINGS:
        decoder = codecs.getincrementaldecoder(enc)("strict")
        try:
            with path.open("rb") as fh:
                while block := fh.read(1 << 20):
                    decoder.decode(block)
            decoder.decode(b"", final=True)
            return enc
        except UnicodeDecodeError:
            continue
    return None


def _csv_source(path: Path, kind: str) -> tuple[list[tuple[str, list[list[Any]], ChunkReader]], str]:
    enc = _csv_encoding(path)
    if enc is None:
        raise ExportError(path, kind, "文字编码无法识别（既不是 UTF-8 也不是 GBK/GB18030），请用 Excel 打开后另存为 .xlsx 再试")
    with path.open("rb") as fh:
        head = fh.read(1 << 18)
    text = head.decode(enc, errors="ignore")
    lines = text.splitlines()[:HEADER_SCAN_ROWS + 1]
    if len(head) == 1 << 18:
        lines = lines[:-1] if len(lines) > 1 else lines  # the last line may be cut
    head_text = "\n".join(lines)
    sep = csv_delimiter(head_text)
    head_rows = csv_rows(head_text)

    def read(header_row: int, cols: list[int], id_col: int) -> Iterator[pd.DataFrame]:
        """Only the ID column is read as text; pandas' C parser turns numeric columns (years, amounts,
        20200815 dates) into numbers itself, which is most of the speed on a 10-million-row file."""
        width = max([len(r) for r in head_rows] + [max(cols) + 1])
        with _warnings.catch_warnings():
            _warnings.simplefilter("ignore")  # ragged rows: extra fields are dropped, short ones padded
            reader = pd.read_csv(path, encoding=enc, sep=sep, header=None, names=range(width), index_col=False,
                                 skiprows=header_row + 1, usecols=cols, dtype={id_col: str}, keep_default_na=False,
                                 na_filter=False, chunksize=CHUNK_ROWS, engine="c")
            with reader:
                yield from reader

    return [(path.stem, head_rows, read)], enc


def _workbook_source(path: Path, kind: str, notes: list[str] | None = None
                     ) -> list[tuple[str, list[list[Any]], ChunkReader]]:
    """Every sheet of a workbook export; what the checks before reading found (a stray cell left out,
    a renamed format) goes to ``notes`` as Chinese text."""
    from coverage_xl.read import UnreadableError, open_inspected

    try:
        wb, inspection = open_inspected(path)
    except UnreadableError as exc:
        raise ExportError(path, kind, str(exc)) from exc
    if notes is not None:
        notes += [f"{path.name}" + (f"（{n.sheet}）" if n.sheet else "") + f"：{n.message()}" for n in inspection.notes]
    out = []
    for name in wb.sheet_names:
        try:
            sheet = wb.get_sheet_by_name(name)
            head = []
            for row in sheet.iter_rows():
                head.append(row)
                if len(head) >= HEADER_SCAN_ROWS:
                    break
        except Exception as exc:  # calamine raises several error types; all mean "cannot read"
            raise ExportError(path, kind, f"工作表“{name}”无法读取（{exc}）") from exc

        def read(header_row: int, cols: list[int], _id_col: int, sheet=sheet) -> Iterator[pd.DataFrame]:
            batch: list[Sequence[Any]] = []
            top = max(cols)
            pick = operator.itemgetter(*cols) if len(cols) > 1 else lambda row: (row[cols[0]],)
            for row in itertools.islice(sheet.iter_rows(), header_row + 1, None):
                batch.append(pick(row) if len(row) > top else [row[c] if c < len(row) else "" for c in cols])
                if len(batch) >= CHUNK_ROWS:
                    yield pd.DataFrame(batch, columns=cols, dtype=object)
                    batch = []
            if batch:
                yield pd.DataFrame(batch, columns=cols, dtype=object)

        out.append((name, head, read))
    return out


def _sources(path: Path, kind: str, notes: list[str] | None = None
             ) -> tuple[list[tuple[str, list[list[Any]], ChunkReader]], str | None]:
    """Every sheet of the export as (name, first rows, chunk reader), and the CSV encoding."""
    if not path.is_file():
        raise ExportError(path, kind, "文件不存在")
    try:
        with path.open("rb") as fh:
            start = fh.read(512)
    except OSError as exc:
        raise ExportError(path, kind, f"文件打不开（{exc.strerror or exc}）") from exc
    if not start:
        raise ExportError(path, kind, "文件是空的（0字节）")
    if path.suffix.lower() in CSV_SUFFIXES:
        return _csv_source(path, kind)
    try:
        return _workbook_source(path, kind, notes), None
    except ExportError:
        if b"\x00" not in start and start[:2] != b"PK" and not start.lstrip().startswith(b"<"):
            try:
                return _csv_source(path, kind)  # a text export a system named .xls
            except ExportError:
                pass
        raise


def _blank(col: pd.Series) -> pd.Series:
    return col.isna() | (col.astype(str).str.strip() == "")


def _all_text(col: pd.Series) -> pd.Series:
    """Which cells are text (every cell of a CSV chunk; some of a workbook's)."""
    if col.dtype != object:
        return pd.Series(pd.api.types.is_string_dtype(col.dtype), index=col.index)
    return col.map(lambda v: type(v) is str).astype(bool)


def _years_of_numbers(num: pd.Series) -> pd.Series:
    """:func:`parse_year`'s number rules, vectorised: 2020, 202008, 20200815, an Excel serial date."""
    n = num.where(num.notna(), 0).astype("float64")
    whole = n // 1  # int() truncates; the values here are ≥ 0, so floor is the same
    out = pd.Series(pd.NA, index=num.index, dtype="Int64")
    for lo, hi, div in ((1900, 2100, 1), (190001, 210012, 100), (19000101, 21001231, 10000)):
        hit = out.isna() & (whole >= lo) & (whole <= hi)
        out[hit] = (whole[hit] // div).astype("int64")
    serial = out.isna() & (n >= EXCEL_SERIAL_MIN) & (n <= EXCEL_SERIAL_MAX)
    if serial.any():  # rare: the one Excel-serial rule, value by value
        out[serial] = n[serial].map(lambda v: excel_date(v).year).astype("int64")
    return out


def _years(col: pd.Series) -> pd.Series:
    """:func:`parse_year` over a column, vectorised for the usual forms (2020, 20200815, 2020-08-15)."""
    if pd.api.types.is_numeric_dtype(col.dtype) and not pd.api.types.is_bool_dtype(col.dtype):
        ok = col.notna() & (col >= 0)
        out = pd.Series(pd.NA, index=col.index, dtype="Int64")
        out[ok] = _years_of_numbers(col[ok])
        return out
    out = pd.Series(pd.NA, index=col.index, dtype="Int64")
    text = _all_text(col)
    if text.any():
        s = col[text]
        # '2020-08-15', '2020/8/15', '2020年8月': never a number, so decided here in one pass, before the
        # number parse below ('2020.08' is a number and stays with it)
        dated = [int(v[:4]) if type(v) is str and len(v) > 4 and v[4] in "-/年" and v[:2] in ("19", "20") and v[:4].isdigit() else None
                 for v in s.tolist()]
        hit = np.fromiter((y is not None for y in dated), dtype=bool, count=len(dated))
        if hit.any():
            out[s.index[hit]] = [y for y in dated if y is not None]
            s = s[~hit]
        num = pd.to_numeric(s, errors="coerce")
        ok = num.notna() & (num >= 0)
        out[ok[ok].index] = _years_of_numbers(num[ok])
        rest = s[~ok & (s != "")]
        if len(rest):
            dated = rest.str.slice(4, 5).isin(("-", "/", ".", "年")) & rest.str.slice(0, 4).str.isdigit() \
                & rest.str.slice(0, 2).isin(("19", "20"))
            out[dated[dated].index] = rest[dated].str.slice(0, 4).astype("int64")
            other = rest[~dated]
            if len(other):
                out[other.index] = pd.array(other.map(parse_year).tolist(), dtype="Int64")
    if not text.all():
        out[text[~text].index] = pd.array(col[~text].map(parse_year).tolist(), dtype="Int64")
    return out


def _amounts(col: pd.Series) -> pd.Series:
    """:func:`parse_amount` over a column (NaN when unreadable), vectorised for plain numbers."""
    if pd.api.types.is_numeric_dtype(col.dtype) and not pd.api.types.is_bool_dtype(col.dtype):
        return col.astype("float64")
    if col.dtype == object:
        plain = col.map(lambda v: type(v) is str or type(v) is float or type(v) is int).astype(bool)
        num = pd.to_numeric(col.where(plain), errors="coerce")
    else:
        num = pd.to_numeric(col, errors="coerce")
    num = num.astype("float64")
    rest = num.isna() & ~_blank(col)
    if rest.any():
        num[rest] = [float("nan") if a is None else a for a in col[rest].map(parse_amount)]
    return num


_DIGIT_LO, _DIGIT_HI, _LETTER_X = ord("0"), ord("9"), ord("X")


def _clean_ids(values: list[Any]) -> np.ndarray:
    """Which values are clean IDs — text of 17 ASCII digits then a digit or X, exactly what
    :func:`match_key` passes untouched — checked for a whole chunk at once on their bytes."""
    n = len(values)
    try:
        candidates = np.flatnonzero(np.fromiter(map(len, values), dtype=np.int64, count=n) == 18)
        text = "".join([values[i] for i in candidates])
        raw = text.encode("ascii")
    except (TypeError, UnicodeEncodeError):  # a number or blank cell, or non-ASCII text: value by value
        return np.fromiter((type(v) is str and len(v) == 18 and v.isascii() and v[:17].isdigit()
                            and v[17] in _CHECK_CHARS for v in values), dtype=bool, count=n)
    out = np.zeros(n, dtype=bool)
    grid = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 18)  # join took only text; ASCII: one byte each
    digits = (grid >= _DIGIT_LO) & (grid <= _DIGIT_HI)
    out[candidates[digits[:, :17].all(axis=1) & (digits[:, 17] | (grid[:, 17] == _LETTER_X))]] = True
    return out


def _match_keys(col: pd.Series) -> tuple[pd.Series, pd.Series]:
    """:func:`match_key` over a column, and which keys have the ID shape (18 characters: 17 digits,
    then a digit or X). Clean text IDs (nearly all) are found for the whole chunk at once and kept as
    they are; only the others go through :func:`match_key` one by one."""
    values = col.tolist()
    clean = _clean_ids(values)
    keys = values
    valid = clean.copy()
    rest = np.flatnonzero(~clean)
    if len(rest):
        keys = list(values)
        shape = _ID_SHAPE.match
        for i in rest:
            k = keys[i] = match_key(values[i])
            valid[i] = len(k) == 18 and shape(k) is not None
    return pd.Series(keys, index=col.index, dtype=object), pd.Series(valid, index=col.index)


def _status_keys(col: pd.Series) -> pd.Series:
    """:func:`status_key` over a column, once per distinct text (a column holds a handful of statuses)."""
    done: dict[str, str] = {}
    out = []
    for v in col.tolist():
        if type(v) is str:
            k = done.get(v)
            if k is None:
                k = done[v] = status_key(v)
        else:
            k = status_key(v)
        out.append(k)
    return pd.Series(out, index=col.index, dtype=object)


class _Reducer:
    """Folds the chunks of one export into distinct IDs and counts."""

    def __init__(self, export: ExportFile, statuses: dict[str, str], year: int | None) -> None:
        self.f, self.statuses, self.year = export, statuses, year
        self.registered: set[str] = set()
        self.drawing: set[str] = set()
        self.seen: set[str] = set()
        self.paid: set[str] = set()
        self.status_counts: Counter[str] = Counter()

    def add(self, chunk: pd.DataFrame, c_id: int, c_status: int | None, c_year: int | None, c_date: int | None,
            c_amount: int | None) -> None:
        f = self.f
        keys, valid = _match_keys(chunk[c_id])
        others = [c for c in chunk.columns if c != c_id]
        empty = keys == ""
        if empty.any() and others:  # a blank line in the export
            for c in others:
                empty &= _blank(chunk[c])
        keep = ~empty
        maybe_header = (keys != "") & ~valid  # an ID-shaped key starts with a digit: never a header
        if maybe_header.any():  # a repeated header line (page break in a printed export)
            keep &= ~keys.where(maybe_header, "").map(
                lambda k: bool(k) and not k[:1].isdigit() and id_column([header_key(k)]) is not None)
        if not keep.all():
            chunk, keys, valid = chunk[keep], keys[keep], valid[keep]
        f.rows += len(keys)
        has_id = keys != ""
        f.blank_ids += int((~has_id).sum())
        f.bad_ids += int((has_id & ~valid).sum())
        if f.kind == REGISTRATION:
            self.seen.update(keys[has_id])
            if c_status is None:
                self.registered.update(keys[has_id])
                return
            status = _status_keys(chunk[c_status])
            self.status_counts.update(status.value_counts().to_dict())
            meaning = status.map(self.statuses)
            live = meaning.ne(TERMINATED) | meaning.isna()
            self.registered.update(keys[has_id & live])
            self.drawing.update(keys[has_id & meaning.eq(DRAWING)])
            return
        this = pd.Series(False, index=keys.index)
        by_year = None
        if c_year is not None:
            by_year = _years(chunk[c_year]).eq(self.year).fillna(False).astype(bool)
            this |= by_year
        if c_date is not None:
            this |= _years(chunk[c_date]).eq(self.year).fillna(False).astype(bool)
        positive = _amounts(chunk[c_amount]).gt(0) if c_amount is not None else pd.Series(True, index=keys.index)
        counted = has_id & this & positive
        f.rows_counted += int(counted.sum())
        if by_year is not None and c_date is not None:
            f.rows_counted_by_date_only += int((counted & ~by_year).sum())
        f.rows_other_year += int((has_id & ~this).sum())
        f.rows_not_positive += int((has_id & this & ~positive).sum())
        self.paid.update(keys[counted])

    def finish(self) -> None:
        f = self.f
        if f.kind == REGISTRATION:
            ids = sorted(self.seen)
            f.frame = pd.DataFrame({"id": pd.Series(ids, dtype=object)})
            f.frame["registered"] = f.frame["id"].isin(self.registered)
            f.frame["drawing"] = f.frame["id"].isin(self.drawing)
            f.status_counts = dict(self.status_counts)
            f.unknown_statuses = {s: n for s, n in self.status_counts.items() if s and s not in self.statuses}
            if f.unknown_statuses:
                named = "、".join(f"“{s}”（{n}行）" for s, n in sorted(f.unknown_statuses.items()))
                f.warnings.append(f"{f.path.name}：参保状态 {named} 不在参保状态对照表中，按已登记计入"
                                  "（如应另行处理，请在对照表中补充）")
        else:
            f.frame = pd.DataFrame({"id": pd.Series(sorted(self.paid), dtype=object)})


# --------------------------------------------------------------------------- public


def read_export(path: str | Path, kind: str, year: int | None = None, *, statuses: dict[str, str] | None = None
                ) -> ExportFile:
    """Read one registration (``kind='registration'``) or payment (``kind='payment'``, ``year`` = the
    campaign year) export, streamed chunk by chunk, into an :class:`ExportFile`.

    All sheets carrying an ID header are used (an .xls export split over several sheets); sheets
    without one (a cover or notes sheet) are skipped. Raises :class:`ExportError` when the file cannot
    be opened or no sheet has an ID column, or (payments) no year or date column."""
    if kind not in KIND_LABELS:
        raise ValueError(kind)
    if kind == PAYMENT and year is None:
        raise ValueError("a payment export is read for a campaign year")
    path = Path(path)
    statuses = load_statuses() if statuses is None else statuses
    notes: list[str] = []
    sources, encoding = _sources(path, kind, notes)
    f = ExportFile(path, kind, pd.DataFrame(), encoding=encoding, campaign_year=year if kind == PAYMENT else None)
    f.warnings += notes  # a stray cell left out of the read, a workbook whose extension was wrong
    reducer = _Reducer(f, statuses, year)
    for name, head, read in sources:
        try:
            found = _header(head)
        except IdColumnError as exc:
            raise ExportError(path, kind, f"工作表“{name}”{exc}") from exc
        if found is None:
            continue
        hr, c_id, keys = found
        f.id_header = f.id_header or keys[c_id]
        note = choose_id_column(keys).note
        if note:
            f.warnings.append(f"{path.name}（{name}）：{note}")
        c_status = c_year = c_date = c_amount = None
        if kind == REGISTRATION:
            c_status = _find_column(keys, STATUS_HEADERS)
            if c_status is None:
                f.warnings.append(f"{path.name}（{name}）没有参保状态列：每一行都按已登记计入")
            else:
                f.status_header = f.status_header or keys[c_status]
        else:
            c_year = _find_column(keys, YEAR_HEADERS)
            c_date = _find_column(keys, DATE_HEADERS)
            c_amount = _find_column(keys, AMOUNT_HEADERS)
            if c_year is None and c_date is None:
                raise ExportError(path, kind, f"工作表“{name}”找不到缴费年度或缴费日期列（表头应含“缴费年度”或“缴费日期”）")
            f.year_header = f.year_header or (keys[c_year] if c_year is not None else "")
            f.date_header = f.date_header or (keys[c_date] if c_date is not None else "")
            if c_amount is None:
                f.warnings.append(f"{path.name}（{name}）没有缴费金额列：按缴费年度/日期计入，未核对金额")
            else:
                f.amount_header = f.amount_header or keys[c_amount]
        f.sheets.append(name)
        cols = sorted({c for c in (c_id, c_status, c_year, c_date, c_amount) if c is not None})
        try:
            for chunk in read(hr, cols, c_id):
                reducer.add(chunk, c_id, c_status, c_year, c_date, c_amount)
        except (UnicodeDecodeError, pd.errors.ParserError, ValueError) as exc:
            raise ExportError(path, kind, f"工作表“{name}”无法读取（{exc}）") from exc
    if not f.sheets:
        raise ExportError(path, kind, "找不到身份证号码列（表头应为“身份证号码”“公民身份号码”或“证件号码”等，须在前"
                                      f"{HEADER_SCAN_ROWS}行内）")
    reducer.finish()
    return f


@dataclass
class PersonFacts:
    """What the exports establish per person (see :func:`person_facts`).

    ``table``: index = canonical ID (18 characters, legacy 15-digit numbers converted), one row per
    person in any export; bool columns ``registered``, ``drawing``, ``has_payment`` (a payment that
    counts in ``year``, registered or not) and ``paid`` (= registered and has_payment: Annex 5 col 5)."""

    table: pd.DataFrame
    year: int
    registration_files: list[ExportFile]
    payment_files: list[ExportFile]

    def of(self, ids: Iterable[str]) -> pd.DataFrame:
        """The facts of the given match keys, in their order; people in no export are all False."""
        keys = ids.to_numpy(dtype=object) if isinstance(ids, pd.Series | pd.Index) else np.array(list(ids), dtype=object)
        where = self.positions(keys)
        return pd.DataFrame({c: self.at(c, where) for c in self.table.columns}, index=pd.Index(keys, dtype=object))

    def positions(self, ids: pd.Series | np.ndarray) -> np.ndarray:
        """Each match key's row in :attr:`table` (its index is unique: one hash look-up per key), -1
        for a person in no export."""
        return self.table.index.get_indexer(ids.to_numpy(dtype=object) if isinstance(ids, pd.Series) else ids)

    def at(self, column: str, where: np.ndarray) -> np.ndarray:
        """One fact at the given :meth:`positions`; False where -1 (the appended last value)."""
        return np.append(self.table[column].to_numpy(dtype=bool), False)[where]

    @property
    def basis(self) -> str:
        """The payment columns used, over all payment files (for the run summary)."""
        used = sorted({f.basis for f in self.payment_files if f.basis})
        return "；".join(used)


COLUMNS = ("registered", "drawing", "has_payment", "paid")


def person_facts(registrations: Iterable[ExportFile | str | Path], payments: Iterable[ExportFile | str | Path],
                 year: int, *, statuses: dict[str, str] | None = None) -> PersonFacts:
    """THE counting rule of registrations and payments, per person — one place for dispatch, Annex 5,
    the notices, the follow-up lists and the ledger, so they can never disagree.

    ``registrations``/``payments`` are :class:`ExportFile` objects already read, or paths (read here;
    an unusable path raises :class:`ExportError`). ``year`` is the campaign year. Per ID:

    - ``registered``: at least one registration row whose 参保状态 is not terminated (终止参保, 注销,
      参保终止, 已注销 — the vocabulary in ``data/registration_statuses.csv``; an unknown status counts);
    - ``drawing``: a non-terminated row whose status means drawing a pension (待遇领取/领取待遇);
    - ``has_payment``: a payment row with amount > 0 whose 缴费年度 is ``year`` or whose 缴费日期 is in
      ``year`` (both columns used when the file has both; else the one it has);
    - ``paid`` = registered and has_payment (Annex 5 column 5).

    >>> facts = person_facts([], [], 2020)
    >>> facts.of(["430981196501010011"]).loc["430981196501010011"].tolist()
    [False, False, False, False]
    """
    statuses = load_statuses() if statuses is None else statuses
    regs = [r if isinstance(r, ExportFile) else read_export(r, REGISTRATION, statuses=statuses)
            for r in registrations]
    pays = [p if isinstance(p, ExportFile) else read_export(p, PAYMENT, year, statuses=statuses) for p in payments]
    for p in pays:
        if p.campaign_year != year:
            raise ValueError(f"{p.path.name} was read for {p.campaign_year}, not {year}")
    # every ID of every file numbered once (one hash pass), the facts set by those numbers, then sorted
    frames = [r.frame for r in regs] + [p.frame for p in pays]
    ids = np.concatenate([f["id"].to_numpy(dtype=object) for f in frames]) if frames else np.array([], dtype=object)
    codes, uniques = pd.factorize(ids)
    is_reg = np.concatenate([np.full(len(f), k < len(regs)) for k, f in enumerate(frames)]) if frames \
        else np.array([], dtype=bool)

    def flag(mask: np.ndarray) -> np.ndarray:
        out = np.zeros(len(uniques), dtype=bool)
        out[codes[mask]] = True
        return out

    def reg_column(name: str) -> np.ndarray:
        return np.concatenate([r.frame[name].to_numpy(dtype=bool) for r in regs] + [np.zeros(len(p.frame), dtype=bool)
                                                                                    for p in pays])

    registered = flag(reg_column("registered")) if regs else np.zeros(len(uniques), dtype=bool)
    drawing = flag(reg_column("drawing")) if regs else np.zeros(len(uniques), dtype=bool)
    has_payment = flag(~is_reg)
    order = np.argsort(np.asarray(uniques, dtype=object), kind="stable")
    table = pd.DataFrame({"registered": registered[order], "drawing": (drawing & registered)[order],
                          "has_payment": has_payment[order]},
                         index=pd.Index(np.asarray(uniques, dtype=object)[order], dtype=object))
    table["paid"] = table["registered"] & table["has_payment"]
    table.index.name = "id"
    return PersonFacts(table, year, regs, pays)


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
