"""Write a dispatch (附件5, 进度, 调度历史) into a workbook."""

from __future__ import annotations

from pathlib import Path

from coverage_xl.dispatch import DispatchResult
from coverage_xl.history import history_rows, merge_history, read_history
from coverage_xl.layout import ANNEX5, HISTORY_SHEET, PROGRESS_SHEET
from coverage_xl.sheets.annex5 import write_annex5
from coverage_xl.sheets.history import write_history
from coverage_xl.sheets.output import write_owned_sheets
from coverage_xl.sheets.progress import write_progress


def write_dispatch(result: DispatchResult, out_path: str | Path, *, reporter: str = "", contact: str = "",
                   unit_text: str | None = None) -> Path:
    """Write 附件5, 进度 and 调度历史 into ``out_path`` (usually the master workbook), keeping every
    other sheet. The history is read from the existing file first; this run's date replaces any rows
    of the same date. The output may not be one of the input files (InputError)."""
    out_path = Path(out_path)
    history = merge_history(read_history(out_path), history_rows(result))
    builders = {
        ANNEX5.sheet_name: lambda ws: write_annex5(ws, result.annex5, day=result.as_of, reporter=reporter,
                                                   contact=contact, unit_text=unit_text,
                                                   rate_note=result.counting.rate_note),
        PROGRESS_SHEET: lambda ws: write_progress(ws, result.progress, as_of=result.as_of,
                                                  milestones=result.milestones),
        HISTORY_SHEET: lambda ws: write_history(ws, history, result.milestones),
    }
    inputs = [f.path for f in result.batch.files] + [f.path for f in result.exports]
    write_owned_sheets(out_path, builders, inputs=inputs)
    return out_path
