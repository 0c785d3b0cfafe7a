"""Write a dispatch (附件5, 进度, 调度历史) into a workbook."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from coverage_xl import guard
from coverage_xl.dispatch import DispatchResult
from coverage_xl.history import history_rows, merge_history, read_history
from coverage_xl.layout import (
    ANNEX5,
    DUPLICATE_INSURANCE_SHEET,
    EMPLOYEE_PENSION_REASONS,
    HISTORY_SHEET,
    PROGRESS_SHEET,
)
from coverage_xl.sheets.annex5 import write_annex5
from coverage_xl.sheets.frame import chinese_date
from coverage_xl.sheets.history import write_history
from coverage_xl.sheets.ledger import write_people_list
from coverage_xl.sheets.output import write_owned_sheets
from coverage_xl.sheets.progress import write_progress

DUPLICATE_INSURANCE_COLUMNS = (
    ("单位", "unit", 11), ("姓名", "name", 9), ("身份证号码", "id", 21), ("户籍地址", "address", 28),
    ("依据", "evidence", 22), ("城乡居保参保状态", "status_label", 12), ("本年度已缴费", "paid_label", 10),
    ("摸底表", "file", 24), ("行号", "row", 6),
)


def write_dispatch(result: DispatchResult, out_path: str | Path, *, reporter: str = "", contact: str = "",
                   unit_text: str | None = None) -> Path:
    """Write 附件5, 进度 and 调度历史 into ``out_path`` (usually the master workbook), keeping every
    other sheet. The history is read from the existing file first; this run's date replaces any rows
    of the same date. The output goes through the output guard (never an input, only a workbook this
    tool made) and is locked from reading the history to writing it back, so concurrent runs cannot
    drop each other's snapshot."""
    out_path = Path(out_path)
    dup = result.duplicate_insurance()
    dup = dup.assign(status_label=dup.get("drawing", pd.Series(dtype=object)).map({True: "领取待遇", False: "已登记"}),
                     paid_label=dup.get("paid", pd.Series(dtype=object)).map({True: "是", False: "否"}))
    dup = dup.astype(object).where(dup.notna(), "")
    inputs = [f.path for f in result.batch.files] + [f.path for f in result.exports]
    guard.may_write(out_path, kind="dispatch", update=True, inputs=inputs)
    with guard.locked(out_path):
        history = merge_history(read_history(out_path), history_rows(result))
        builders = {
            ANNEX5.sheet_name: lambda ws: write_annex5(ws, result.annex5, day=result.as_of, reporter=reporter,
                                                       contact=contact, unit_text=unit_text,
                                                       rate_note=result.counting.rate_note, dedup=result.dedup),
            PROGRESS_SHEET: lambda ws: write_progress(ws, result.progress, as_of=result.as_of,
                                                      milestones=result.milestones),
            HISTORY_SHEET: lambda ws: write_history(ws, history, result.milestones),
            DUPLICATE_INSURANCE_SHEET: lambda ws: write_people_list(
                ws, "沅江市重复参保人员名单", f"截至{chinese_date(result.as_of)}，摸底为已参加职工养老保险（附件3第8–10列）、"
                f"或在职保比对数据中，同时已进行城乡居保参保登记（参保状态未终止）的人员，共{len(dup)}人，请核实后办理清理。",
                DUPLICATE_INSURANCE_COLUMNS, dup.to_dict("records"), sheet=DUPLICATE_INSURANCE_SHEET),
        }
        write_owned_sheets(out_path, builders, kind="dispatch", inputs=inputs)
    return out_path


def employee_ids(specs: Iterable[str], as_of: dt.date | None = None) -> tuple[dict[str, str], list[str]]:
    """The people of 职保 comparison files given as prefill's ``FILE=类别`` specs (省内企业职保,
    机关事保, 省外职保 …: Annex 3 columns 8–10), as match key → label, for the 重复参保 list; and a
    note for every file whose category is not an employee pension (not used here)."""
    from coverage_xl.prefill import parse_compare_spec, read_source

    out: dict[str, str] = {}
    notes: list[str] = []
    for spec in specs:
        source = parse_compare_spec(spec)
        if source.category not in EMPLOYEE_PENSION_REASONS:
            notes.append(f"比对数据“{source.path.name}”（{source.label}）不是职工养老保险名单，调度不使用。")
            continue
        keys, _rows, _bad = read_source(source, as_of)
        for k in keys:
            out.setdefault(k, source.label)
    return out, notes
