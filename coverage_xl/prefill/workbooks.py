"""Writing the pre-filled Annex 3 workbooks and the summary (预填汇总) through the output guard."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any

from coverage_xl import guard
from coverage_xl.layout import (
    ANNEX3,
    IN_SCOPE,
    REASON_KEYS,
)
from coverage_xl.prefill.people import Person, short_label
from coverage_xl.prefill.result import PrefillResult
from coverage_xl.prefill.sources import EXTRA_ROWS, SUMMARY_CSV, SUMMARY_XLSX
from coverage_xl.sheets.cells import append_row
from coverage_xl.sheets.frame import save_workbook
from coverage_xl.spreadsheet_text import csv_writer
from coverage_xl.templates import new_unit_workbook
from coverage_xl.units import Unit


def new_prefill_workbook(unit: Unit | None, rows: list[dict[str, Any]], day: dt.date):
    """The unit template (same layout, input checks and 填表说明 as a blank one) holding ``rows``, with
    a few blank rows after them for people found on the visits who are not on the list."""
    wb = new_unit_workbook(unit, rows, day=day, rows=EXTRA_ROWS)
    ws = wb.worksheets[0]
    ws.freeze_panes = ws.cell(_first_data_row(ws), ANNEX3.col("id"))
    return wb


def _first_data_row(ws) -> int:
    """The row after the 1–20 numbering row (where the template's data starts)."""
    for r in range(1, 15):
        if ws.cell(r, 1).value in (1, "1") and ws.cell(r, 2).value in (2, "2"):
            return r + 1
    return 1


def save_book(wb, path: Path) -> Path:
    return guard.write_file(path, lambda p: save_workbook(wb, p), kind="prefill")


def sort_key(p: Person) -> tuple:
    return (p.village == "", p.village, p.name, p.id)


SUMMARY_FIXED = ("名单人数", "预分类人数", "建议属于覆盖范围", "建议不属于覆盖范围", "证据冲突", "待入户核实", "身份证号码需核实",
                 "名单重复行", "跨单位重复（已归入他单位）", "重复参保", "在校学生满25周岁")


def summary_table(result: PrefillResult) -> tuple[list[str], list[list[Any]]]:
    """The per-unit summary as a header and rows (with a 合计 row): what the CLI prints and writes."""
    labels = result.source_labels
    header = ["行政区划", *SUMMARY_FIXED[:2], *(f"比对：{lb}" for lb in labels), *SUMMARY_FIXED[2:], "文件"]
    rows = []
    totals = [0] * (len(header) - 2)
    for u in result.all_lines:
        nums = [u.rows, u.suggested, *(u.by_source.get(lb, 0) for lb in labels),
                u.by_category.get(IN_SCOPE, 0), sum(u.by_category[k] for k in REASON_KEYS), u.conflicts,
                u.to_visit, u.bad_ids, u.duplicates, u.moved_out, u.double_insured, u.students_over_age]
        totals = [a + b for a, b in zip(totals, nums, strict=True)]
        rows.append([u.name, *nums, u.file.name if u.file else ""])
    rows.append(["合计", *totals, ""])
    return header, rows


def write_summary(result: PrefillResult, out_dir: Path, day: dt.date) -> list[Path]:
    import openpyxl
    from openpyxl.styles import Font

    header, rows = summary_table(result)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "预填汇总"
    append_row(ws, [f"城乡居保全覆盖摸底预填汇总（{day.year}年{day.month}月{day.day}日）"])
    append_row(ws, header)
    for r in rows:
        append_row(ws, r)
    for c in ws[2]:
        c.font = Font(bold=True)
    ws.freeze_panes = "B3"
    src = wb.create_sheet("比对数据")
    append_row(src, ["比对数据", "类别", "文件", "号码行数", "有效号码人数", "在名单中", "不在名单中", "号码无法使用"])
    for s in result.sources:
        append_row(src, [s.source.label, s.source.category, s.source.path.name, s.rows, s.ids, s.matched, s.not_in_list,
                    s.bad_ids])
    bad = wb.create_sheet("身份证号码需核实")
    append_row(bad, ["行政区划", "名单行号", "姓名", "身份证号码", "问题"])
    for b in result.bad_ids:
        append_row(bad, [b.unit, b.source_row, b.name, b.id, b.reason])
        bad.cell(bad.max_row, 4).number_format = "@"
    cross = wb.create_sheet("跨单位重复")
    append_row(cross, ["身份证号码", "姓名", "写入单位", "名单中还列在", "依据"])
    for c in result.cross_units:
        append_row(cross, [c.id, c.name, c.chosen, "、".join(c.others), c.basis])
        cross.cell(cross.max_row, 1).number_format = "@"
    for title, people in (("重复参保", result.double_insured), ("在校学生年龄需核实", result.students_over_age)):
        sheet = wb.create_sheet(title)
        append_row(sheet, ["行政区划", "名单行号", "姓名", "身份证号码", "说明"])
        for x in people:
            append_row(sheet, [x.unit, x.source_row, x.name, x.id, x.detail])
            sheet.cell(sheet.max_row, 4).number_format = "@"
    rules = wb.create_sheet("优先规则")
    append_row(rules, ["优先", "次于", "说明"])
    for r in result.priority:
        append_row(rules, [short_label(r.higher), short_label(r.lower), r.note])
    if not result.priority:
        append_row(rules, ["（无）", "", "没有优先规则：证据冲突的人员一律不预勾选，留待入户核实"])
    written = [save_book(wb, out_dir / SUMMARY_XLSX)]
    buf = io.StringIO()
    w = csv_writer(buf, lineterminator="\r\n")
    w.writerow(header)
    w.writerows(rows)
    written.append(guard.write_text(out_dir / SUMMARY_CSV, buf.getvalue(), kind="prefill", encoding="utf-8-sig"))
    return written
