"""STAND-IN for the few xlwings calls coverage_xl.excel makes — the one stand-in in this suite.

It is not xlwings and not Excel: it models exactly the calls the macros use (Book.caller,
set_mock_caller, sheets by name / active / add / iteration, used_range.last_cell, range by A1 or
(row, col) pairs, value (2-D in and out, options(ndim=2)), number_format, color, note/add_note,
merge, column_width, font.bold, sheet.clear/activate, app.status_bar / screen_updating / alert;
for the add-in: ``books.active``, ``book.names[...].refers_to`` and Excel's file picker
``app.api.GetOpenFilename``, which returns the paths a test put in ``app.api.picked``),
plus one Excel behaviour the macros must respect: text that looks like a number, assigned as a
value to a cell not formatted as text ("@"), becomes a number (and an 18-digit ID loses digits).

``load_book`` fills a stand-in book from a real .xlsx (values and number formats, via openpyxl);
``to_openpyxl`` turns it back into a workbook that the library's readers can check independently.
The real thing is exercised in tests/excel_only/ where Excel exists.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from openpyxl.utils import column_index_from_string, get_column_letter, range_boundaries

_NUMBER = re.compile(r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$")


def _excel_number(text: str) -> float:
    """What Excel keeps of a number: 15 significant digits."""
    return float(f"{float(text):.15g}")


class AppApi:
    """Excel's Application object, for the one call the macros make on it: the file picker."""

    def __init__(self) -> None:
        self.picked: list[str] = []  # what the clerk selects; [] = Cancel
        self.calls: list[dict[str, Any]] = []

    def GetOpenFilename(self, FileFilter: str = "", Title: str = "", MultiSelect: bool = False) -> Any:  # noqa: N802, N803
        self.calls.append({"FileFilter": FileFilter, "Title": Title, "MultiSelect": MultiSelect})
        if not self.picked:
            return False  # what Excel returns on Cancel
        return tuple(self.picked) if MultiSelect else self.picked[0]


class App:
    def __init__(self) -> None:
        self.api = AppApi()
        self.status_bar: str | bool = False
        self.status_history: list[str | bool] = []
        self.screen_updating = True
        self.alerts: list[dict[str, Any]] = []

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "status_bar" and "status_history" in self.__dict__:
            self.status_history.append(value)
        super().__setattr__(name, value)

    def alert(self, prompt: str, title: str | None = None, buttons: str = "ok", mode: str | None = None,
              callback: str | None = None) -> str:
        self.alerts.append({"prompt": prompt, "title": title, "mode": mode})
        return "ok"


class Note:
    def __init__(self, sheet: Sheet, key: tuple[int, int]) -> None:
        self._sheet, self._key = sheet, key

    @property
    def text(self) -> str:
        return self._sheet.notes[self._key]

    def delete(self) -> None:
        del self._sheet.notes[self._key]


class Font:
    def __init__(self, rng: Range) -> None:
        self._rng = rng

    @property
    def bold(self) -> bool:
        return all(k in self._rng.sheet.bold for k in self._rng.keys())

    @bold.setter
    def bold(self, value: bool) -> None:
        for k in self._rng.keys():
            (self._rng.sheet.bold.add if value else self._rng.sheet.bold.discard)(k)


class Range:
    def __init__(self, sheet: Sheet, r1: int, c1: int, r2: int, c2: int, ndim: int | None = None) -> None:
        self.sheet, self.r1, self.c1, self.r2, self.c2, self._ndim = sheet, r1, c1, r2, c2, ndim

    def keys(self) -> list[tuple[int, int]]:
        return [(r, c) for r in range(self.r1, self.r2 + 1) for c in range(self.c1, self.c2 + 1)]

    @property
    def row(self) -> int:
        return self.r1

    @property
    def column(self) -> int:
        return self.c1

    @property
    def last_cell(self) -> Range:
        return Range(self.sheet, self.r2, self.c2, self.r2, self.c2)

    @property
    def address(self) -> str:
        return f"${get_column_letter(self.c1)}${self.r1}"

    def options(self, ndim: int | None = None, **_: Any) -> Range:
        return Range(self.sheet, self.r1, self.c1, self.r2, self.c2, ndim)

    @property
    def value(self) -> Any:
        rows = [[self.sheet.cells.get((r, c)) for c in range(self.c1, self.c2 + 1)] for r in range(self.r1, self.r2 + 1)]
        if self._ndim == 2:
            return rows
        if len(rows) == 1 and len(rows[0]) == 1:
            return rows[0][0]
        return rows[0] if len(rows) == 1 else rows

    @value.setter
    def value(self, data: Any) -> None:
        if isinstance(data, list | tuple) and data and isinstance(data[0], list | tuple):
            for i, row in enumerate(data):
                for j, v in enumerate(row):
                    self.sheet.put(self.r1 + i, self.c1 + j, v)
        elif isinstance(data, list | tuple):
            for j, v in enumerate(data):
                self.sheet.put(self.r1, self.c1 + j, v)
        else:
            for r, c in self.keys():
                self.sheet.put(r, c, data)

    @property
    def number_format(self) -> str:
        return self.sheet.formats.get((self.r1, self.c1), "General")

    @number_format.setter
    def number_format(self, fmt: str) -> None:
        for k in self.keys():
            self.sheet.formats[k] = fmt

    @property
    def color(self) -> str | None:
        return self.sheet.colors.get((self.r1, self.c1))

    @color.setter
    def color(self, value: str | None) -> None:
        for k in self.keys():
            if value is None:
                self.sheet.colors.pop(k, None)
            else:
                self.sheet.colors[k] = value

    @property
    def note(self) -> Note | None:
        key = (self.r1, self.c1)
        return Note(self.sheet, key) if key in self.sheet.notes else None

    def add_note(self, text: str) -> Note:
        key = (self.r1, self.c1)
        if key in self.sheet.notes:
            raise ValueError("the cell already has a note")
        self.sheet.notes[key] = text
        return Note(self.sheet, key)

    def merge(self, across: bool = False) -> None:
        self.sheet.merges.append((self.r1, self.c1, self.r2, self.c2))

    @property
    def column_width(self) -> float | None:
        return self.sheet.widths.get(self.c1)

    @column_width.setter
    def column_width(self, w: float) -> None:
        for c in range(self.c1, self.c2 + 1):
            self.sheet.widths[c] = w

    @property
    def font(self) -> Font:
        return Font(self)


def _parse_ref(ref: str) -> tuple[int, int, int, int]:
    if ":" not in ref:
        m = re.fullmatch(r"\$?([A-Za-z]+)\$?(\d+)", ref)
        assert m, ref
        c, r = column_index_from_string(m.group(1).upper()), int(m.group(2))
        return r, c, r, c
    c1, r1, c2, r2 = range_boundaries(ref.replace("$", ""))
    return r1, c1, r2, c2


class Sheet:
    def __init__(self, book: Book, name: str) -> None:
        self.book, self.name = book, name
        self.cells: dict[tuple[int, int], Any] = {}
        self.formats: dict[tuple[int, int], str] = {}
        self.colors: dict[tuple[int, int], str] = {}
        self.notes: dict[tuple[int, int], str] = {}
        self.bold: set[tuple[int, int]] = set()
        self.merges: list[tuple[int, int, int, int]] = []
        self.widths: dict[int, float] = {}

    def put(self, r: int, c: int, v: Any) -> None:
        """Assign a value as Excel does: numeric-looking text becomes a number unless the cell is text."""
        if isinstance(v, str) and v == "":
            v = None
        if isinstance(v, str) and _NUMBER.match(v) and self.formats.get((r, c)) != "@":
            v = _excel_number(v)
        elif isinstance(v, int) and not isinstance(v, bool):
            v = float(v)  # xlwings hands numbers back as floats
        if v is None:
            self.cells.pop((r, c), None)
        else:
            self.cells[(r, c)] = v

    def range(self, a: Any, b: Any = None) -> Range:
        if isinstance(a, str):
            r1, c1, r2, c2 = _parse_ref(a)
        else:
            r1, c1 = a
            r2, c2 = b if b is not None else a
        return Range(self, r1, c1, r2, c2)

    def __getitem__(self, ref: str) -> Range:
        return self.range(ref)

    @property
    def used_range(self) -> Range:
        keys = set(self.cells) | set(self.formats)
        if not keys:
            return Range(self, 1, 1, 1, 1)
        return Range(self, min(r for r, _ in keys), min(c for _, c in keys), max(r for r, _ in keys),
                     max(c for _, c in keys))

    def clear(self) -> None:
        for store in (self.cells, self.formats, self.colors, self.notes):
            store.clear()
        self.bold.clear()
        self.merges.clear()

    def activate(self) -> None:
        self.book.sheets.active = self


class Sheets:
    def __init__(self, book: Book) -> None:
        self.book = book
        self._list: list[Sheet] = []
        self.active: Sheet | None = None

    def __iter__(self):
        return iter(list(self._list))

    def __len__(self) -> int:
        return len(self._list)

    def __getitem__(self, key: int | str) -> Sheet:
        if isinstance(key, int):
            return self._list[key]
        for s in self._list:
            if s.name.lower() == key.lower():
                return s
        raise KeyError(key)

    def add(self, name: str | None = None, before: Sheet | None = None, after: Sheet | None = None) -> Sheet:
        sheet = Sheet(self.book, name or f"Sheet{len(self._list) + 1}")
        if after is not None:
            self._list.insert(self._list.index(after) + 1, sheet)
        elif before is not None:
            self._list.insert(self._list.index(before), sheet)
        else:
            self._list.insert(0, sheet)
        self.active = sheet
        return sheet


class Name:
    def __init__(self, refers_to: str) -> None:
        self.refers_to = refers_to


class Book:
    _mock_caller: Book | None = None

    def __init__(self, fullname: str | Path = "Book1") -> None:
        self.fullname = str(fullname)
        self.name = Path(self.fullname).name
        self.app = App()
        self.sheets = Sheets(self)
        self.names: dict[str, Name] = {}

    @classmethod
    def caller(cls) -> Book:
        if Book._mock_caller is None:
            raise Exception("Book.caller() must not be called directly. Call through Excel or set a mock caller first.")
        return Book._mock_caller

    def set_mock_caller(self) -> None:
        Book._mock_caller = self


class Books:
    """``xw.books``: the open workbooks of the active Excel; ``active`` is the one in front."""

    def __init__(self) -> None:
        self.active: Book | None = None


books = Books()


def func(f):  # the @xw.func decorator: a no-op here
    return f


def load_book(path: str | Path, fullname: str | Path | None = None) -> Book:
    """A stand-in book holding the values and number formats of a real workbook (as Excel would show it)."""
    import openpyxl

    wb = openpyxl.load_workbook(path)
    book = Book(fullname or path)
    for ws in wb.worksheets:
        sheet = Sheet(book, ws.title)
        book.sheets._list.append(sheet)
        for row in ws.iter_rows():
            for cell in row:
                if cell.number_format == "@":
                    sheet.formats[(cell.row, cell.column)] = "@"
                if cell.value is not None:
                    sheet.cells[(cell.row, cell.column)] = cell.value
        for m in ws.merged_cells.ranges:
            sheet.merges.append((m.min_row, m.min_col, m.max_row, m.max_col))
    book.sheets.active = book.sheets._list[wb.index(wb.active)] if book.sheets._list else None
    return book


def to_openpyxl(book: Book):
    """An openpyxl workbook with the stand-in's values and number formats (for an independent re-read)."""
    import openpyxl

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for sheet in book.sheets:
        ws = wb.create_sheet(sheet.name)
        for (r, c), v in sheet.cells.items():
            ws.cell(r, c, v)
        for (r, c), fmt in sheet.formats.items():
            ws.cell(r, c).number_format = fmt
    return wb
