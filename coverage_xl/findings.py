"""Findings as data, and the reports that collect them.

A :class:`Finding` holds only facts (where, which rule, the raw value, a few named details); its
Chinese message is rendered from the rule's template in :mod:`coverage_xl.codes`, masked or not.
A :class:`FileReport` is what validating one workbook returns; :class:`Report` merges many.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from coverage_xl.codes import RULES, Severity
from coverage_xl.layout import column_letter
from coverage_xl.mask import mask_id, mask_phone, mask_text

SENSITIVE_FIELDS = {"id": mask_id, "phone": mask_phone}


def _plain(value: Any) -> Any:
    """A JSON-friendly form of a raw cell value that keeps its type visible (numbers stay numbers)."""
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return str(value)
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        return int(value) if abs(value) < 2**53 else value
    return value


@dataclass(frozen=True, slots=True)
class Finding:
    code: str
    sheet: str | None = None
    row: int | None = None  # Excel row number as the user sees it (1-based)
    column: int | None = None  # 1-based column number in the sheet
    field: str | None = None  # layout field key
    value: Any = None  # the raw cell value as read (type kept)
    details: tuple[tuple[str, Any], ...] = ()  # facts for the message template

    def __reduce__(self) -> tuple[type[Finding], tuple[Any, ...]]:
        """Pickle as a constructor call: a worker process sends back every finding of its file
        (14,600 for the city), and the default pickling of a frozen, slotted dataclass took the
        parent twice as long to unpickle (issue 16, docs/scale.md)."""
        return Finding, (self.code, self.sheet, self.row, self.column, self.field, self.value, self.details)

    @property
    def rule(self):
        return RULES[self.code]

    @property
    def severity(self) -> Severity:
        return RULES[self.code].severity

    def display_value(self, masked: bool = True) -> Any:
        v = _plain(self.value)
        if self.field == "id" and isinstance(self.value, float):
            return f"{self.value:.5E}"  # as Excel shows it: 4.30981E+17
        if masked and v is not None and self.field in SENSITIVE_FIELDS:
            return SENSITIVE_FIELDS[self.field](v)
        return v

    def message(self, masked: bool = True) -> str:
        from coverage_xl.layout import ANNEX3

        params: dict[str, Any] = {"detail": "", "expected": "", "found": "", "column": self.column or ""}
        col = ANNEX3.by_key.get(self.field or "")
        params["field_label"] = col.header if col else (self.field or "")
        params.update(dict(self.details))
        value = self.display_value(masked)
        params["value"] = "" if value is None else value
        if masked and self.field in SENSITIVE_FIELDS and len(str(params.get("expected", ""))) > 6:
            params["expected"] = SENSITIVE_FIELDS[self.field](params["expected"])
        text = RULES[self.code].message.format(**params)
        return mask_text(text) if masked else text

    def as_dict(self, masked: bool = True) -> dict[str, Any]:
        return {
            "sheet": self.sheet,
            "row": self.row,
            "column": self.column,
            "field": self.field,
            "code": self.code,
            "severity": self.severity.value,
            "value": self.display_value(masked),
            "message": self.message(masked),
        }

    @property
    def cell(self) -> str | None:
        """The A1 reference of the cell, when the finding is about one cell."""
        if self.row is None or self.column is None:
            return None
        return f"{column_letter(self.column)}{self.row}"


@dataclass
class FileReport:
    """Validating one workbook: where it is, which unit it is, how many rows, what is wrong."""

    path: Path
    unit: str | None = None
    sheet: str | None = None
    rows: int = 0
    findings: list[Finding] = field(default_factory=list)
    readable: bool = True

    def counts(self) -> Counter[str]:
        """Findings by severity (cached until findings are added: summaries ask for it often)."""
        cached = getattr(self, "_counts", None)
        if cached is None or cached[0] != len(self.findings):
            cached = (len(self.findings), Counter(f.severity.value for f in self.findings))
            self._counts = cached
        return cached[1]

    @property
    def errors(self) -> int:
        return self.counts()["error"]

    @property
    def warnings(self) -> int:
        return self.counts()["warning"]

    @property
    def ok(self) -> bool:
        return self.readable and self.errors == 0

    def by_code(self) -> Counter[str]:
        return Counter(f.code for f in self.findings)

    def flatten(self) -> list[tuple[int | None, int | None, str]]:
        """(row, column, code) triples in report order: what tests assert on."""
        return [(f.row, f.column, f.code) for f in self.findings]

    def as_dict(self, masked: bool = True) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "unit": self.unit,
            "sheet": self.sheet,
            "rows": self.rows,
            "readable": self.readable,
            "errors": self.errors,
            "warnings": self.warnings,
            "findings": [f.as_dict(masked) for f in self.findings],
        }


@dataclass
class Report:
    files: list[FileReport] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        """0: no errors; 1: errors found; 2: a file could not be read."""
        if any(not f.readable for f in self.files):
            return 2
        return 1 if any(f.errors for f in self.files) else 0

    def as_dict(self, masked: bool = True) -> dict[str, Any]:
        return {"files": [f.as_dict(masked) for f in self.files]}

    def to_json(self, masked: bool = True) -> str:
        return json.dumps(self.as_dict(masked), ensure_ascii=False, indent=2, default=str)
