"""Read the towns' returned follow-up lists (跟进名单回执) back into the ledger, validating each entry.

A unit's follow-up workbook (written by ``dispatch --lists`` / ``ledger export``) has one sheet per
list; the town fills in 跟进日期, 跟进方式, 跟进结果, 未参保原因, 是否签订意愿书 and 备注 for each
person. Every filled row is checked the way ``validate`` checks a survey row: a :class:`Finding` with
the sheet, the Excel row and column and a rule code of :mod:`coverage_xl.codes`. An entry with an
error is not recorded (the town corrects it and returns the list again); the others become contacts.

联系不上 needs both the date and the method (记录有痕): without them the entry is an error, so an
unreachable person can never be settled without a trace of the contact.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from coverage_xl import exports as ex
from coverage_xl.errors import InputError
from coverage_xl.findings import FileReport, Finding
from coverage_xl.layout import (
    FOLLOWUP_COLUMNS,
    FOLLOWUP_FILL_KEYS,
    FOLLOWUP_METHODS,
    FOLLOWUP_RESULTS,
    FOLLOWUP_SIGNED,
    FOLLOWUP_UNREACHABLE,
    header_key,
)
from coverage_xl.survey import sha256_of
from coverage_xl.tables import TableError, raw_sheets, read_table
from coverage_xl.units import Unit, find_unit
from coverage_xl.validate import spreadsheet_files
from coverage_xl.values import clean_text, parse_date

CONTACT_COLUMNS = ("id", "contact_date", "method", "result", "reason", "signed", "remark", "unit", "file",
                   "sha256", "sheet", "row_number")
_ID_SHAPE = re.compile(r"^\d{17}[\dX]$")
_HEADER_OF = {key: header for header, key, _ in FOLLOWUP_COLUMNS if key}


@dataclass
class FollowupInput:
    contacts: pd.DataFrame  # CONTACT_COLUMNS: the valid entries
    reports: list[FileReport]
    files: list[tuple[Path, str, int]] = field(default_factory=list)  # (path, sha256, entries read)

    @property
    def errors(self) -> int:
        return sum(r.errors for r in self.reports)


def _column_numbers(df: pd.DataFrame) -> dict[str, int]:
    """Field key -> 1-based column number of the sheet (read_table keeps every column from A)."""
    keys = {header_key(h): i + 1 for i, h in enumerate(df.columns)}
    out = {}
    for header, key, _ in FOLLOWUP_COLUMNS:
        if key and header_key(header) in keys:
            out[key] = keys[header_key(header)]
    return out


def _check_sheet(df: pd.DataFrame, sheet: str, as_of: dt.date, report: FileReport) -> list[dict[str, object]]:
    cols = _column_numbers(df)
    if "id" not in cols or not any(k in cols for k in ("followup_date", "followup_method", "followup_result")):
        report.findings.append(Finding("followup.columns", sheet=sheet, row=df.attrs.get("header_row"),
                                       details=(("detail", sheet),)))
        return []
    headers = list(df.columns)

    def cell(rec: list[str], key: str) -> str:
        return rec[cols[key] - 1].strip() if key in cols else ""

    entries = []
    for row, rec in zip(df.index, df.itertuples(index=False, name=None), strict=True):
        rec = list(rec) + [""] * (len(headers) - len(rec))
        filled = {k: cell(rec, k) for k in FOLLOWUP_FILL_KEYS}
        if not any(filled.values()):
            continue
        found: list[Finding] = []

        def bad(code: str, key: str, value: object, *details: tuple[str, object],
                found: list[Finding] = found, row: int = int(row)) -> None:
            found.append(Finding(code, sheet=sheet, row=row, column=cols.get(key), field=key, value=value,
                                 details=(("sheet", sheet), *details)))

        raw_id = cell(rec, "id")
        pid = ex.match_key(raw_id)
        if not _ID_SHAPE.match(pid):
            bad("followup.id", "id", raw_id)
        day = None
        if filled["followup_date"]:
            text = filled["followup_date"]
            # read_table gives text: a date cell as 2020-09-08, a date whose format was lost as its serial
            day = parse_date(int(text) if text.isdigit() and len(text) == 5 else text)
            if day is None or day > as_of:
                bad("followup.date", "followup_date", filled["followup_date"], ("expected", as_of.isoformat()))
                day = None
        method = clean_text(filled["followup_method"])
        if method and method not in FOLLOWUP_METHODS:
            bad("followup.method", "followup_method", filled["followup_method"])
        result = clean_text(filled["followup_result"])
        if result and result not in FOLLOWUP_RESULTS:
            bad("followup.result", "followup_result", filled["followup_result"])
        signed = clean_text(filled["followup_signed"])
        if signed and signed not in FOLLOWUP_SIGNED:
            bad("followup.signed", "followup_signed", filled["followup_signed"])
        if result == FOLLOWUP_UNREACHABLE and (not filled["followup_date"] or not method):
            missing = "、".join(_HEADER_OF[k] for k in ("followup_date", "followup_method")
                               if not (filled["followup_date"] if k == "followup_date" else method))
            key = "followup_date" if not filled["followup_date"] else "followup_method"
            bad("followup.untraced", key, None, ("detail", missing))
        if not result and not found:
            bad("followup.result_missing", "followup_result", None)
        report.findings.extend(found)
        if found:
            continue
        entries.append({"id": pid, "contact_date": day.isoformat() if day else "", "method": method,
                        "result": result, "reason": filled["followup_reason"], "signed": signed,
                        "remark": filled["followup_remark"], "sheet": sheet, "row_number": int(row)})
    return entries


def read_followup_file(path: str | Path, as_of: dt.date, units: tuple[Unit, ...] | None = None
                       ) -> tuple[list[dict[str, object]], FileReport]:
    """The valid entries of one returned workbook and its report (never raises for a bad file)."""
    path = Path(path)
    report = FileReport(path=path)
    unit = find_unit(path.stem.split("_")[0], units)
    report.unit = unit.name if unit else None
    try:
        names = [name for name, _ in raw_sheets(path)[0]]
    except TableError as exc:
        report.readable = False
        report.findings.append(Finding("file.unreadable", details=(("detail", exc.reason),)))
        return [], report
    entries: list[dict[str, object]] = []
    for name in names:
        try:
            df = read_table(path, sheet=name)
        except InputError:
            continue  # an empty sheet
        if df.attrs.get("header_row") is None:
            continue
        report.sheet = f"{report.sheet}、{name}" if report.sheet else name  # every sheet read, for the summary
        report.rows += len(df)
        entries.extend(_check_sheet(df, name, as_of, report))
    report.findings.sort(key=lambda f: (f.sheet or "", f.row or 0, f.column or 0))
    for e in entries:
        e["unit"] = report.unit or ""
    return entries, report


def read_followups(paths: str | Path | Iterable[str | Path], as_of: dt.date,
                   units: tuple[Unit, ...] | None = None) -> FollowupInput:
    """Every returned list in a folder (or the files given)."""
    if isinstance(paths, str | Path):
        p = Path(paths)
        files = spreadsheet_files(p) if p.is_dir() else [p]
    else:
        files = [Path(p) for p in paths]
    rows: list[dict[str, object]] = []
    reports, used = [], []
    for path in files:
        entries, report = read_followup_file(path, as_of, units)
        reports.append(report)
        if not report.readable:
            continue
        digest = sha256_of(path)
        for e in entries:
            e["file"], e["sha256"] = path.name, digest
        rows.extend(entries)
        used.append((path, digest, len(entries)))
    contacts = pd.DataFrame(rows, columns=list(CONTACT_COLUMNS))
    return FollowupInput(contacts, reports, used)
