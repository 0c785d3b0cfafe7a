"""The one way a value reaches a worksheet cell: data is never a formula; our formulas are explicit.

openpyxl turns any string that starts with ``=`` into a formula, and ``#N/A``-like strings into
error values. A name, address or 备注 typed by a town as ``=HYPERLINK("http://x","点我")`` would then
go back to the towns as a live formula. So every writer in the project puts values through
:func:`write_value` (or :func:`set_value`, :func:`write_row`, :func:`append_row`), which stores every
string as a string cell, exactly as given (see :mod:`coverage_xl.spreadsheet_text` for why the
text is kept literally and how formula-like text also gets Excel's quote prefix).

The project's own formulas — the template's 合计 checks, the estimator — go through
:func:`write_formula`, which is the only place a formula is made, and refuses anything else.
Tests read every output back and accept a formula cell only where a job wrote one on purpose.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from openpyxl.cell.cell import Cell
from openpyxl.styles.cell_style import StyleArray
from openpyxl.worksheet.formula import ArrayFormula
from openpyxl.worksheet.worksheet import Worksheet

from coverage_xl.spreadsheet_text import cell_text, looks_like_formula

__all__ = ["set_value", "write_value", "write_row", "append_row", "write_formula"]


def set_value(cell: Any, value: object) -> Any:
    """Give ``cell`` the value ``value``; a string is always stored as text, exactly as given."""
    if isinstance(value, str):
        text = cell_text(str(value))  # what openpyxl's own check does (XML-illegal characters, length)
        cell._value = text  # bound directly, as openpyxl's reader does: never 'f' (=…) nor 'e' (#N/A …)
        cell.data_type = "s"
        if looks_like_formula(text):
            cell.quotePrefix = True
        elif cell._style is not None and cell._style.quotePrefix:
            cell.quotePrefix = False
    else:
        cell.value = value
        if cell.data_type in ("f", "e"):  # a str subclass or a formula object: still data
            cell.data_type = "s"
            cell._value = "" if cell._value is None else str(cell._value)
    return cell


def write_value(ws: Worksheet, row: int, column: int, value: object, *, style: StyleArray | None = None) -> Cell:
    """``ws.cell(row, column, value)`` that can never produce a formula; returns the cell.

    ``style``: a finished style array for a new cell (say, a table's first body row's, for every row
    after it). A city's ledger export is millions of cells; making each one with its style, instead of
    looking it up through ``ws.cell`` and styling it one attribute at a time, halves the drawing time."""
    if style is None:
        return set_value(ws.cell(row, column), value)
    cell = Cell(ws, row=row, column=column, style_array=style)
    ws._add_cell(cell)
    return set_value(cell, value)


def write_row(ws: Worksheet, row: int, values: Iterable[object], *, start: int = 1) -> list[Cell]:
    """Write ``values`` along ``row`` from column ``start``; returns the cells."""
    return [write_value(ws, row, c, v) for c, v in enumerate(values, start=start)]


def append_row(ws: Any, values: Iterable[object]) -> int:
    """``ws.append(values)`` through :func:`set_value`; works on write-only sheets too.

    Returns the row written (0 for a write-only sheet, which has no addressable rows)."""
    values = list(values)
    if not isinstance(ws, Worksheet):  # write-only: cells are built here and streamed
        from openpyxl.cell import WriteOnlyCell

        ws.append([set_value(WriteOnlyCell(ws), v) for v in values])
        return 0
    row = ws._current_row + 1  # where ws.append would write
    write_row(ws, row, values)
    ws._current_row = max(ws._current_row, row)  # an empty row still takes its place, as in ws.append
    return row


def write_formula(ws: Worksheet, row: int, column: int, formula: str | ArrayFormula) -> Cell:
    """One of the project's own formulas (never built from input text without quoting it): text
    starting with "=", or an openpyxl formula object (array or shared formula)."""
    if not isinstance(formula, ArrayFormula) and (
            not isinstance(formula, str) or not formula.startswith("=") or len(formula) < 2):
        raise ValueError(f"not a formula: {formula!r}")
    cell = ws.cell(row, column)
    cell.value = formula
    if cell.data_type != "f":  # pragma: no cover - openpyxl's own rule; guarded so a change shows
        raise ValueError(f"openpyxl did not take {formula!r} as a formula")
    return cell
