"""Validate unit workbooks: read the Annex 3 sheet, run the rules, return findings and people.

:func:`validate_file` is the one entry point for a file: CLI ``validate``, :func:`survey.load_batch`
(so consolidation, dispatch, notices and the ledger) and the Excel button 校验当前表 (which saves the
sheet on screen to a temporary file first) all call it. It never raises for bad input: an unreadable
file or a missing header becomes a finding in the returned report.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from coverage_xl import guard
from coverage_xl.errors import HeaderNotFoundError, UnreadableError
from coverage_xl.findings import FileReport, Finding
from coverage_xl.read import SurveySheet, read_survey
from coverage_xl.rules import RULE_CHECKS, Context
from coverage_xl.values import clean_text

if TYPE_CHECKING:
    import pandas as pd

# Columns of the people table that validation hands to consolidation, dispatch and notices.
PEOPLE_COLUMNS = ("row", "unit", "code", "region", "name", "id", "id_ok", "birth", "address", "category",
                  "willing", "phone", "remark", "other_text")


@dataclass
class Checked:
    """One validated workbook: the report, and the people it lists (one row per data row).

    The people are built when first asked for (:attr:`people`): their columns from the rules' context,
    then a DataFrame. Checking a file — ``coverage-xl validate``, a new Python per call — needs
    neither, so it never builds them and never loads pandas."""

    report: FileReport
    table: dict[str, Any] | pd.DataFrame | Callable[[], dict[str, Any]]
    survey: SurveySheet | None = None

    @property
    def people(self) -> pd.DataFrame:
        self.materialise()
        if isinstance(self.table, dict):
            import pandas as pd

            self.table = pd.DataFrame(self.table, columns=list(PEOPLE_COLUMNS))
        return self.table

    def materialise(self) -> None:
        """Build the people's columns now (a worker process does, before the sheet's rows are dropped
        and the result is sent back); the DataFrame is built where it is used."""
        if callable(self.table):
            self.table = self.table()

    def __getstate__(self) -> dict[str, Any]:
        """What a worker process sends back: birth dates as day numbers. Unpickling a column of
        33,740 date objects took longer than building the whole people table."""
        self.materialise()
        state = dict(self.__dict__)
        table = state["table"]
        if isinstance(table, dict):
            births = table["birth"]
            days = {b: b.toordinal() for b in set(births) if b is not None}
            days[None] = None
            state["table"] = {**table, "birth": list(map(days.__getitem__, births)),
                              **{c: _one_object_each(table[c]) for c in _REPEATED_TEXT}}
            state["_births_as_days"] = True
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        if state.pop("_births_as_days", False):
            days = state["table"]["birth"]
            dates = {d: dt.date.fromordinal(d) for d in set(days) if d is not None}
            dates[None] = None
            state["table"]["birth"] = list(map(dates.__getitem__, days))
        self.__dict__.update(state)


# People's text columns in which the same few values repeat row after row, each row's cell a string
# object of its own (other columns arrive shared already): 120 addresses in a town's 7,220 rows,
# three answers to 是否愿意参保. Pickle would send each object again; one object per distinct
# value is sent once and referenced after, and the parent unpickles less (issue 16, docs/scale.md).
_REPEATED_TEXT = ("address", "willing")


def _one_object_each(values: list[Any]) -> list[Any]:
    """The same values, equal ones of the same type as one shared object (1 and 1.0 stay apart)."""
    first: dict[tuple[type, Any], Any] = {}
    return [first.setdefault((type(v), v), v) for v in values]


def _no_people() -> dict[str, Any]:
    return {c: [] for c in PEOPLE_COLUMNS}


def empty_people() -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame({c: pd.Series(dtype=object) for c in PEOPLE_COLUMNS})


def validate_survey(survey: SurveySheet, as_of: dt.date | None = None) -> Checked:
    """Run every rule over an already-read sheet."""
    as_of = as_of or dt.date.today()
    ctx = Context(survey, as_of)
    findings: list[Finding] = list(survey.findings)
    for check in RULE_CHECKS:
        findings.extend(check(ctx))
    if survey.uncached:  # a formula never calculated is its own finding, not "未填写"
        findings = [f for f in findings if f.code == "cell.formula_uncached" or (f.row, f.column) not in survey.uncached]
    findings.sort(key=lambda f: (f.row or 0, f.column or 0))
    report = FileReport(path=survey.path, unit=survey.unit.name if survey.unit else None,
                        sheet=survey.sheet, rows=len(survey.rows), findings=findings)
    if not survey.rows:
        report.findings.append(Finding("sheet.empty", sheet=survey.sheet, row=survey.header_row))
    return Checked(report, lambda: _people(ctx, report.unit), survey)


def _people(ctx: Context, unit: str | None) -> dict[str, Any]:
    """The people table's columns, from the sheet and what the rules derived."""
    survey = ctx.survey

    def col(key: str) -> tuple:
        return ctx.column_values(key)

    return {
        "row": survey.row_numbers,
        "unit": unit,
        "code": _clean_column(col("code")),
        "region": _clean_column(col("region")),
        "name": [v.strip() if v.__class__ is str else clean_text(v) for v in col("name")],
        "id": ctx.ids,
        "id_ok": ctx.id_ok,
        "birth": ctx.births,
        "address": [v.strip() if v.__class__ is str else clean_text(v) for v in col("address")],
        "category": ctx.categories,
        "willing": ctx.willing,
        "phone": [v if v.__class__ is str and v.isdigit() and v.isascii() else clean_text(v) for v in col("phone")],
        "remark": [v.strip() if v.__class__ is str else clean_text(v) for v in col("remark")],
        "other_text": ctx.other_text,
    }


def _clean_column(values: tuple) -> list[str]:
    """clean_text over a column, computed once per distinct value."""
    memo = {v: clean_text(v) for v in set(values)}
    return [memo[v] for v in values]


def validate_file(path: str | Path, as_of: dt.date | None = None) -> Checked:
    """Validate one workbook. Never raises for a bad file: it becomes a ``file.unreadable`` or
    ``sheet.not_found`` finding."""
    path = Path(path)
    with gc_paused():
        return _validate_file(path, as_of)


@contextlib.contextmanager
def gc_paused():
    """Pause the cyclic garbage collector while a sheet is checked.

    Reading creates hundreds of thousands of small objects (one list per row, one value per cell),
    none of them in reference cycles; the collector would otherwise walk them all again and again
    (measured: a third of the validation time on a 33,740-row sheet). Reference counting still frees
    everything as usual. Not used around :func:`coverage_xl.survey.load_batch`: dispatch reads its
    exports in a thread meanwhile, and the switch is process-wide.

    On the way out, what was created moves to the oldest generation without being walked (freeze,
    then unfreeze: two list splices): re-enabled with hundreds of thousands of young objects, the
    collector's first pass over them cost a twentieth of reading the sheet. Skipped if something
    else froze objects."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            if gc.get_freeze_count() == 0:
                gc.freeze()
                gc.unfreeze()
            gc.enable()


def _validate_file(path: Path, as_of: dt.date | None) -> Checked:
    try:
        survey = read_survey(path)
    except UnreadableError as exc:
        report = FileReport(path=path, readable=False,
                            findings=[Finding(exc.code, details=(("detail", str(exc)),))])
        return Checked(report, _no_people())
    except HeaderNotFoundError:
        report = FileReport(path=path, findings=[Finding("sheet.not_found")])
        return Checked(report, _no_people())
    return validate_survey(survey, as_of)


def spreadsheet_files(folder: str | Path) -> list[Path]:
    """The unit workbooks in a folder: spreadsheets only, no Excel lock files (~$…) or hidden files."""
    from coverage_xl.read import SPREADSHEET_SUFFIXES

    folder = Path(folder)
    return sorted(
        p for p in folder.iterdir()
        if p.is_file() and p.suffix.lower() in SPREADSHEET_SUFFIXES
        and not p.name.startswith(("~$", ".", "~"))
    )


def _not_a_submission(path: Path) -> bool:
    """A file this tool wrote that never comes back from a town (an annotated copy, the master, a
    follow-up list …): found in a folder of submissions, it is not one of them."""
    kind = guard.ownership(path).kind
    return kind is not None and kind not in guard.SUBMISSION_KINDS


def input_files(paths: Iterable[Path]) -> list[Path]:
    """Every spreadsheet named, or inside a named folder. In a folder, files this tool wrote that are
    not submissions (an annotated ``_校验标注`` copy, the master the Excel button writes into, an
    earlier output) are left out — counted, they would make a unit's submission a duplicate; a file
    named on its own is always read, so that writing over it is refused. The CLI and the Excel button
    both find their inputs here."""
    files: list[Path] = []
    for p in paths:
        for f in spreadsheet_files(p) if p.is_dir() else [p]:
            if (p.is_file() or not _not_a_submission(f)) and f not in files:
                files.append(f)
    return files
