"""Read the tables other offices send: the province's list, comparison data, system exports.

They arrive as xlsx/xls/ods (read with python-calamine) or CSV written by Excel or a business system
(UTF-8 with a BOM, or GBK/GB18030 — the usual Windows encodings in China). Their header is often not
in row 1 (a title, a date line above it) and the ID column goes by many names (身份证号码, 公民身份号码,
证件号码 …), so :func:`read_table` finds the header row by a hint and :func:`find_column` finds a
column by candidate names. Every cell comes back as text: an ID must never be turned into a number.
A number cell with more than 15 digits has already lost its last digits in Excel; it comes back in
Excel's own scientific form (``4.30981196503151E+17``) so that the ID check rejects it visibly instead
of inventing digits.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from coverage_xl.errors import InputError
from coverage_xl.layout import header_key

CSV_SUFFIXES = (".csv", ".txt", ".tsv")
CSV_ENCODINGS = ("utf-8-sig", "gb18030")  # strict, in this order; gb18030 is a superset of GBK and GB2312
HEADER_SCAN_ROWS = 30  # the header must be within the first rows (titles, dates or notes may come first)

# Header names of the ID column, most specific first (compared after header_key()). One list for the
# province list, the comparison files and the registration/payment exports.
ID_HEADERS: tuple[str, ...] = (
    "公民身份号码", "身份证号码", "居民身份证号码", "身份证件号码", "证件号码", "身份证号", "证件号",
    "身份证", "社会保障号码", "社会保障号", "社保号码", "个人社会保障号码",
)
# Header names of the other columns of the province's list (prefill, the ledger).
NAME_HEADERS = ("姓名", "人员姓名", "名字", "参保人姓名")
ADDRESS_HEADERS = ("户籍地址", "户籍所在地", "户籍地", "户口所在地", "户籍住址", "住址", "家庭住址", "地址", "居住地址")
UNIT_HEADERS = ("乡镇（街道）", "乡镇街道", "乡镇（街道、场）", "镇（街道、场）", "所属乡镇", "乡镇", "镇街",
                "街道乡镇", "行政区划", "所属单位", "单位", "乡镇名称")
VILLAGE_HEADERS = ("村（社区）", "村社区", "村（居）", "村居", "所属村", "村委会", "社区", "村")
ID_HEADER_PARTS: tuple[str, ...] = ("身份证", "身份号码", "证件号", "社会保障号")
ID_HEADER_EXCLUDE = "类型"  # 证件类型 / 身份证件类型 is not the number
# Words that make an ID header someone else's number: the clerk who handled the case, a guardian, the
# head of the household … (经办人身份证号, 代缴人证件号码, 户主身份证号码).
OTHER_PERSON_WORDS: tuple[str, ...] = (
    "经办", "代办", "办理人", "操作员", "操作人", "录入", "审核", "联系人", "监护人", "代理人", "受托", "代缴",
    "代扣", "户主", "配偶", "父亲", "母亲", "子女", "介绍人", "担保", "收款人", "领款人", "银行",
)
SECONDARY_ID_PARTS = ("社会保障号", "社保号")  # the same number as the ID: used only when no ID column is there
_ID_LIKE = re.compile(r"^\d{17}[\dXx]$|^\d{15}$")


def cell_text(value: Any) -> str:
    """A cell as the text a clerk sees: whole numbers without ".0", long numbers as Excel shows them."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        if value != value:
            return ""
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        if value.is_integer():  # Excel's display of an 18-digit number: digits already lost
            return f"{value:.15G}"
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


class TableError(InputError):
    """A table that cannot be read; ``reason`` says why, without the file name."""

    def __init__(self, path: Path, reason: str) -> None:
        self.path, self.reason = path, reason
        super().__init__(f"无法读取“{path.name}”：{reason}。")


def decode_text(data: bytes) -> tuple[str, str] | None:
    """(text, encoding) for the first encoding that decodes strictly, or None."""
    for enc in CSV_ENCODINGS:
        try:
            return data.decode(enc), enc
        except UnicodeDecodeError:
            continue
    return None


def csv_delimiter(text: str) -> str:
    """The delimiter (, tab ; |) of CSV text, by count over its first lines."""
    first_lines = text[:20000].splitlines()[:HEADER_SCAN_ROWS]
    counts = {d: sum(line.count(d) for line in first_lines) for d in (",", "\t", ";", "|")}
    return max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","


def csv_rows(text: str) -> list[list[str]]:
    """Split CSV text, guessing the delimiter (, tab ; |) from the first lines."""
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=csv_delimiter(text)))


def _text_table(path: Path, data: bytes) -> tuple[list[tuple[str, list[list[Any]]]], str]:
    decoded = decode_text(data)
    if decoded is None:
        raise TableError(path, "文字编码无法识别（既不是 UTF-8 也不是 GBK/GB18030），请用 Excel 打开后另存为 .xlsx 再试")
    text, enc = decoded
    return [(path.stem, csv_rows(text))], enc


def raw_sheets(path: str | Path) -> tuple[list[tuple[str, list[list[Any]]]], str | None]:
    """Every sheet's rows with raw cell values (python-calamine), or the one 'sheet' of a CSV with
    the encoding used. An ".xls" that is really a text export (tab separated or CSV, common from
    business systems) is read as text. Raises :class:`TableError` with a Chinese reason."""
    path = Path(path)
    try:
        data = path.read_bytes() if path.suffix.lower() in CSV_SUFFIXES else path.open("rb").read(512)
    except OSError as exc:
        raise TableError(path, f"文件打不开（{exc.strerror or exc}）") from exc
    if not data:
        raise TableError(path, "文件是空的（0字节）")
    if path.suffix.lower() in CSV_SUFFIXES:
        return _text_table(path, data)
    from coverage_xl.read import UnreadableError, open_workbook, sheet_rows

    try:
        wb = open_workbook(path)
    except UnreadableError as exc:
        if b"\x00" not in data and data[:2] != b"PK" and not data.lstrip().startswith(b"<"):
            try:
                return _text_table(path, path.read_bytes())
            except TableError:
                pass
        raise TableError(path, str(exc)) from exc
    out = []
    for name in wb.sheet_names:
        try:
            out.append((name, sheet_rows(wb, name, skip_empty_area=False)))
        except UnreadableError as exc:
            raise TableError(path, str(exc)) from exc
    return out, None


def _sheets(path: Path) -> list[tuple[str, list[list[str]]]]:
    """Every sheet of a workbook (or the one 'sheet' of a CSV) as text rows."""
    sheets, _ = raw_sheets(path)
    return [(name, [[cell_text(v) for v in row] for row in rows]) for name, rows in sheets]


def _matches(key: str, candidates: Sequence[str], parts: Sequence[str] = ()) -> bool:
    if not key:
        return False
    keys = {header_key(c).lower() for c in candidates}
    return key.lower() in keys or (any(p in key for p in parts) and ID_HEADER_EXCLUDE not in key)


def find_column(df_or_header: pd.DataFrame | Iterable[object], candidates: Sequence[str],
                parts: Sequence[str] = (), exclude: str = "") -> str | None:
    """The first column whose header equals one of ``candidates`` (compared without spaces and
    bracket width, in the order of the candidates), else the first containing one of ``parts``.

    ``df_or_header`` is a DataFrame or a header row; returns the header as it is (None: not found).
    A header containing ``exclude`` is never taken by a part match (证件类型 is not 证件号码).
    """
    header = list(df_or_header.columns) if isinstance(df_or_header, pd.DataFrame) else list(df_or_header)
    keys = [header_key(h).lower() for h in header]
    for cand in candidates:
        ck = header_key(cand).lower()
        for h, k in zip(header, keys, strict=True):
            if k == ck:
                return h
    for part in parts:
        for h, k in zip(header, keys, strict=True):
            if part and part in k and not (exclude and exclude in k):
                return h
    return None


class IdColumnError(InputError):
    """Several columns could each be the citizen's ID number: picking one would be a guess."""


@dataclass(frozen=True)
class IdColumn:
    """The column chosen as the citizen's ID number, and the ID-like columns passed over."""

    index: int
    header: str
    passed_over: tuple[str, ...] = ()

    @property
    def note(self) -> str:
        """What to tell the user when other ID-like columns were there ('' when there were none)."""
        if not self.passed_over:
            return ""
        return f"身份证号码取自“{self.header}”列（未采用：{'、'.join(f'“{h}”' for h in self.passed_over)}）"


def is_id_header(key: str) -> bool:
    """A header (already through :func:`header_key`) naming an ID number of someone: 身份证号码,
    公民身份号码, 经办人身份证号 … but not 证件类型."""
    return _matches(key, ID_HEADERS, ID_HEADER_PARTS)


def choose_id_column(header: Sequence[object]) -> IdColumn | None:
    """The citizen's ID column of a header row, by what the headers mean — the one helper every
    reader of other offices' tables uses (exports, the province's list, comparison files, the ledger).

    A header naming someone else's number (经办人身份证号, 户主身份证号码, see
    :data:`OTHER_PERSON_WORDS`) is never taken; a 社会保障号码 column only when no ID-number column is
    there. Two columns left that could each be the citizen's raise :class:`IdColumnError`: an
    ambiguous choice is an error, not a guess. None when no header names an ID number."""
    keys = [header_key(h) for h in header]
    idlike = [i for i, k in enumerate(keys) if is_id_header(k)]
    citizen = [i for i in idlike if not any(w in keys[i] for w in OTHER_PERSON_WORDS)]
    primary = [i for i in citizen if not any(p in keys[i] for p in SECONDARY_ID_PARTS)]
    chosen = primary or citizen
    if not chosen:
        return None
    if len(chosen) > 1:
        names = "、".join(f"“{header[i]}”" for i in chosen)
        raise IdColumnError(f"有{len(chosen)}列都可能是本人的身份证号码（{names}），无法确定用哪一列。"
                            "请删除多余的列，或把不是本人号码的列改名（如“经办人身份证号”）后再试")
    i = chosen[0]
    return IdColumn(i, str(header[i]), tuple(str(header[j]) for j in idlike if j != i))


def find_id_column(df: pd.DataFrame) -> str | None:
    """The ID column by header meaning (:func:`choose_id_column`), else by content (most values look
    like an ID number). ``df.attrs["id_note"]`` says which column was taken when others were passed
    over; an ambiguous header raises :class:`IdColumnError` naming the file and sheet."""
    try:
        choice = choose_id_column(list(df.columns))
    except IdColumnError as exc:
        where = f"“{df.attrs['file']}”" if df.attrs.get("file") else ""
        if df.attrs.get("sheet"):
            where += f"（工作表“{df.attrs['sheet']}”）"
        raise IdColumnError(f"{where}{'：' if where else ''}{exc}") from None
    if choice is not None:
        df.attrs["id_note"] = choice.note
        return df.columns[choice.index]
    best, best_share = None, 0.5
    for c in df.columns:
        values = [v for v in df[c] if v]
        if not values:
            continue
        share = sum(bool(_ID_LIKE.match(v.replace(" ", ""))) for v in values) / len(values)
        if share > best_share:
            best, best_share = c, share
    return best


def _header_row(rows: list[list[str]], hints: Sequence[str], parts: Sequence[str]) -> int | None:
    for r, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        if any(_matches(header_key(v), hints, parts) for v in row):
            return r
    return None


def _frame(rows: list[list[str]], header_r: int | None) -> pd.DataFrame:
    width = max((len(r) for r in rows), default=0)
    if header_r is None:  # no header: columns 列1, 列2 …, data from the first row
        header = [f"列{i + 1}" for i in range(width)]
        start = 0
    else:
        header, seen = [], set()
        for i, v in enumerate(rows[header_r] + [""] * (width - len(rows[header_r]))):
            name = header_key(v) or f"列{i + 1}"
            base, n = name, 2
            while name in seen:
                name, n = f"{base}_{n}", n + 1
            seen.add(name)
            header.append(name)
        start = header_r + 1
    data, index = [], []
    for r in range(start, len(rows)):
        row = rows[r] + [""] * (width - len(rows[r]))
        if any(v for v in row):
            data.append(row[:width])
            index.append(r + 1)
    df = pd.DataFrame(data, columns=header, index=pd.Index(index, name="源文件行号"), dtype=object)
    df.attrs["header_row"] = None if header_r is None else header_r + 1
    return df


def read_table(path: str | Path, *, hints: Sequence[str] = ID_HEADERS, parts: Sequence[str] = ID_HEADER_PARTS,
               sheet: str | None = None) -> pd.DataFrame:
    """The table in a spreadsheet or CSV file, every cell as text.

    The header is the first row (within the first 30) with a cell matching ``hints`` (exact header
    names) or containing one of ``parts``; by default the ID column's names. The first sheet with
    such a header is used (or ``sheet``). A file with no such header but a column of ID-like values
    is read as headerless (columns 列1, 列2 …). The index is the row number in the source file, and
    ``df.attrs`` holds ``sheet`` and ``header_row`` for messages.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"找不到文件“{path}”。")
    sheets = _sheets(path)
    if sheet is not None:
        sheets = [s for s in sheets if s[0] == sheet]
        if not sheets:
            raise InputError(f"“{path.name}”中没有名为“{sheet}”的工作表。")
    for name, rows in sheets:
        r = _header_row(rows, hints, parts)
        if r is not None:
            df = _frame(rows, r)
            df.attrs.update(sheet=name, file=path.name)
            return df
    for name, rows in sheets:  # headerless: a bare column of ID numbers
        df = _frame(rows, None)
        df.attrs.update(sheet=name, file=path.name)
        if len(df) and find_id_column(df) is not None:
            return df
    for name, rows in sheets:
        nonempty = next((i for i, row in enumerate(rows) if any(row)), None)
        if nonempty is not None:
            df = _frame(rows, nonempty)
            df.attrs.update(sheet=name, file=path.name)
            return df
    raise InputError(f"“{path.name}”中没有任何数据。")
