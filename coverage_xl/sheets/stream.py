"""Streamed sheets: tables of hundreds of thousands of rows written in seconds, in bounded memory.

A city's ledger export is 21 workbooks and about 2.8 million cells. Through openpyxl's cell objects
each cell costs a Python object while the sheet is drawn and an lxml element when it is saved
(about 15 µs a cell on this project's 2-core VM: 45 s and 1.1 GB for the export). A streamed sheet
is an openpyxl write-only worksheet whose rows are not openpyxl cells: :func:`coverage_xl.sheets.cells.stream_row`
(the one cell writer, with the same rules as :func:`~coverage_xl.sheets.cells.set_value`) turns each
row into the ``<row>`` XML openpyxl itself would write and appends it to a temporary file. When the
workbook is saved (through :func:`coverage_xl.sheets.frame.save_workbook`, as every workbook),
openpyxl writes everything else of the sheet — column widths, frozen panes, merged cells, filter,
print setup, header and footer — and the rows are put in its empty ``<sheetData>``.

So a streamed sheet is drawn top to bottom once: set widths, panes and print setup freely until the
workbook is saved, but rows only by appending them in order, a row's height with the row
(``stream_row(…, height=…)``, never ``ws.row_dimensions``, which would put rows of openpyxl's own into
the sheet: :meth:`StreamedSheet.close` refuses that rather than write a sheet with rows twice).
"""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path
from typing import IO

from openpyxl import Workbook
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet.cell_range import CellRange

_EMPTY_SHEET_DATA = re.compile(rb"<sheetData\s*/>|<sheetData>\s*</sheetData>")


class StreamedSheet(WriteOnlyWorksheet):
    """A write-only worksheet whose rows are XML written by :func:`coverage_xl.sheets.cells.stream_row`."""

    def __init__(self, parent: Workbook, title: str | None = None) -> None:
        super().__init__(parent, title)
        self._body: IO[bytes] = tempfile.TemporaryFile(prefix="cxl-rows-")
        self.rows_written = 0
        self.columns_used = 0

    def write_row_xml(self, xml: str, width: int) -> int:
        """Append one ``<row>`` element (made by the cell writer); returns its row number."""
        self._body.write(xml.encode("utf-8"))
        self.rows_written += 1
        self.columns_used = max(self.columns_used, width)
        return self.rows_written

    @property
    def next_row(self) -> int:
        return self.rows_written + 1

    def merge(self, first_row: int, first_column: int, last_row: int, last_column: int) -> None:
        """Merge a range (a write-only sheet has no cells to clear under it)."""
        self.merged_cells.add(CellRange(min_row=first_row, min_col=first_column, max_row=last_row,
                                        max_col=last_column))

    def calculate_dimension(self) -> str:
        """The used range, for the sheet's ``<dimension>`` (openpyxl asks when it writes the sheet)."""
        return f"A1:{get_column_letter(max(self.columns_used, 1))}{max(self.rows_written, 1)}"

    def close(self) -> None:
        """openpyxl writes the sheet around an empty ``<sheetData>``; the streamed rows go inside."""
        super().close()  # no row was appended through openpyxl: its sheetData is empty
        out = Path(self._writer.out)
        xml = out.read_bytes()
        match = _EMPTY_SHEET_DATA.search(xml)
        if match is None:  # row_dimensions were set, or openpyxl changed its layout
            raise RuntimeError("openpyxl wrote rows of its own into a streamed sheet")
        self._body.seek(0)
        with out.open("wb") as fh:
            fh.write(xml[:match.start()])
            fh.write(b"<sheetData>")
            shutil.copyfileobj(self._body, fh, 1 << 20)
            fh.write(b"</sheetData>")
            fh.write(xml[match.end():])
        self._body.close()


def streamed_workbook() -> Workbook:
    """An empty write-only workbook for :func:`add_sheet`."""
    return Workbook(write_only=True)


def add_sheet(wb: Workbook, title: str | None = None) -> StreamedSheet:
    """A new streamed sheet at the end of ``wb`` (a write-only workbook)."""
    if not wb.write_only:
        raise ValueError("streamed sheets belong in a write-only workbook (streamed_workbook())")
    ws = StreamedSheet(parent=wb, title=title)
    wb._add_sheet(ws)
    return ws
