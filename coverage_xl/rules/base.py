"""The state the rules share while checking one sheet."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from coverage_xl.findings import Finding
from coverage_xl.layout import ANNEX3
from coverage_xl.read import SurveySheet


@dataclass
class Context:
    survey: SurveySheet
    as_of: dt.date
    # derived by the rules, one entry per data row
    ids: list[str] = field(default_factory=list)  # normalised ID ('' when missing or numeric)
    id_ok: list[bool] = field(default_factory=list)  # usable 18-digit ID (format, date and checksum right)
    births: list[dt.date | None] = field(default_factory=list)
    categories: list[str | None] = field(default_factory=list)  # 'in_scope', a reason key, or None (error)
    other_text: list[str] = field(default_factory=list)  # the description written in column 17
    willing: list[str] = field(default_factory=list)  # '是', '否' or ''

    def __post_init__(self) -> None:
        n = len(self.survey.rows)
        self.ids = [""] * n
        self.id_ok = [False] * n
        self.births = [None] * n
        self.categories = [None] * n
        self.other_text = [""] * n
        self.willing = [""] * n

    @cached_property
    def columns(self) -> list[tuple[Any, ...]]:
        """The data transposed once (in C, by zip): one tuple per Annex 3 column."""
        if not self.survey.rows:
            return [()] * ANNEX3.width
        return list(zip(*self.survey.rows, strict=True))

    def column_values(self, key: str) -> tuple[Any, ...]:
        return self.columns[ANNEX3.col(key) - 1]

    def present(self, key: str) -> bool:
        return self.survey.columns.get(key) is not None

    def finding(self, code: str, i: int, key: str, value: Any = None, **details: Any) -> Finding:
        """A finding about data row ``i`` in field ``key``, located in the sheet as the user sees it."""
        survey = self.survey
        return Finding(code, survey.sheet, survey.row_numbers[i], survey.columns.get(key), key, value,
                       tuple(details.items()))

