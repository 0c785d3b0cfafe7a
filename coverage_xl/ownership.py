"""Who owns a person reported by two units: the bureau's 归属单位 choices on the 重复人员 sheet.

Consolidation lists every ID found in more than one unit on the 重复人员 sheet, one line per place,
with an empty column 归属单位. The bureau writes the owning unit there (on any of the person's lines)
and keeps the sheet in its master workbook (or in the consolidation's output workbook). Later runs of
consolidate *and* dispatch read the choices back, so the person counts only in the chosen unit; the
choice is recorded in 汇总记录.

A choice that cannot be applied leaves the person counted in each unit as reported and becomes a
finding on the 重复人员 sheet (sheet, row, column of the 归属单位 cell):

* ``owner.unknown_unit``: the text names none of the units (or more than one);
* ``owner.not_a_place``: the unit is real, but the person was not reported by it;
* ``owner.conflict``: two lines of the same ID name different units;
* ``owner.not_duplicate`` (info): the ID is no longer in two units, so there is nothing to decide.

The rows are plain cell values, so the same parser serves a file read with calamine and a sheet read
through Excel (xlwings) by the ribbon macro.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from coverage_xl.errors import UnreadableError
from coverage_xl.findings import Finding
from coverage_xl.idcard import normalise
from coverage_xl.layout import DUPLICATES_SHEET, header_key
from coverage_xl.units import Unit, default_units, find_unit
from coverage_xl.values import clean_text

OWNER_HEADER = "归属单位"
ID_HEADER = "身份证号码"
UNIT_HEADER = "单位"
HEADER_SCAN_ROWS = 10


@dataclass(frozen=True)
class OwnerChoice:
    """One ID's chosen unit, and where the choice was written (for findings and the run log)."""

    id: str
    unit: str  # unit name
    row: int  # Excel row on the 重复人员 sheet
    column: int
    text: str  # the cell as typed


@dataclass
class OwnerChoices:
    """Every usable choice by ID, plus findings about cells that could not be used."""

    choices: dict[str, OwnerChoice] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    source: str = ""  # the workbook the choices came from ('' when none)
    typed: dict[tuple[str, str], str] = field(default_factory=dict)  # (ID, line's unit) -> 归属单位 as typed

    def __bool__(self) -> bool:
        return bool(self.choices or self.findings)


def _header(rows: Sequence[Sequence[Any]]) -> tuple[int, int, int, int | None] | None:
    """(row index, ID column, 归属单位 column, 单位 column or None) of the sheet's header, or None."""
    for r, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        keys = [header_key(clean_text(v)) for v in row]
        if header_key(ID_HEADER) in keys and header_key(OWNER_HEADER) in keys:
            unit_c = keys.index(UNIT_HEADER) if UNIT_HEADER in keys else None
            return r, keys.index(header_key(ID_HEADER)), keys.index(header_key(OWNER_HEADER)), unit_c
    return None


def parse_owner_choices(rows: Sequence[Sequence[Any]], units: tuple[Unit, ...] | None = None, *,
                        source: str = "") -> OwnerChoices:
    """Read 归属单位 choices from the 重复人员 sheet's cell values (row 1 first).

    A sheet written before 归属单位 existed has no such column: no choices, no findings."""
    units = units or default_units()
    out = OwnerChoices(source=source)
    found = _header(rows)
    if found is None:
        return out
    hr, id_c, own_c, unit_c = found
    seen: dict[str, list[OwnerChoice]] = {}
    for r in range(hr + 1, len(rows)):
        row = rows[r]
        text = clean_text(row[own_c]) if own_c < len(row) else ""
        pid = normalise(clean_text(row[id_c])) if id_c < len(row) else ""
        if not text or not pid:
            continue
        if unit_c is not None and unit_c < len(row):
            out.typed[(pid, clean_text(row[unit_c]))] = text
        unit = find_unit(text, units)
        if unit is None:
            out.findings.append(Finding("owner.unknown_unit", sheet=DUPLICATES_SHEET, row=r + 1, column=own_c + 1,
                                        field="owner", value=text))
            continue
        seen.setdefault(pid, []).append(OwnerChoice(pid, unit.name, r + 1, own_c + 1, text))
    for pid, picks in seen.items():
        names = sorted({p.unit for p in picks})
        if len(names) == 1:
            out.choices[pid] = picks[0]
            continue
        for p in picks:
            out.findings.append(Finding("owner.conflict", sheet=DUPLICATES_SHEET, row=p.row, column=p.column,
                                        field="owner", value=p.text, details=(("detail", "、".join(names)),)))
    return out


def read_owner_choices(path: str | Path | None, units: tuple[Unit, ...] | None = None) -> OwnerChoices:
    """The choices on the 重复人员 sheet of an existing workbook (master or earlier output).

    No file, no such sheet, or a file that cannot be read: no choices. The workbook is the bureau's
    own output, so an unreadable one is not this step's error; the job that writes it reports that."""
    if path is None:
        return OwnerChoices()
    p = Path(path)
    if not p.is_file():
        return OwnerChoices()
    from coverage_xl.read import open_workbook, sheet_rows

    try:
        wb = open_workbook(p)
        if DUPLICATES_SHEET not in wb.sheet_names:
            return OwnerChoices()
        rows = sheet_rows(wb, DUPLICATES_SHEET, skip_empty_area=False)
    except UnreadableError:  # an unreadable output: no choices (the job that writes it reports it)
        return OwnerChoices()
    return parse_owner_choices(rows, units, source=p.name)
