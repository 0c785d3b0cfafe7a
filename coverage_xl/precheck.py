"""Cheap checks of a spreadsheet file before calamine reads it, so that no file can take a run down.

calamine builds one rectangular range per sheet, from the first to the last cell holding a value:
3,000 rows plus one stray value in column XFD cost 1.9 GB, a value at A1 and one at XFD1048576
abort the process (a 512 GB allocation). A zip whose parts inflate a thousandfold (a sharedStrings
bomb) is the same kind of threat. This module looks at the file first, at the cost of one pass over
the sheet XML with C-speed searches:

- the real format, from the magic bytes, not the extension (a BIFF .xls named .xlsx, an .ods named
  .xls, a WPS .et, an encrypted OOXML package in an OLE container);
- the zip directory: total uncompressed size and the compression ratio of every part;
- each worksheet's used range: the last row and the widest column holding values. When values lie
  far outside the block of data (a stray cell), the sheet is rewritten in memory without them and
  calamine reads the bounded copy; the ignored cells are named in a warning. A sparse used range
  that cannot be bounded is refused;
- formula cells with no cached value (written by a program, never opened in Excel), which calamine
  would return as empty.

The BIFF formats (.xls/.et) get the same bounds from their cell records (a value at IV65536 alone
costs calamine 1.3 GB): stray cells' records are renamed to a type readers skip, in a copy.
OpenDocument sheets get the same bounds from content.xml (3,000 rows and a value in column XFD cost
calamine 3.5 GB), .xlsb sheets from their cell records.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from coverage_xl.errors import InputError
from coverage_xl.findings import Finding

MAX_UNCOMPRESSED = 1 << 30  # all parts of a package together, inflated (a 330,000-row unit is ~0.2 GB)
MAX_PART_RATIO = 100  # inflated / compressed, for parts other than worksheets (sharedStrings bomb)
RATIO_MIN_SIZE = 8 << 20  # below this inflated size, a high ratio is harmless
MAX_AREA = 1_048_576 * 200  # cells in a sheet's used range: refused above (file.too_large)
FAST_AREA = 12_000_000  # used range (upper bound) below which no cell-by-cell scan is needed
SPARSE_FACTOR = 4  # a used range over FAST_AREA with fewer than 1/4 of its cells filled is refused
ROW_GAP = 10_000  # empty rows that separate the data block from a stray cell below it
COL_GAP = 30  # empty columns that separate the data block from a stray cell to its right
STRAY_NAMED = 5  # stray cells named in the warning

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
FORMAT_NAMES = {"xlsx": "Excel 2007+（.xlsx/.xlsm）", "xlsb": "Excel 二进制（.xlsb）", "ods": "OpenDocument（.ods）",
                "xls": "Excel 97–2003/WPS（.xls/.et）"}
SUFFIX_KIND = {".xlsx": "xlsx", ".xlsm": "xlsx", ".xlsb": "xlsb", ".ods": "ods", ".xls": "xls", ".et": "xls"}

_DIM = re.compile(rb'<dimension\s+ref="([A-Z]*)(\d*)(?::([A-Z]+)(\d+))?"')
_ROW_NUM = re.compile(rb'<row\b[^>]*?\br="(\d+)"')
# A cell whose column is beyond 26 (two letters or more) / beyond 200 (GR): searched, never iterated.
# Cells whose reference comes first (every common writer): wide columns found by a literal search.
_WIDE_2 = re.compile(rb'<c r="[A-Z]{2}')
_WIDE_200 = re.compile(rb'<c r="(?:[A-Z]{3}|[H-Z][A-Z]|G[S-Z])\d')
_DEEP_CELL = re.compile(rb'<c r="[A-Z]{1,3}\d{6}')
_CELL_NOT_REF_FIRST = re.compile(rb'<c(?:>|/>|\s(?!r="))')
_CELL_NO_REF = re.compile(rb'<c(?:>|/>|\s(?![^>]*?\br=")[^>]*>)')
_CELL = re.compile(rb'<c\b[^>]*?\br="([A-Z]{1,3})(\d{1,7})"[^>]*?(/?)>')
_CELL_FULL = re.compile(rb'<c\b[^>]*?\br="([A-Z]{1,3})(\d{1,7})"[^>]*?(?:/>|>.*?</c>)', re.S)
_FORMULA = re.compile(rb"<f[\s>/]")
# The one-pass test of an ordinary sheet, searched inside <sheetData>: a "<c" not followed by a plain
# reference (one letter, at most five digits) as its first attribute — a cell beyond column Z or row
# 99,999, a cell whose reference is missing or not first, or another element (rich-text <color>).
# When nothing matches, every cell calamine will place lies within A1:Z99999 (2.6 M cells, under
# FAST_AREA) and no further scan is needed; otherwise the cell-by-cell checks below decide.
_NOT_PLAIN_CELL = re.compile(rb'<c(?! r="[A-Z]\d{1,5}")')
_ANY_CELL = re.compile(rb"<c[\s>/]")
# A sheet may bind the SpreadsheetML namespace to a prefix (<x:worksheet xmlns:x="…/main">, <x:c r=…>):
# calamine reads such a sheet like any other, so the checks above must see its elements unprefixed.
_MAIN_NS_PREFIX = re.compile(
    rb'xmlns:([A-Za-z_][\w.-]*)\s*=\s*["\'](?:http://schemas\.openxmlformats\.org/spreadsheetml/2006/main'
    rb'|http://purl\.oclc\.org/ooxml/spreadsheetml/main)["\']')


class RefusedError(InputError):
    """The file is over a limit; ``code`` is the finding (file.too_large / file.suspicious).
    :func:`coverage_xl.read.open_workbook` turns it into :class:`UnreadableError`."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code


@dataclass
class Inspection:
    """What the checks found: the real format, notes for the report, and what to read."""

    kind: str  # xlsx | xlsb | ods | xls | encrypted | empty | html | other
    notes: list[Finding] = field(default_factory=list)
    bounded: bytes | None = None  # a rewritten package to read instead of the file (stray cells removed)
    uncached: dict[str, set[tuple[int, int]]] = field(default_factory=dict)  # sheet -> (row, col) formulas


def column_number(letters: bytes | str) -> int:
    n = 0
    for ch in letters if isinstance(letters, str) else letters.decode("ascii"):
        n = n * 26 + ord(ch) - 64
    return n


def cell_name(row: int, col: int) -> str:
    letters = ""
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return f"{letters}{row}"


def sniff(path: Path, head: bytes) -> str:
    """The real format of a file from its first bytes (and, for containers, their directory)."""
    if not head:
        return "empty"
    if head.startswith(b"PK"):
        try:
            with zipfile.ZipFile(path) as z:
                names = set(z.namelist())
                if "mimetype" in names and b"spreadsheet" in z.read("mimetype")[:200]:
                    return "ods"
        except (zipfile.BadZipFile, OSError, KeyError):
            return "xlsx"  # a damaged package: calamine says so
        if "xl/workbook.bin" in names:
            return "xlsb"
        return "xlsx"
    if head.startswith(OLE_MAGIC):
        import olefile

        try:
            with olefile.OleFileIO(str(path)) as ole:
                if ole.exists("EncryptedPackage"):
                    return "encrypted"
                if ole.exists("Workbook") or ole.exists("Book"):
                    return "xls"
        except OSError:
            pass
        return "other"
    if head.lstrip()[:1] == b"<":
        return "html"
    return "other"


def inspect(path: Path, head: bytes) -> Inspection:
    """Check a file before it is read. Raises :class:`RefusedError` when it is over a limit."""
    kind = sniff(path, head)
    found = Inspection(kind)
    expected = SUFFIX_KIND.get(path.suffix.lower())
    if kind in FORMAT_NAMES and expected and kind != expected:
        found.notes.append(Finding("file.format_mismatch", details=(
            ("found", path.suffix.lower()), ("expected", FORMAT_NAMES[kind]))))
    if kind == "xls":
        _check_biff(path, found)
    if kind in ("xlsx", "xlsb", "ods"):
        try:
            with zipfile.ZipFile(path) as z:
                _check_sizes(z)
                if kind == "xlsx":
                    _check_sheets(z, found)
                elif kind == "ods":
                    _check_ods(z, found)
                elif kind == "xlsb":
                    _check_xlsb(z, found)
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, ValueError) as exc:
            # never hand calamine a package that could not be checked
            raise RefusedError("file.unreadable", "文件已损坏（压缩包内容不完整），请重新保存或重新导出") from exc
    return found


def _check_sizes(z: zipfile.ZipFile) -> None:
    """The zip directory alone: the inflated size of all parts, then each part's compression ratio."""
    infos = z.infolist()
    total = sum(info.file_size for info in infos)
    if total > MAX_UNCOMPRESSED:
        raise RefusedError("file.too_large", (
            f"文件解压后共 {total / 2**30:.1f} GB，超过上限 {MAX_UNCOMPRESSED / 2**30:.0f} GB"))
    for info in infos:
        ratio = info.file_size / max(info.compress_size, 1)
        if (info.file_size >= RATIO_MIN_SIZE and ratio > MAX_PART_RATIO
                and not info.filename.startswith("xl/worksheets/")):
            raise RefusedError("file.suspicious", (
                f"文件中的“{info.filename}”压缩前有 {info.file_size / 2**20:.0f} MB，压缩比达 {ratio:.0f} 倍，"
                "远超正常表格（通常不到 20 倍），疑似恶意构造的“压缩炸弹”，未读取"))


# BIFF8 records (MS-XLS 2.3): cells holding a value, and the ones that bound a sheet.
_BIFF_VALUE_CELLS = {0x0203, 0x027E, 0x00FD, 0x0204, 0x0205, 0x0006, 0x00D6}  # NUMBER RK LABELSST LABEL BOOLERR FORMULA RSTRING
_BIFF_MULRK, _BIFF_BOF, _BIFF_EOF, _BIFF_BOUNDSHEET, _BIFF_DIMENSIONS = 0x00BD, 0x0809, 0x000A, 0x0085, 0x0200
_BIFF_IGNORED = 0x0FFF  # a record type no reader knows: a stray cell's record is renamed to it


def _check_biff(path: Path, found: Inspection) -> None:
    """The same bounds for a BIFF .xls/.et (at most 65,536 × 256 cells, which calamine alone holds in
    1.3 GB): cell records far outside the data block are renamed to a record type readers skip, in a
    copy read from memory; the ignored cells are named."""
    import struct
    import tempfile

    import olefile

    with olefile.OleFileIO(str(path)) as ole:
        stream = "Workbook" if ole.exists("Workbook") else "Book"
        data = bytearray(ole.openstream(stream).read())
    names: list[str] = []
    sheets: list[list[tuple[int, int, int]]] = []  # per worksheet: (record offset, row, col) of value cells
    dims: list[int] = []  # offset of each worksheet's DIMENSIONS record (-1: none)
    depth, pos, n = 0, 0, len(data)
    while pos + 4 <= n:
        rtype, size = struct.unpack_from("<HH", data, pos)
        body = pos + 4
        if rtype == _BIFF_BOF:
            depth += 1
            if depth == 1 and names and len(sheets) < len(names) and pos > 0:
                sheets.append([])
                dims.append(-1)
        elif rtype == _BIFF_EOF:
            depth = max(depth - 1, 0)
        elif rtype == _BIFF_BOUNDSHEET and size >= 8 and not sheets:
            cch, high = data[body + 6], data[body + 7] & 1
            raw = bytes(data[body + 8 : body + 8 + cch * (2 if high else 1)])
            names.append(raw.decode("utf-16-le" if high else "latin-1", "replace"))
        elif sheets and depth == 1 and size >= 4:
            if rtype in _BIFF_VALUE_CELLS:
                row, col = struct.unpack_from("<HH", data, body)
                sheets[-1].append((pos, row + 1, col + 1))
            elif rtype == _BIFF_MULRK and size >= 6:
                row, first = struct.unpack_from("<HH", data, body)
                last = struct.unpack_from("<H", data, body + size - 2)[0]
                sheets[-1].append((pos, row + 1, last + 1))
                if first != last:
                    sheets[-1].append((pos, row + 1, first + 1))
            elif rtype == _BIFF_DIMENSIONS and size >= 12:
                dims[-1] = pos
        pos = body + size
    changed = False
    for i, cells in enumerate(sheets):
        if not cells:
            continue
        sheet = names[i] if i < len(names) else str(i + 1)
        box = _data_box(sheet, [(r, c) for _, r, c in cells], found)
        if box is None:
            continue
        row_end, col_end = box
        for off, r, c in cells:
            if r > row_end or c > col_end:
                struct.pack_into("<H", data, off, _BIFF_IGNORED)
                changed = True
        if dims[i] >= 0:
            struct.pack_into("<IIHH", data, dims[i] + 4, 0, row_end, 0, col_end)
    if not changed:
        return
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "bounded.xls"
        copy.write_bytes(path.read_bytes())
        with olefile.OleFileIO(str(copy), write_mode=True) as ole:
            ole.write_stream(stream, bytes(data))
        found.bounded = copy.read_bytes()


_XLSB_VALUE_CELLS = frozenset(range(2, 12))  # BrtCellRk … BrtFmlaError (MS-XLSB 2.4); 1 is BrtCellBlank
_XLSB_ROW, _XLSB_BLANK, _XLSB_WSDIM = 0x0000, 0x0001, 0x0094


def _varint(data: bytes | bytearray, pos: int, most: int) -> tuple[int, int] | None:
    """A 7-bit varint of at most ``most`` bytes at ``pos``: (value, next position); None past the end."""
    value = shift = 0
    for _ in range(most):
        if pos >= len(data):
            return None
        b = data[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            break
    return value, pos


def _xlsb_records(data: bytes | bytearray):
    """(offset, type, body start, body size) of each record: type (2 bytes at most) and size (4) are varints."""
    pos, n = 0, len(data)
    while pos < n:
        start = pos
        rtype = _varint(data, pos, 2)
        size = rtype and _varint(data, rtype[1], 4)
        if not size:
            return
        pos = size[1]
        yield start, rtype[0], pos, size[0]
        pos += size[0]


def _check_xlsb(z: zipfile.ZipFile, found: Inspection) -> None:
    """The same bounds for an Excel binary workbook: a stray value cell far from the data becomes a
    blank cell (its record type rewritten) in a copy, and is named."""
    import struct

    rewritten: dict[str, bytes] = {}
    for part in sorted(n for n in z.namelist() if n.startswith("xl/worksheets/") and n.endswith(".bin")):
        data = bytearray(z.read(part))
        cells: list[tuple[int, int, int]] = []  # (record offset, row, col)
        dim = -1
        row = 0
        for start, rtype, body, size in _xlsb_records(data):
            if rtype == _XLSB_ROW and size >= 4:
                row = struct.unpack_from("<I", data, body)[0] + 1
            elif rtype in _XLSB_VALUE_CELLS and size >= 8:
                cells.append((start, row, struct.unpack_from("<I", data, body)[0] + 1))
            elif rtype == _XLSB_WSDIM and size >= 16:
                dim = body
        box = _data_box(Path(part).stem, [(r, c) for _, r, c in cells], found)
        if box is None:
            continue
        for start, r, c in cells:
            if r > box[0] or c > box[1]:
                data[start] = _XLSB_BLANK  # a one-byte type: the record keeps its length
        if dim >= 0:
            struct.pack_into("<IIII", data, dim, 0, box[0] - 1, 0, box[1] - 1)
        rewritten[part] = bytes(data)
    if rewritten:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as out:
            for info in z.infolist():
                out.writestr(info.filename, rewritten.get(info.filename) or z.read(info.filename))
        found.bounded = buf.getvalue()


_ODS_TOKEN = re.compile(
    rb'<table:table\s[^>]*?table:name="([^"]*)"|<table:table-row\b([^>]*?)(/?)>'
    rb'|<table:(?:covered-)?table-cell\b([^>]*?)(/?)>|</table:table-row>')
_ODS_ROWS = re.compile(rb'table:number-rows-repeated="(\d+)"')
_ODS_COLS = re.compile(rb'table:number-columns-repeated="(\d+)"')
_ODS_CELL_END = b"</table:table-cell>"


def _check_ods(z: zipfile.ZipFile, found: Inspection) -> None:
    """The same bounds for an OpenDocument spreadsheet (3,000 rows and a value in column XFD cost
    calamine 3.5 GB): a stray cell far from the data is emptied in a copy (its position kept by the
    repeat count), and named."""
    from html import unescape

    try:
        data = z.read("content.xml")
    except KeyError:
        return
    sheets: list[tuple[str, list[tuple[int, int, int, int, int]]]] = []  # (name, [(start, end, row, col, n)])
    row = col = 0
    row_span = 1
    for m in _ODS_TOKEN.finditer(data):
        if m.group(1) is not None:
            sheets.append((unescape(m.group(1).decode("utf-8", "replace")), []))
            row, col = 0, 0
        elif m.group(0).startswith(b"</table:table-row"):
            row += row_span
        elif m.group(0).startswith(b"<table:table-row"):
            r = _ODS_ROWS.search(m.group(2))
            row_span, col = (int(r.group(1)) if r else 1), 0
            if m.group(3):
                row += row_span
        elif sheets:
            c = _ODS_COLS.search(m.group(4))
            n = int(c.group(1)) if c else 1
            if not m.group(5):  # a cell with content
                end = data.find(_ODS_CELL_END, m.end())
                end = len(data) if end < 0 else end + len(_ODS_CELL_END)
                for rr in {row + 1, row + row_span}:  # a repeated row or cell spans to its last copy
                    for cc in {col + 1, col + n}:
                        sheets[-1][1].append((m.start(), end, rr, cc, n))
            col += n
    drops: list[tuple[int, int, int]] = []
    for name, cells in sheets:
        box = _data_box(name, [(r, c) for _, _, r, c, _ in cells], found)
        if box is not None:
            drops += [(a, b, n) for a, b, r, c, n in cells if r > box[0] or c > box[1]]
    if not drops:
        return
    drops = sorted(set(drops))
    parts, last = [], 0
    for a, b, n in drops:
        parts += [data[last:a], f'<table:table-cell table:number-columns-repeated="{n}"/>'.encode()]
        last = b
    parts.append(data[last:])
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as out:
        for info in z.infolist():  # mimetype first and stored, as the format asks
            body = b"".join(parts) if info.filename == "content.xml" else z.read(info.filename)
            out.writestr(info.filename, body, zipfile.ZIP_STORED if info.filename == "mimetype" else zipfile.ZIP_DEFLATED)
    found.bounded = buf.getvalue()


def _sheet_parts(z: zipfile.ZipFile) -> list[tuple[str, str]]:
    """(sheet name, part name) of every worksheet, in workbook order (defusedxml for the XML)."""
    from defusedxml import ElementTree

    ns_main = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    ns_rel = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
    try:
        book = ElementTree.fromstring(z.read("xl/workbook.xml"))
        rels = ElementTree.fromstring(z.read("xl/_rels/workbook.xml.rels"))
    except Exception:  # a damaged or hostile package: calamine reports it
        return []
    targets = {r.get("Id"): r.get("Target", "") for r in rels}
    out = []
    for s in book.iter(f"{ns_main}sheet"):
        target = targets.get(s.get(f"{ns_rel}id"), "")
        part = target.lstrip("/") if target.startswith("/") else "xl/" + target
        if part in z.namelist():
            out.append((s.get("name", ""), part))
    return out


def _check_sheets(z: zipfile.ZipFile, found: Inspection) -> None:
    rewritten: dict[str, bytes] = {}
    for sheet, part in _sheet_parts(z):
        data = z.read(part)
        data, unprefixed = _unprefixed(data)
        uncached = _uncached_formulas(data)
        if uncached:
            found.uncached[sheet] = uncached
        keep = _bound(sheet, data, found)
        if keep is not None:
            rewritten[part] = keep
        elif unprefixed:
            rewritten[part] = data  # calamine then reads exactly the XML that was checked
    if rewritten:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as out:
            for info in z.infolist():
                out.writestr(info.filename, rewritten.get(info.filename) or z.read(info.filename))
        found.bounded = buf.getvalue()


_ONE_DEFAULT_NS = re.compile(rb'(<[^<>]*?\sxmlns\s*=\s*"[^"]*")([^<>]*?)\sxmlns\s*=\s*"[^"]*"')  # a tag that had both


def _unprefixed(data: bytes) -> tuple[bytes, bool]:
    """The sheet XML with its SpreadsheetML elements unprefixed (``<x:c r=…>`` → ``<c r=…>``), and
    whether anything changed. Why: every check here searches for ``<c``, ``<row``, ``<sheetData``; a
    prefixed sheet would pass them unseen, and calamine (which reads it) could then be asked for a
    sheet reaching XFD1048576 and abort the process. The declaration becomes the default namespace."""
    prefixes = set(_MAIN_NS_PREFIX.findall(data))
    if not prefixes:
        return data, False
    alternatives = b"|".join(re.escape(p) for p in sorted(prefixes))
    data = re.sub(rb"<(/?)(?:" + alternatives + rb"):", rb"<\1", data)
    data = re.sub(rb"xmlns:(?:" + alternatives + rb")(\s*=)", rb"xmlns\1", data)
    return _ONE_DEFAULT_NS.sub(rb"\1\2", data), True


def _bound(sheet: str, data: bytes, found: Inspection) -> bytes | None:
    """The sheet XML without stray cells (None: nothing to remove). Raises RefusedError."""
    dim = _DIM.search(data, 0, 4096)
    if dim and dim.group(3) and dim.group(4):
        d_rows = int(dim.group(4)) - int(dim.group(2) or 1) + 1
        d_cols = column_number(dim.group(3)) - column_number(dim.group(1) or b"A") + 1
        declared = d_rows * d_cols
    else:
        declared = 0
    if declared <= MAX_AREA and _plain_cells_only(data):
        return None  # every cell within A1:Z99999 (one C-speed search, no list of rows)
    max_row = max(map(int, _ROW_NUM.findall(data)), default=0)
    if max_row < 100_000 and _DEEP_CELL.search(data):  # a cell below its own row element: trust neither
        max_row = 1_048_576
    if _CELL_NOT_REF_FIRST.search(data):  # another attribute first, or no reference: scan cell by cell
        cols = 16384
    elif not _WIDE_2.search(data):
        cols = 26
    elif _WIDE_200.search(data):
        cols = 16384
    else:
        cols = 200
    if max_row * cols <= FAST_AREA and declared <= MAX_AREA:
        return None
    if _CELL_NO_REF.search(data):
        raise RefusedError("file.suspicious", (
            f"工作表“{sheet}”的单元格没有写明位置，且使用区域达 {max_row} 行，无法安全读取。"
            "请在 Excel 中打开后另存为 .xlsx 再提交"))
    cells = [(int(r), column_number(c)) for c, r, empty in _CELL.findall(data) if not empty]
    box = _data_box(sheet, cells, found)
    if box is None:
        return None
    row_end, col_end = box

    def drop(m: re.Match[bytes]) -> bytes:
        r, c = int(m.group(2)), column_number(m.group(1))
        return m.group(0) if r <= row_end and c <= col_end else b""

    return _CELL_FULL.sub(drop, data)


def _plain_cells_only(data: bytes) -> bool:
    """True when every cell of the sheet XML names its reference first, within A1:Z99999."""
    start, end = data.find(b"<sheetData"), data.rfind(b"</sheetData>")
    if start < 0 or end < start:
        return False
    return (not _NOT_PLAIN_CELL.search(data, start + len(b"<sheetData"), end)
            and not _ANY_CELL.search(data, 0, start) and not _ANY_CELL.search(data, end))


def _data_box(sheet: str, cells: list[tuple[int, int]], found: Inspection) -> tuple[int, int] | None:
    """(last row, last column) of the data block when value cells lie far outside it (they are named
    in a ``sheet.stray_cells`` note), None when there is nothing to leave out. Raises RefusedError
    for a used range that stays too large or too sparse."""
    if not cells:
        return None
    row_end = _cluster_end(sorted({r for r, _ in cells}), ROW_GAP)
    col_end = _cluster_end(sorted({c for _, c in cells}), COL_GAP)
    row_start = min(r for r, _ in cells)
    col_start = min(c for _, c in cells)
    stray = sorted({(r, c) for r, c in cells if r > row_end or c > col_end})
    area = (row_end - row_start + 1) * (col_end - col_start + 1)
    inside = len(cells) - len(stray)
    if area > MAX_AREA:
        raise RefusedError("file.too_large", (
            f"工作表“{sheet}”的数据区达 {row_end - row_start + 1} 行 × {col_end - col_start + 1} 列，超过上限"
            "（1,048,576 行 × 200 列）"))
    if area > FAST_AREA and area > SPARSE_FACTOR * inside:
        raise RefusedError("file.suspicious", (
            f"工作表“{sheet}”的使用区域达 {row_end - row_start + 1} 行 × {col_end - col_start + 1} 列，"
            f"但只有 {inside} 个单元格有内容，远超实际数据，读取会耗尽内存。请删除数据区以外的内容后再提交"))
    if not stray:
        return None
    named = "、".join(cell_name(r, c) for r, c in stray[:STRAY_NAMED])
    more = f"等 {len(stray)} 个单元格" if len(stray) > STRAY_NAMED else ""
    found.notes.append(Finding("sheet.stray_cells", sheet=sheet, row=stray[0][0], column=stray[0][1], details=(
        ("detail", named + more), ("expected", cell_name(row_end, col_end)))))
    return row_end, col_end


def _cluster_end(values: list[int], gap: int) -> int:
    """The last value of the run that starts at the first one, where consecutive values are at most
    ``gap`` apart: the data block, without what lies far beyond it."""
    end = values[0]
    for v in values[1:]:
        if v - end > gap:
            break
        end = v
    return end


def _uncached_formulas(data: bytes) -> set[tuple[int, int]]:
    """(row, column) of formula cells with no cached value: calamine would read them as empty."""
    out: set[tuple[int, int]] = set()
    pos = 0
    while True:
        m = _FORMULA.search(data, pos)
        if not m:
            return out
        start = data.rfind(b"<c ", 0, m.start())
        end = data.find(b"</c>", m.end())
        pos = m.end()
        if start < 0 or end < 0:
            continue
        cell = data[start:end]
        v = cell.find(b"<v>")
        cached = v >= 0 and cell[v + 3 : v + 7] != b"</v>"
        if not cached and b'<v>' in cell and b't="str"' in cell[: cell.find(b">")]:
            cached = True  # Excel's cached empty text
        if not cached:
            ref = _CELL.match(cell)
            if ref:
                out.add((int(ref.group(2)), column_number(ref.group(1))))
