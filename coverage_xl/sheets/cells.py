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

Streamed sheets (:mod:`coverage_xl.sheets.stream`, the ledger export's hundreds of thousands of rows)
are written row by row with :func:`stream_row`, under the same rules: text stays text, exactly as
:func:`set_value` keeps it, formula-like text with the quote prefix.

A formula may carry the result it is known to have (:class:`Formula` ``result``), written as the
cell's cached value: openpyxl writes none, and LibreOffice then computes such a cell when something
reads it — for a 37,000-row template, every row on the first edit (see :mod:`coverage_xl.sheets.rowcheck`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from copy import copy
from typing import Any, NamedTuple

from openpyxl.cell.cell import Cell
from openpyxl.compat import safe_string
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter
from openpyxl.worksheet import _writer as sheet_writer
from openpyxl.worksheet.formula import ArrayFormula
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.xml.functions import Element, SubElement

from coverage_xl.spreadsheet_text import FORMULA_STARTS, MAX_CELL_TEXT, cell_text, looks_like_formula

__all__ = ["set_value", "write_value", "write_row", "append_row", "write_formula", "Formula", "StreamStyle",
           "stream_style", "stream_row"]


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


class Formula(ArrayFormula):
    """One of our formulas as an object, with ``result``: the value the formula is known to have when
    the file is written (a number or a text), stored as the cell's cached value so that LibreOffice,
    which trusts cached values when it opens an .xlsx, does not compute the cell until one of its
    inputs changes; None writes no cached value (the cell is computed when read).

    openpyxl writes an ArrayFormula's attributes as given: this one has none (a plain ``<f>``)."""

    def __init__(self, text: str, *, result: str | float | None = None) -> None:
        super().__init__("", text)
        self.result = result

    def __iter__(self):
        return iter(())


def _write_cell(xf, worksheet, cell, styled=None):
    """openpyxl's cell writer, plus the cached value of a :class:`Formula` with a ``result``.

    openpyxl always writes a formula's ``<v>`` empty (its writer has no way to give one), so this
    wraps it: every other cell is written by openpyxl's own function."""
    value = cell._value
    if cell.data_type != "f" or not isinstance(value, Formula) or value.result is None:
        return _openpyxl_write_cell(xf, worksheet, cell, styled)
    attrs = {"r": cell.coordinate}
    if styled:
        attrs["s"] = f"{cell.style_id}"
    if isinstance(value.result, str):
        attrs["t"] = "str"
    el = Element("c", attrs)
    SubElement(el, "f").text = value.text[1:] if value.text.startswith("=") else value.text
    SubElement(el, "v").text = safe_string(value.result)
    xf.write(el)
    return None


_openpyxl_write_cell = getattr(sheet_writer.write_cell, "__wrapped__", sheet_writer.write_cell)
_write_cell.__wrapped__ = _openpyxl_write_cell  # type: ignore[attr-defined]
sheet_writer.write_cell = _write_cell


def write_formula(ws: Worksheet, row: int, column: int, formula: str | ArrayFormula, *,
                  result: str | float | None = None) -> Cell:
    """One of the project's own formulas (never built from input text without quoting it): text
    starting with "=", or an openpyxl formula object (array or shared formula). ``result``: the value
    it is known to have now (see :class:`Formula`)."""
    if not isinstance(formula, ArrayFormula) and (
            not isinstance(formula, str) or not formula.startswith("=") or len(formula) < 2):
        raise ValueError(f"not a formula: {formula!r}")
    if result is not None:
        if not isinstance(formula, str):
            raise ValueError("a result goes with a formula text")
        formula = Formula(formula, result=result)
    cell = ws.cell(row, column)
    cell.value = formula
    if cell.data_type != "f":  # pragma: no cover - openpyxl's own rule; guarded so a change shows
        raise ValueError(f"openpyxl did not take {formula!r} as a formula")
    return cell


class StreamStyle(NamedTuple):
    """A streamed column's cell style: the ``s`` attribute of its cells (its id in the workbook's cell
    styles), and the same style with the quote prefix (for formula-like text)."""

    plain: str
    quoted: str


def stream_style(ws: Any, *, font: Any = None, fill: Any = None, border: Any = None, alignment: Any = None,
                 number_format: str | None = None) -> StreamStyle:
    """Register a style in the workbook of the streamed sheet ``ws`` for :func:`stream_row`."""
    from openpyxl.cell import WriteOnlyCell

    proto = WriteOnlyCell(ws)
    for name, value in (("font", font), ("fill", fill), ("border", border), ("alignment", alignment),
                        ("number_format", number_format)):
        if value is not None:
            setattr(proto, name, value)
    styles = ws.parent._cell_styles
    plain = StyleArray(proto._style) if proto._style is not None else StyleArray()  # an unstyled cell has none
    plain.quotePrefix = 0
    quoted = copy(plain)
    quoted.quotePrefix = 1
    return StreamStyle(f' s="{styles.add(plain)}"', f' s="{styles.add(quoted)}"')


_NO_STYLE = StreamStyle("", "")
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})
_NEEDS_CARE = re.compile(r"[&<>\r\x00-\x08\x0b\x0c\x0e-\x1f]")
"""Text that needs more than copying into the XML: characters to escape, or that XML cannot hold."""
_SAFE_FIRST = frozenset(chr(c) for c in range(0x21, 0x7F)) - FORMULA_STARTS | {chr(c) for c in range(0x4E00, 0xA000)}
"""First characters that settle :func:`looks_like_formula` at once (printable ASCII and CJK ideographs
that are neither a formula start nor white space): most cells of a table."""
_LETTERS = [get_column_letter(c) for c in range(1, 16385)]


def _stream_cell(ref: str, value: object, style: StreamStyle) -> str:
    """One ``<c>`` element exactly as openpyxl writes it for ``set_value(cell, value)``: a string as an
    inline string (never a formula, never an error value); a number, a truth value or nothing as
    openpyxl writes them (numbers as ``%.16g``, like its ``safe_string``)."""
    if isinstance(value, str):
        text = cell_text(value)
        s = style.quoted if looks_like_formula(text) else style.plain
        if text == "":
            return f'<c r="{ref}"{s} t="inlineStr"/>'
        space = ' xml:space="preserve"' if text != text.strip() else ""
        return f'<c r="{ref}"{s} t="inlineStr"><is><t{space}>{text.translate(_ESCAPES)}</t></is></c>'
    s = style.plain
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return f'<c r="{ref}"{s} t="n"/>'
    if isinstance(value, bool):
        return f'<c r="{ref}"{s} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int | float):
        return f'<c r="{ref}"{s} t="n"><v>{value:.16g}</v></c>'
    if hasattr(value, "item") and not isinstance(value, bytes):  # a numpy scalar from a DataFrame
        return _stream_cell(ref, value.item(), style)
    raise TypeError(f"a streamed sheet takes text and numbers, not {type(value).__name__}: {value!r}")


def stream_row(ws: Any, values: Sequence[object], styles: Sequence[StreamStyle | None], *,
               height: float | None = None) -> int:
    """Append a row to the streamed sheet ``ws`` (:class:`coverage_xl.sheets.stream.StreamedSheet`):
    ``values`` from column A, each cell with the style of its column (``styles[i]``, None for no style).

    The cells are those :func:`set_value` makes: text exactly as given (characters XML cannot hold
    replaced, cut at Excel's limit), formula-like text with the quote prefix, a number as a number,
    None as an empty (styled) cell, so that a table's borders have no gaps. Returns the row number.

    Most cells are plain text (names, addresses, IDs): when the row's text holds nothing to escape or
    replace and a cell's first character cannot start a formula, the cell is made here at once; any
    other goes through :func:`_stream_cell`, which decides exactly as :func:`set_value` does."""
    if len(values) != len(styles):
        raise ValueError(f"{len(values)} values for {len(styles)} column styles")
    r = ws.next_row
    texts = [v for v in values if type(v) is str]
    plain_row = _NEEDS_CARE.search("".join(texts)) is None
    cells = [f'<row r="{r}" ht="{height}" customHeight="1">' if height is not None else f'<row r="{r}">']
    for letter, value, style in zip(_LETTERS, values, styles, strict=False):  # _LETTERS: every column
        style = style or _NO_STYLE
        if (plain_row and type(value) is str and value[:1] in _SAFE_FIRST and not value[-1].isspace()
                and len(value) <= MAX_CELL_TEXT):
            cells.append(f'<c r="{letter}{r}"{style.plain} t="inlineStr"><is><t>{value}</t></is></c>')
        else:
            cells.append(_stream_cell(f"{letter}{r}", value, style))
    cells.append("</row>")
    return ws.write_row_xml("".join(cells), len(values))
