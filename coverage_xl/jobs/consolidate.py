"""Write a consolidation (附件4, 重复人员, 汇总记录) into a workbook."""

from __future__ import annotations

from pathlib import Path

from coverage_xl.consolidate import Annex4Result
from coverage_xl.layout import ANNEX4, DUPLICATES_SHEET, RUNLOG_SHEET
from coverage_xl.sheets.annex4 import write_annex4
from coverage_xl.sheets.output import write_owned_sheets
from coverage_xl.sheets.runlog import write_duplicates, write_runlog


def write_workbook(result: Annex4Result, out_path: str | Path, *, inputs_label: str | Path | None = None,
                   reporter: str = "") -> Path:
    """Write 附件4, 重复人员 and 汇总记录 into ``out_path`` (new, or an existing master workbook whose
    other sheets are kept); never into one of the batch's input files."""
    out = Path(out_path)
    builders = {
        ANNEX4.sheet_name: lambda ws: write_annex4(ws, result, reporter=reporter) and None,
        DUPLICATES_SHEET: lambda ws: write_duplicates(ws, result) and None,
        RUNLOG_SHEET: lambda ws: write_runlog(ws, result, inputs=inputs_label, output=out) and None,
    }
    return write_owned_sheets(out, builders, kind="consolidate", inputs=[f.path for f in result.batch.files])
