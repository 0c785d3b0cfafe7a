"""The one-search pre-check of an ordinary sheet (precheck._plain_cells_only) lets through only
sheets whose every cell lies within A1:Z99999 and names its reference first; anything else goes to
the cell-by-cell checks, which bound or refuse it."""

from __future__ import annotations

import io
import zipfile

import pytest
from openpyxl import Workbook

from coverage_xl import precheck

HEAD = b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><cols><col min="1" max="3" width="9"/></cols><sheetData>'
TAIL = b"</sheetData></worksheet>"


def sheet(cells: bytes, after: bytes = b"") -> bytes:
    return HEAD + b'<row r="1"><c r="A1" t="s"><v>0</v></c><c r="Z99999"><v>1</v></c>' + cells + b"</row>" + TAIL + after


def test_an_ordinary_sheet_is_settled_by_one_search():
    assert precheck._plain_cells_only(sheet(b'<c r="B2" s="1"><v>2</v></c><c r="C3"/>'))


@pytest.mark.parametrize("cells,after", [
    (b'<c r="AA1"><v>1</v></c>', b""),  # beyond column Z
    (b'<c r="XFD1"><v>1</v></c>', b""),
    (b'<c r="A100000"><v>1</v></c>', b""),  # beyond row 99,999
    (b'<c r="A1048576"><v>1</v></c>', b""),
    (b'<c s="1" r="B2"><v>1</v></c>', b""),  # reference not first
    (b"<c><v>1</v></c>", b""),  # no reference
    (b"<c/>", b""),
    (b'<c\tr="B2"><v>1</v></c>', b""),
    (b'<c r="B2" t="inlineStr"><is><r><rPr><color rgb="FFFF0000"/></rPr><t>x</t></r></is></c>', b""),  # rich text
    (b"", b'<c r="XFD1048576"><v>1</v></c>'),  # a cell outside <sheetData>
])
def test_anything_unusual_goes_to_the_cell_by_cell_checks(cells, after):
    assert not precheck._plain_cells_only(sheet(cells, after))
    assert not precheck._plain_cells_only(HEAD.replace(b"<sheetData>", b"<sheetData/>") + b"</worksheet>")


def test_a_stray_cell_beyond_column_z_is_still_found_named_and_left_out(tmp_path):
    wb = Workbook()
    ws = wb.active
    for r in range(1, 1001):
        ws.cell(r, 1, f"v{r}")
    ws["XFD2"] = "stray"  # 1,000 rows × 16,384 columns for calamine
    path = tmp_path / "wide.xlsx"
    wb.save(path)
    with zipfile.ZipFile(io.BytesIO(path.read_bytes())) as z:
        assert not precheck._plain_cells_only(z.read("xl/worksheets/sheet1.xml"))
    found = precheck.inspect(path, path.read_bytes()[:8])
    assert [(n.code, n.row, n.column) for n in found.notes] == [("sheet.stray_cells", 2, 16384)]
    assert found.bounded is not None
