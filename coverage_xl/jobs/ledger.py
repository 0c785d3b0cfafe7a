"""Ledger jobs: the ``--json`` summary file, the export workbooks, and the master's 台账汇总 sheet.

:func:`export_ledger` reads the ledger through :mod:`coverage_xl.ledger.query`, masks the IDs unless
asked not to, has :mod:`coverage_xl.sheets.ledger` draw each workbook and writes it atomically:

- ``<unit>_台账_<YYYYMMDD>.xlsx`` — one per unit, sorted by village;
- ``台账汇总_<YYYYMMDD>.xlsx`` — units × statuses, 销号率 (台账汇总) and week over week (周对比);
- ``变更记录_<from>_<to>.xlsx`` — the change log of a date range;
- ``未摸底名单_…``, ``名单外名单_…`` (a sheet per unit), ``登记未缴费名单（税务）_…`` (city-wide, Annex 2
  task 3), ``重复参保名单_…``, ``即将到龄名单_…`` (turning 60 within N months) and, given a comparison
  file of 建档立卡/低保/特困/重度残疾 people, ``代缴对象_…`` (who has not yet reached 已缴费).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl import Workbook

from coverage_xl import guard
from coverage_xl.errors import InputError
from coverage_xl.layout import LEDGER_SUMMARY_SHEET
from coverage_xl.ledger import query as q
from coverage_xl.ledger.statuses import StatusBook, load_statuses
from coverage_xl.mask import mask_id
from coverage_xl.sheets import ledger as sl
from coverage_xl.sheets.frame import chinese_date, save_workbook
from coverage_xl.sheets.stream import add_sheet, streamed_workbook
from coverage_xl.units import Unit, default_units

FIELD_LABELS = {"status": "状态", "settled": "是否销号", "unit": "单位", "off_list": "名单外",
                "cross_unit_duplicate": "跨单位重复", "duplicate_insurance": "重复参保", "last_contact": "最近联系"}
SOURCE_LABELS = {"list": "省下发核实名单", "survey": "摸底表", "registration": "参保登记导出", "payment": "缴费导出",
                 "followup": "跟进名单回执"}
LIST_PERSON: tuple[sl.Column, ...] = (
    ("单位", "unit", 11), ("村（社区）", "village", 12), ("姓名", "name", 9), ("身份证号码", "id", 21),
    ("户籍地址", "address", 28), ("状态", "status_label", 11), ("标记", "flags", 14), ("最近联系", "last_contact", 22),
)


def write_json_summary(summary: dict[str, Any], path: str | Path) -> Path:
    """The ``--json`` summary (issue 14 shape), written atomically."""
    return guard.write_text(Path(path), json.dumps(summary, ensure_ascii=False, indent=2) + "\n", kind="ledger")


@dataclass
class ExportResult:
    folder: Path
    as_of: dt.date
    written: list[Path] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)  # file name -> rows


def _records(people: Iterable[q.Record], unmasked: bool) -> Iterator[q.Record]:
    """The people as the sheets show them: 是否销号 in words, the ID masked unless asked not to."""
    for rec in people:
        if "settled" in rec:
            rec["settled_text"] = "是" if rec["settled"] else "否"
        if not unmasked:
            rec["id"] = mask_id(rec["id"])
        yield rec


def _save(folder: Path, name: str, draw: Callable[[Workbook], int], result: ExportResult, *,
          streamed: bool = True) -> None:
    """Draw a workbook and write it through the output guard. The person lists are streamed
    (:mod:`coverage_xl.sheets.stream`); the small summary, whose cells are styled after they are
    written, is an ordinary workbook."""
    if streamed:
        wb = streamed_workbook()
    else:
        wb = Workbook()
        wb.remove(wb.active)
    n = draw(wb)
    path = folder / name
    guard.write_file(path, lambda p: save_workbook(wb, p), kind="ledger")
    result.written.append(path)
    result.counts[name] = n


def _per_unit_sheets(people: list[q.Record], units: tuple[Unit, ...], title: str, note: str,
                     unmasked: bool) -> Callable[[Workbook], int]:
    def draw(wb: Workbook) -> int:
        total = 0
        by_unit: dict[str, list[q.Record]] = {}
        for rec in people:
            by_unit.setdefault(rec["unit"], []).append(rec)
        names = [u.name for u in units if u.name in by_unit]
        names += sorted(set(by_unit) - set(names))
        for name in names or ["（无）"]:
            rows = by_unit.get(name, [])
            total += sl.write_people_list(add_sheet(wb), f"{name}{title}", note.format(n=len(rows)), LIST_PERSON,
                                          _records(rows, unmasked), sheet=name)
        return total
    return draw


def _one_sheet(people: list[q.Record], title: str, note: str, columns: tuple[sl.Column, ...], sheet: str,
               unmasked: bool) -> Callable[[Workbook], int]:
    def draw(wb: Workbook) -> int:
        return sl.write_people_list(add_sheet(wb), title, note, columns, _records(people, unmasked), sheet=sheet)
    return draw


def _change_rows(changes: Iterable[q.Record], book: StatusBook, unmasked: bool) -> Iterator[q.Record]:
    def label(field_name: str, value: str) -> str:
        if field_name == "status":
            return book.label(value) if value else "（无）"
        if field_name in ("settled", "off_list", "cross_unit_duplicate", "duplicate_insurance"):
            return {"1": "是", "0": "否"}.get(value, value)
        return value
    for r in changes:
        r["field_label"] = FIELD_LABELS.get(r["field"], r["field"])
        r["old_label"] = label(r["field"], r["old_value"])
        r["new_label"] = label(r["field"], r["new_value"])
        r["source_label"] = SOURCE_LABELS.get(r["source_kind"], r["source_kind"])
        r["id"] = r["id"] if unmasked else mask_id(r["id"])
        yield r


def export_ledger(ledger: str | Path, out_dir: str | Path, *, start: dt.date | None = None,
                  end: dt.date | None = None, unmasked: bool = False, assisted: Iterable[str | Path] = (),
                  months: int = q.DEFAULT_AGE_MONTHS, statuses: str | Path | StatusBook | None = None,
                  units: tuple[Unit, ...] | None = None) -> ExportResult:
    """Write every export of the ledger into ``out_dir``; IDs masked unless ``unmasked``."""
    units = units or default_units()
    book = statuses if isinstance(statuses, StatusBook) else load_statuses(statuses)
    with q.open_view(ledger, book) as view:
        return _export(view, Path(out_dir), start=start, end=end, unmasked=unmasked, assisted=list(assisted),
                       months=months, units=units)


def _export(view: q.LedgerView, folder: Path, *, start: dt.date | None, end: dt.date | None, unmasked: bool,
            assisted: list[str | Path], months: int, units: tuple[Unit, ...]) -> ExportResult:
    book = view.book
    as_of = view.as_of
    if folder.exists() and not folder.is_dir():
        raise InputError(f"输出位置“{folder}”是一个文件，请给一个文件夹。")
    folder.mkdir(parents=True, exist_ok=True)
    stamp = f"{as_of:%Y%m%d}"
    result = ExportResult(folder, as_of)
    full = {u.name: u.full_name for u in units}
    when = f"截至{chinese_date(as_of)}"

    for name in view.units_in_ledger(units):
        _save(folder, f"{name}_台账_{stamp}.xlsx",
              lambda wb, n=name: _unit_ledger(wb, view, n, full.get(n, n), as_of, unmasked), result)

    table = q.summary_table(view, units)
    wow = q.week_over_week(view, units)

    def draw_summary(wb: Workbook) -> int:
        ws = wb.create_sheet(LEDGER_SUMMARY_SHEET)
        n = sl.write_summary(ws, table.to_dict("records"), book, as_of)
        sl.write_week_over_week(wb.create_sheet(), wow.to_dict("records"), view.dates[-6:])
        return n
    _save(folder, f"台账汇总_{stamp}.xlsx", draw_summary, result, streamed=False)

    start = start or dt.date.fromisoformat(view.dates[0])
    end = end or as_of

    def draw_changes(wb: Workbook) -> int:
        count, changes = q.change_log(view, start, end)
        return sl.write_changes(add_sheet(wb), _change_rows(changes, book, unmasked), start.isoformat(),
                                end.isoformat(), count=count)
    _save(folder, f"变更记录_{start:%Y%m%d}_{end:%Y%m%d}.xlsx", draw_changes, result)

    _save(folder, f"未摸底名单_{stamp}.xlsx", _per_unit_sheets(
        q.with_status(view, "not_surveyed"), units, "未摸底人员名单",
        when + "，在省下发核实名单中、未在任何单位摸底表中且未参保登记的人员，共{n}人。请入户摸底。", unmasked), result)
    _save(folder, f"名单外名单_{stamp}.xlsx", _per_unit_sheets(
        q.with_flag(view, "off_list"), units, "名单外人员名单",
        when + "，已摸底但不在省下发核实名单中的人员，共{n}人。请核实户籍和身份。", unmasked), result)
    unpaid = q.with_status(view, "registered_unpaid")
    _save(folder, f"登记未缴费名单（税务）_{stamp}.xlsx", _one_sheet(
        unpaid, "沅江市城乡居保已登记未缴费人员名单", f"{when}，已参保登记、本年度尚未缴费的人员，共{len(unpaid)}人"
        "（提供税务部门催缴，附件2任务3）。", LIST_PERSON, "登记未缴费", unmasked), result)
    del unpaid
    dup = q.with_flag(view, "duplicate_insurance")
    _save(folder, f"重复参保名单_{stamp}.xlsx", _one_sheet(
        dup, "沅江市重复参保人员名单", f"{when}，摸底为已参加职工养老保险、同时已参加城乡居保登记的人员，共{len(dup)}人。",
        LIST_PERSON, "重复参保", unmasked), result)
    aging = q.turning_sixty(view, as_of, months)
    _save(folder, f"即将到龄名单_{stamp}.xlsx", _one_sheet(
        aging, "即将年满60周岁人员名单", f"{when}起{months}个月内年满60周岁的人员，共{len(aging)}人"
        "（每月定期查询，提前告知缴费和申领待遇）。",
        (*LIST_PERSON[:4], ("出生日期", "birth", 11), ("满60周岁日期", "sixty", 12), *LIST_PERSON[5:]),
        "即将到龄", unmasked), result)
    if assisted:
        helped = q.assisted_people(view, assisted)
        for rec in helped:
            rec["paid_text"] = "已缴费" if rec["paid"] else "未缴费"
        missing = sum(not rec["paid"] for rec in helped)
        _save(folder, f"代缴对象_{stamp}.xlsx", _one_sheet(
            helped, "代缴对象缴费情况", f"{when}，建档立卡、低保、特困、重度残疾代缴对象共{len(helped)}人，"
            f"其中尚未缴费{missing}人（须于10月底前完成代缴）。",
            (*LIST_PERSON[:4], ("代缴类别", "assisted_kind", 10), ("是否已缴费", "paid_text", 9), *LIST_PERSON[5:]),
            "代缴对象", unmasked), result)
    return result


def _unit_ledger(wb: Workbook, view: q.LedgerView, unit: str, full_name: str, as_of: dt.date, unmasked: bool) -> int:
    """A unit's 台账: its people read when the workbook is drawn, one unit at a time."""
    people = view.unit_people(unit)
    return sl.write_unit_ledger(add_sheet(wb), full_name, _records(people, unmasked), as_of, len(people))


def write_ledger_summary_sheet(ledger: str | Path, master: str | Path, *, statuses: str | Path | StatusBook | None = None,
                               units: tuple[Unit, ...] | None = None) -> Path:
    """Put the 台账汇总 sheet into the master workbook (every other sheet kept)."""
    from coverage_xl.sheets.output import write_owned_sheets

    units = units or default_units()
    book = statuses if isinstance(statuses, StatusBook) else load_statuses(statuses)
    with q.open_view(ledger, book) as view:
        table = q.summary_table(view, units)
        as_of = view.as_of
    write_owned_sheets(Path(master), {
        LEDGER_SUMMARY_SHEET: lambda ws: sl.write_summary(ws, table.to_dict("records"), book, as_of)},
        kind="ledger", inputs=[Path(ledger)])
    return Path(master)
