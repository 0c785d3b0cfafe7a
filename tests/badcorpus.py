"""Builders for the bad-input corpus of tests/test_bad_input.py and tests/test_nothing_lost.py.

Every case is generated from code (nothing binary is committed): a valid unit workbook from
:mod:`coverage_xl.synth`, then broken in one precise way. Each builder takes a folder and returns the
path it wrote. Builders needing LibreOffice or msoffcrypto-tool raise ``pytest.skip`` when missing.
"""

from __future__ import annotations

import io
import re
import shutil
import struct
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from coverage_xl import synth
from coverage_xl.layout import ANNEX3, ANNEX_LABEL, leaf_headers
from coverage_xl.units import Unit, default_units

UNITS = {u.name: u for u in default_units()}
ROWS = 12  # people per generated sheet: enough to hit every path, small enough to stay fast
FIRST_DATA_ROW = 6  # title, unit line, two header rows, numbering row


def unit(name: str = "南嘴镇") -> Unit:
    return UNITS[name]


def people(u: Unit, n: int = ROWS, seed: int = 8) -> list[synth.Person]:
    """Clean people (no planted errors), adults, so a clean sheet validates with exit 0."""
    return synth.make_people(u, n, seed=seed)


def plain_rows(u: Unit, ps: list[synth.Person], *, total: bool = True) -> list[list[Any]]:
    """The Annex 3 sheet as a grid of values (same rows as ``synth.write_unit_workbook(fast=True)``)."""
    leaves = leaf_headers(ANNEX3)
    rows: list[list[Any]] = [
        [ANNEX_LABEL.format(annex=3), ANNEX3.title],
        [f"填报单位：{u.name}"],
        [leaves[n] if not 8 <= n <= 17 else ("不属于城乡居保覆盖范围（√）" if n == 8 else None) for n in range(1, 21)],
        [None if not 8 <= n <= 17 else leaves[n] for n in range(1, 21)],
        list(range(1, 21)),
    ]
    rows += [[p.values.get(k) for k in ANNEX3.keys] for p in ps]
    if total:
        rows.append(["合计"])
    return rows


def write_grid(path: Path, grid: list[list[Any]], *, title: str = "摸底明细表", down: int = 0, right: int = 0,
               before: list[str] = ()) -> Path:
    """Write a grid with openpyxl (normal mode, so tests can add merges, hiding, formulas after)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    if before:
        ws.title = before[0]
        ws["A1"] = "填表说明：本表为虚构示例数据。"
        for extra in before[1:]:
            wb.create_sheet(extra)["A1"] = "说明"
        ws = wb.create_sheet(title)
    else:
        ws.title = title
    for r, row in enumerate(grid, start=1 + down):
        for c, v in enumerate(row, start=1 + right):
            if v is not None and v != "":
                ws.cell(r, c, v)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def good(folder: Path, name: str = "南嘴镇", n: int = ROWS, *, fname: str | None = None, seed: int = 8) -> Path:
    """A valid, styled submission written by the shared template writer."""
    u = unit(name)
    return synth.write_unit_workbook(folder / (fname or f"{name}_摸底明细表.xlsx"), u, people(u, n, seed))


def good_bytes(tmp: Path) -> bytes:
    return good(tmp / "_src").read_bytes()


# --- files that are not readable workbooks -------------------------------------------------------

def corrupt_zip(folder: Path) -> Path:
    """A real xlsx whose compressed sheet data has been overwritten in the middle."""
    data = bytearray(good_bytes(folder))
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as z:
        info = z.getinfo("xl/worksheets/sheet1.xml")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    for i in range(start + 20, start + min(info.compress_size - 10, 400)):
        data[i] = (data[i] * 7 + 13) & 0xFF
    p = folder / "损坏的压缩包.xlsx"
    p.write_bytes(bytes(data))
    return p


def truncated(folder: Path) -> Path:
    data = good_bytes(folder)
    p = folder / "传输中断.xlsx"
    p.write_bytes(data[: len(data) // 2])
    return p


def encrypted(folder: Path) -> Path:
    """A password-protected workbook: an OLE/CFB container with an EncryptedPackage stream."""
    office = pytest.importorskip("msoffcrypto.format.ooxml", reason="msoffcrypto-tool not installed")
    src = good(folder / "_src")
    p = folder / "加密了的表.xlsx"
    with src.open("rb") as fi, p.open("wb") as fo:
        office.OOXMLFile(fi).encrypt("123456", fo)
    return p


def csv_renamed(folder: Path) -> Path:
    p = folder / "其实是CSV.xlsx"
    p.write_text("行政代码,行政区划,姓名,身份证号码\n430981,南嘴镇,张三,430981196503151236\n", encoding="gbk")
    return p


def html_renamed(folder: Path) -> Path:
    p = folder / "系统导出网页.xlsx"
    p.write_text("<html><head><meta charset='utf-8'></head><body><table><tr><td>行政代码</td><td>姓名</td></tr>"
                 "<tr><td>430981</td><td>张三</td></tr></table></body></html>", encoding="utf-8")
    return p


def zero_bytes(folder: Path) -> Path:
    p = folder / "空文件.xlsx"
    p.write_bytes(b"")
    return p


def lock_file(folder: Path, of: str = "南嘴镇_摸底明细表.xlsx") -> Path:
    """What Excel leaves beside an open workbook: ``~$name``, 165 bytes of owner name."""
    owner = "办公室"
    data = bytes([len(owner)]) + owner.encode("gbk").ljust(53, b" ") + owner.encode("utf-16-le").ljust(110, b" ")
    p = folder / ("~$" + of[2:])
    p.write_bytes(data[:165])
    return p


_INLINE = re.compile(r'<c r="([A-Z]+\d+)"((?: s="\d+")?) t="inlineStr"><is><t(?: xml:space="preserve")?>(.*?)</t></is></c>')
BOMB_DTD = ('<!DOCTYPE sst [<!ENTITY lol0 "lollollollollollollollollollol">'
            + "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)) + "]>")
SST_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def shared_strings_xlsx(src: Path, dest: Path, *, bomb_cell: str | None = None) -> Path:
    """Rewrite an openpyxl workbook (which stores inline strings) the way Excel stores text: in
    xl/sharedStrings.xml. With ``bomb_cell`` (e.g. "C6"), that cell's string is a billion-laughs
    entity (10^9 "lol"s, about 3 GB if a parser expanded it) declared in the part's DTD."""
    strings: list[str] = []

    def to_shared(m: re.Match[str]) -> str:
        text = "&lol9;" if m.group(1) == bomb_cell else m.group(3)
        strings.append(text)
        return f'<c r="{m.group(1)}"{m.group(2)} t="s"><v>{len(strings) - 1}</v></c>'

    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = _INLINE.sub(to_shared, data.decode("utf-8")).encode("utf-8")
            elif item.filename == "[Content_Types].xml":
                data = data.replace(b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                                    b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
            elif item.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace(b"</Relationships>", b'<Relationship Type="http://schemas.openxmlformats.org/'
                                    b'officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml" '
                                    b'Id="rId99"/></Relationships>')
            zout.writestr(item, data)
        sst = "".join(f"<si><t>{t}</t></si>" for t in strings)
        zout.writestr("xl/sharedStrings.xml", '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                      + (BOMB_DTD if bomb_cell else "")
                      + f'<sst xmlns="{SST_NS}" count="{len(strings)}" uniqueCount="{len(strings)}">{sst}</sst>')
    return dest


def entity_bomb(folder: Path) -> Path:
    """A real xlsx whose sharedStrings.xml declares a billion-laughs DTD, used by the first person's 姓名."""
    return shared_strings_xlsx(good(folder / "_src"), folder / "实体炸弹.xlsx", bomb_cell=f"C{FIRST_DATA_ROW}")


# --- readable workbooks with a shape problem -----------------------------------------------------

def empty_workbook(folder: Path) -> Path:
    p = folder / "空工作簿.xlsx"
    openpyxl.Workbook().save(p)
    return p


def no_header(folder: Path) -> Path:
    """A sheet of people without the Annex 3 header (someone pasted only the data)."""
    u = unit()
    grid = [[p.values.get(k) for k in ANNEX3.keys] for p in people(u)]
    return write_grid(folder / "没有表头.xlsx", grid, title="Sheet1")


def shifted(folder: Path, down: int = 3, right: int = 2) -> Path:
    u = unit()
    return write_grid(folder / "表头下移右移.xlsx", plain_rows(u, people(u)), down=down, right=right)


def missing_column(folder: Path, key: str = "phone") -> Path:
    u = unit()
    i = ANNEX3.col(key) - 1
    grid = [r[:i] + r[i + 1:] for r in plain_rows(u, people(u))]
    return write_grid(folder / "少了一列.xlsx", grid)


def extra_columns(folder: Path) -> Path:
    """Two columns after column 20 (a clerk's own notes); the Annex 3 columns are untouched."""
    u = unit()
    grid = plain_rows(u, people(u))
    grid[2] = grid[2] + ["村组核对", "入户日期"]
    for r in grid[5:-1]:
        r += ["已核对", "2020-08-01"]
    return write_grid(folder / "多了两列.xlsx", grid)


def merged_data(folder: Path) -> Path:
    """行政代码 and 行政区划 merged down over the data rows, as clerks do for a column of one value."""
    u = unit()
    ps = people(u)
    p = write_grid(folder / "数据区合并单元格.xlsx", plain_rows(u, ps))
    wb = openpyxl.load_workbook(p)
    ws = wb.active
    last = FIRST_DATA_ROW + len(ps) - 1
    for col in (1, 2):
        ws.cell(FIRST_DATA_ROW, col).value = ps[0].values["code"] if col == 1 else u.name
        ws.merge_cells(start_row=FIRST_DATA_ROW, start_column=col, end_row=last, end_column=col)
    wb.save(p)
    return p


def hidden(folder: Path) -> Path:
    """The Annex 3 sheet hidden behind an instructions sheet, and two data rows hidden."""
    u = unit()
    p = write_grid(folder / "隐藏行和隐藏表.xlsx", plain_rows(u, people(u)), before=["填表说明"])
    wb = openpyxl.load_workbook(p)
    ws = wb["摸底明细表"]
    ws.sheet_state = "hidden"
    for r in (FIRST_DATA_ROW + 1, FIRST_DATA_ROW + 2):
        ws.row_dimensions[r].hidden = True
    wb.active = 0
    wb.save(p)
    return p


def million_formatted_rows(folder: Path, rows: int = 1_048_000) -> Path:
    """A sheet whose rows below the data are formatted (fill) down to the bottom of the sheet — what
    selecting whole rows and colouring them does. Written straight into the sheet XML."""
    src = good(folder / "_src")
    p = folder / "百万空行.xlsx"
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(p, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                text = data.decode("utf-8")
                start = FIRST_DATA_ROW + ROWS + 2
                filler = "".join(f'<row r="{r}" s="1" customFormat="1"><c r="T{r}" s="1"/></row>'
                                 for r in range(start, rows + 1))
                text = text.replace("</sheetData>", filler + "</sheetData>")
                text = _set_dimension(text, f"A1:T{rows}")
                data = text.encode("utf-8")
            zout.writestr(item, data)
    return p


def _set_dimension(xml: str, ref: str) -> str:
    return re.sub(r'<dimension ref="[^"]*"\s*/>', f'<dimension ref="{ref}"/>', xml, count=1)


def chinese_name(folder: Path) -> Path:
    return good(folder, "四季红镇", fname="四季红镇 摸底明细表 （终稿 2020年8月）.xlsx")


# --- LibreOffice -----------------------------------------------------------------------------------

def soffice() -> str:
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    if not exe:
        pytest.skip("LibreOffice (soffice) not installed")
    return exe


def convert(src: Path, fmt: str, outdir: Path) -> Path:
    """``soffice --headless --convert-to fmt`` with a private profile (parallel-safe)."""
    exe = soffice()
    outdir.mkdir(parents=True, exist_ok=True)
    profile = outdir / ".lo-profile"
    subprocess.run([exe, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", fmt,
                    "--outdir", str(outdir), str(src)], check=True, capture_output=True, timeout=180)
    ext = fmt.split(":")[0]
    out = outdir / f"{src.stem}.{ext}"
    assert out.exists(), f"LibreOffice did not write {out}"
    return out


def formulas(folder: Path) -> tuple[Path, list[str]]:
    """Data cells holding formulas (姓名 built with a formula, 出生年月 from the ID with MID), saved by
    LibreOffice so the cached values exist as Excel would store them. Returns (path, expected names)."""
    u = unit()
    ps = people(u)
    grid = plain_rows(u, ps)
    names = []
    for i, r in enumerate(grid[5:-1]):
        row = FIRST_DATA_ROW + i
        name = r[2]
        names.append(name)
        r[2] = f'="{name[0]}"&"{name[1:]}"'
        r[4] = f'=MID(D{row},7,4)&"."&MID(D{row},11,2)'
    raw = write_grid(folder / "_raw" / "公式单元格.xlsx", grid)
    out = convert(raw, "xlsx:Calc MS Excel 2007 XML", folder / "_lo")
    final = folder / "公式单元格.xlsx"
    shutil.move(out, final)
    return final, names


def wps_like_xls(folder: Path) -> Path:
    """A BIFF8 .xls as WPS and old Excel write it (produced by LibreOffice's "MS Excel 97" filter)."""
    src = good(folder / "_src", "新湾镇")
    out = convert(src, "xls:MS Excel 97", folder / "_lo")
    final = folder / "新湾镇_WPS另存.xls"
    shutil.move(out, final)
    return final


# --- workbooks that would take a run down (issue 12 §4) --------------------------------------------

def stray_cell_xfd(folder: Path, n: int = 3000) -> Path:
    """3,000 people and one stray value in column XFD of a data row: calamine alone holds a
    3,006 × 16,384 range (1.9 GB)."""
    u = unit()
    p = write_grid(folder / "三千行加一个XFD单元格.xlsx", plain_rows(u, people(u, n)))
    wb = openpyxl.load_workbook(p)
    wb.active["XFD10"] = "误输入"
    wb.save(p)
    return p


def corner_value(folder: Path) -> Path:
    """A clean sheet plus one value at XFD1048576: calamine alone aborts the process (512 GB)."""
    u = unit()
    p = write_grid(folder / "右下角有一个值.xlsx", plain_rows(u, people(u)))
    wb = openpyxl.load_workbook(p)
    wb.active["XFD1048576"] = 1
    wb.save(p)
    return p


def _rewrite_part(src: Path, dest: Path, part: str, data: bytes) -> Path:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            zout.writestr(item, data if item.filename == part else zin.read(item.filename))
    return dest


def _prefixed(src: Path, dest: Path) -> Path:
    """The same workbook with its sheet's SpreadsheetML elements written as <x:…> (a valid namespace
    prefix, as some generators write it): calamine reads it like the original."""
    with zipfile.ZipFile(src) as z:
        xml = z.read("xl/worksheets/sheet1.xml").decode("utf-8")
    xml = xml.replace('<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"',
                      '<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"', 1)
    xml = re.sub(r"<(/?)(?![?!])(?![A-Za-z]+:)([A-Za-z]+)", r"<\1x:\2", xml)
    return _rewrite_part(src, dest, "xl/worksheets/sheet1.xml", xml.encode("utf-8"))


def prefixed_clean(folder: Path) -> Path:
    """A clean 12-person sheet whose XML uses the x: prefix: read and counted like any other."""
    u = unit()
    (folder / "_src_prefixed").mkdir(exist_ok=True)
    src = write_grid(folder / "_src_prefixed" / "前缀.xlsx", plain_rows(u, people(u)))
    return _prefixed(src, folder / "命名空间前缀.xlsx")


def prefixed_corner(folder: Path) -> Path:
    """corner_value written with the x: prefix: the pre-check searched for "<c r=" and missed every
    cell, and calamine aborted the process (512 GB) on XFD1048576."""
    (folder / "_src_prefixed_corner").mkdir(exist_ok=True)
    src = corner_value(folder / "_src_prefixed_corner")
    return _prefixed(src, folder / "命名空间前缀_右下角有一个值.xlsx")


def shared_strings_bomb(folder: Path, mb: int = 40) -> Path:
    """sharedStrings.xml holding one 40 MB string of one letter: 40 KB compressed (ratio ~1000)."""
    src = shared_strings_xlsx(good(folder / "_src"), folder / "_src" / "共享字符串.xlsx")
    with zipfile.ZipFile(src) as z:
        sst = z.read("xl/sharedStrings.xml")
    big = sst.replace(b"<si><t>", b"<si><t>" + b"a" * (mb << 20), 1)
    return _rewrite_part(src, folder / "共享字符串炸弹.xlsx", "xl/sharedStrings.xml", big)


def declared_huge(folder: Path, size: int = 3 << 30) -> Path:
    """A package whose directory declares a 3 GB sharedStrings part (the sizes are forged)."""
    src = shared_strings_xlsx(good(folder / "_src"), folder / "_src" / "共享字符串.xlsx")
    data = bytearray(src.read_bytes())
    name = b"xl/sharedStrings.xml"
    pos = data.find(b"PK\x01\x02")
    while pos >= 0:
        n = int.from_bytes(data[pos + 28 : pos + 30], "little")
        if data[pos + 46 : pos + 46 + n] == name:
            data[pos + 24 : pos + 28] = size.to_bytes(4, "little")
        pos = data.find(b"PK\x01\x02", pos + 4)
    p = folder / "声明解压后3GB.xlsx"
    p.write_bytes(bytes(data))
    return p


# --- input files in another shape (issue 12 §5) ----------------------------------------------------

def formula_uncached(folder: Path) -> tuple[Path, list[tuple[int, int]]]:
    """Two names written as formulas by a program (openpyxl stores no cached value); returns the path
    and the (row, column) of those cells."""
    u = unit()
    grid = plain_rows(u, people(u))
    cells = []
    for i in (1, 4):
        grid[5 + i][2] = f'="某"&"{i}"'
        cells.append((FIRST_DATA_ROW + i, 3))
    return write_grid(folder / "公式未计算.xlsx", grid), cells


def rows_after_total(folder: Path) -> Path:
    """A village subtotal (小计) after 6 people, 合计 after 10, then 2 more people and a signature
    line: rows 6–11, 13–16 and 18–19 are people; 12 and 17 are totals, 20 is a signature."""
    u = unit()
    rows = plain_rows(u, people(u), total=False)
    head, data = rows[:5], rows[5:]
    grid = head + data[:6] + [["", "新建村小计"]] + data[6:10] + [["合计"]] + data[10:] + \
        [["填表人：王某某", "", "", "", "", "", "审核人：李某某"]]
    return write_grid(folder / "合计行后还有数据.xlsx", grid)


def xls_named_xlsx(folder: Path) -> Path:
    """A BIFF8 .xls someone renamed to .xlsx (the content is readable; the extension is wrong)."""
    src = good(folder / "_src", "新湾镇", fname="新湾镇_改名.xlsx")
    out = convert(src, "xls:MS Excel 97", folder / "_lo_renamed")
    final = folder / "新湾镇_其实是xls.xlsx"
    shutil.move(out, final)
    return final


def ods_named_xls(folder: Path) -> Path:
    """An OpenDocument spreadsheet saved by WPS/LibreOffice under a .xls name."""
    src = good(folder / "_src", "草尾镇", fname="草尾镇_改名.xlsx")
    out = convert(src, "ods", folder / "_lo_ods")
    final = folder / "草尾镇_其实是ods.xls"
    shutil.move(out, final)
    return final


def wps_et(folder: Path) -> Path:
    """WPS's own spreadsheet format (.et): a BIFF workbook in an OLE container, as .xls is."""
    src = good(folder / "_src", "琼湖街道", fname="琼湖街道_et.xlsx")
    out = convert(src, "xls:MS Excel 97", folder / "_lo_et")
    final = folder / "琼湖街道_WPS表格.et"
    shutil.move(out, final)
    return final


def xls_stray_corner(folder: Path) -> Path:
    """A BIFF .xls with one value at IV65536, its last cell: calamine alone holds 65,536 × 256 cells
    (1.3 GB)."""
    u = unit()
    src = write_grid(folder / "_src_xls" / "xls右下角有一个值.xlsx", plain_rows(u, people(u)))
    wb = openpyxl.load_workbook(src)
    wb.active["IV65536"] = 1
    wb.save(src)
    out = convert(src, "xls:MS Excel 97", folder / "_lo_xls_corner")
    final = folder / "xls右下角有一个值.xls"
    shutil.move(out, final)
    return final


def ods_stray_xfd(folder: Path) -> Path:
    """3,000 people and a stray value at XFD10, saved as .ods: calamine alone takes 3.5 GB."""
    src = stray_cell_xfd(folder / "_src_ods_stray")
    out = convert(src, "ods", folder / "_lo_ods_stray")
    final = folder / "三千行加一个XFD单元格.ods"
    shutil.move(out, final)
    return final


def ods_corner(folder: Path) -> Path:
    """A clean sheet and one value at XFD1048576, saved as .ods: calamine alone refuses the range."""
    src = corner_value(folder / "_src_ods_corner")
    out = convert(src, "ods", folder / "_lo_ods_corner")
    final = folder / "右下角有一个值.ods"
    shutil.move(out, final)
    return final


# --- Excel binary workbooks (.xlsb), written record by record ---------------------------------------

def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _rec(rtype: int, body: bytes = b"") -> bytes:
    return _varint(rtype) + _varint(len(body)) + body


def _wide(s: str) -> bytes:
    return struct.pack("<I", len(s)) + s.encode("utf-16-le")


def write_xlsb(path: Path, grid: list[list[Any]], extra: tuple[tuple[int, int, Any], ...] = ()) -> Path:
    """A minimal Excel binary workbook (MS-XLSB records: BrtRowHdr, BrtCellReal, BrtCellSt, BrtWsDim)
    holding ``grid`` and the ``extra`` (0-based row, column, value) cells; no xlsb writer is kept."""
    cells = {}
    for r, row in enumerate(grid):
        for c, v in enumerate(row):
            if v is not None and v != "":
                cells[(r, c)] = v
    for (r, c, v) in extra:
        cells[(r, c)] = v
    sheet = bytearray(_rec(0x0081))
    rmax = max(r for r, _ in cells)
    cmax = max(c for _, c in cells)
    sheet += _rec(0x0094, struct.pack("<IIII", 0, rmax, 0, cmax))
    sheet += _rec(0x0091)
    for r in sorted({r for r, _ in cells}):
        sheet += _rec(0x0000, struct.pack("<IIHHBB", r, 0, 0, 0, 0, 0) + struct.pack("<I", 0))
        for (rr, c) in sorted(k for k in cells if k[0] == r):
            v = cells[(rr, c)]
            head = struct.pack("<II", c, 0)
            if isinstance(v, int | float) and not isinstance(v, bool):
                sheet += _rec(0x0005, head + struct.pack("<d", float(v)))
            else:
                sheet += _rec(0x0006, head + _wide(str(v)))
    sheet += _rec(0x0092) + _rec(0x0082)
    book = (_rec(0x0083) + _rec(0x008F) + _rec(0x009C, struct.pack("<II", 0, 1) + _wide("rId1") + _wide("摸底明细表"))
            + _rec(0x0090) + _rec(0x0084))
    ct = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
          '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
          '<Override PartName="/xl/workbook.bin" ContentType="application/vnd.ms-excel.sheet.binary.macroEnabled.main"/>'
          '<Override PartName="/xl/worksheets/sheet1.bin" ContentType="application/vnd.ms-excel.worksheet"/></Types>')
    rels = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.bin"/></Relationships>')
    wrels = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
             '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.bin"/></Relationships>')
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", ct)
        z.writestr("_rels/.rels", rels)
        z.writestr("xl/workbook.bin", book)
        z.writestr("xl/_rels/workbook.bin.rels", wrels)
        z.writestr("xl/worksheets/sheet1.bin", bytes(sheet))
    return path


def xlsb_stray_xfd(folder: Path) -> Path:
    """3,000 people and a stray value at XFD10 in an .xlsb: calamine alone takes 1.9 GB."""
    u = unit()
    return write_xlsb(folder / "三千行加一个XFD单元格.xlsb", plain_rows(u, people(u, 3000)), ((9, 16383, "误输入"),))


def xlsb_corner(folder: Path) -> Path:
    """A clean .xlsb sheet and one value at XFD1048576: calamine alone aborts the process."""
    u = unit()
    return write_xlsb(folder / "右下角有一个值.xlsb", plain_rows(u, people(u)), ((1048575, 16383, 1),))
