"""`ledger export` at city scale: its person lists are streamed sheets (coverage_xl/sheets/stream.py),
written row by row from SQLite, and a reader cannot tell them from the same tables drawn cell by cell.

The ledger is the week-1 campaign of tests/ledger_world.py, built from real files; the workbooks are
read back with openpyxl and python-calamine.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import ledger_world as w
import openpyxl
import pytest
from openpyxl import Workbook
from openpyxl.cell import cell as cell_module
from python_calamine import CalamineWorkbook

from coverage_xl.ledger import update_ledger
from coverage_xl.sheets import ledger as sl
from coverage_xl.sheets.frame import FOOTER, save_workbook
from coverage_xl.sheets.stream import add_sheet, streamed_workbook

HOSTILE = ['=HYPERLINK("http://x","点我")', "+1", "-2+3", "@SUM(A1)", "＝1+1", "\t=1", " =1", "  两头空格  ",
           "a & b < c > d", "行一\r\n行二", "控制\x01字符", "x" * 40000, "张三", "", None, 7, 2.5, "0012"]


@pytest.fixture(scope="module")
def ledger(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("export")
    lists = w.write_list(root / "list")
    survey = w.write_surveys(root / "survey")
    reg, pay = w.write_exports(root / "exports", *w.week1_facts(), "0904")
    db = root / "台账.sqlite"
    update_ledger(db, lists=lists, survey=survey, registrations=[reg], payments=[pay], as_of=w.AS_OF_1)
    return db


def _table(ws) -> int:
    columns = [("姓名", "name", 9), ("身份证号码", "id", 21), ("户籍地址", "address", 28), ("数", "n", 6)]
    records = [{"name": v, "id": "430981196503151234", "address": v, "n": i} for i, v in enumerate(HOSTILE)]
    return sl.write_table(ws, "标题 =1+1", "说明", columns, records)


def _sheet_facts(ws) -> dict:
    return {
        "title": ws.title, "freeze": ws.freeze_panes, "filter": ws.auto_filter.ref, "print_titles": ws.print_title_rows,
        "merged": sorted(map(str, ws.merged_cells.ranges)),
        "widths": {k: d.width for k, d in ws.column_dimensions.items()},
        "heights": {k: d.height for k, d in ws.row_dimensions.items() if d.height},
        "page": (ws.page_setup.orientation, ws.page_setup.paperSize, ws.page_setup.fitToWidth,
                 ws.page_setup.fitToHeight, ws.sheet_properties.pageSetUpPr.fitToPage),
        "marks": (ws.oddFooter.center.text, ws.oddHeader.center.text),
        "cells": [(c.coordinate, c.value, c.data_type, repr(c.font), repr(c.border), repr(c.fill), repr(c.alignment),
                   c.number_format, c.quotePrefix)
                  for row in ws.iter_rows() for c in row if type(c).__name__ != "MergedCell"],
    }


def test_a_streamed_table_reads_back_exactly_like_the_same_table_drawn_cell_by_cell(tmp_path):
    ordinary = Workbook()
    ordinary.remove(ordinary.active)
    n1 = _table(ordinary.create_sheet("表"))
    streamed = streamed_workbook()
    n2 = _table(add_sheet(streamed, "表"))
    save_workbook(ordinary, tmp_path / "ordinary.xlsx")
    save_workbook(streamed, tmp_path / "streamed.xlsx")
    assert n1 == n2 == len(HOSTILE)

    a = _sheet_facts(openpyxl.load_workbook(tmp_path / "ordinary.xlsx")["表"])
    b = _sheet_facts(openpyxl.load_workbook(tmp_path / "streamed.xlsx")["表"])
    assert a == b
    # the hostile texts are text, exactly (XML-illegal characters marked, cut at Excel's limit), and the
    # formula-like ones carry the quote prefix
    ws = openpyxl.load_workbook(tmp_path / "streamed.xlsx")["表"]
    names = {r: ws.cell(r, 2) for r in range(4, 4 + len(HOSTILE))}
    assert [c.value for c in names.values()][:11] == HOSTILE[:9] + ["行一\r\n行二", "控制\ufffd字符"]
    assert len(names[15].value) == 32767
    assert [r for r, c in names.items() if c.quotePrefix] == [4, 5, 6, 7, 8, 9, 10]
    assert {c.data_type for c in names.values() if isinstance(c.value, str)} == {"s"}
    read = [CalamineWorkbook.from_path(tmp_path / f).get_sheet_by_name("表").to_python()
            for f in ("ordinary.xlsx", "streamed.xlsx")]
    assert read[0] == read[1]


def test_rows_go_into_a_streamed_sheet_only_in_order():
    wb = streamed_workbook()
    ws = add_sheet(wb, "表")
    from coverage_xl.sheets.cells import stream_row, stream_style

    style = stream_style(ws)
    assert stream_row(ws, ["a", 1], [style, None]) == 1
    assert stream_row(ws, ["b"], [style]) == 2
    with pytest.raises(ValueError):
        stream_row(ws, ["c", "d"], [style])
    with pytest.raises(TypeError):
        stream_row(ws, [object()], [style])
    with pytest.raises(ValueError):
        add_sheet(Workbook(), "普通工作簿")


def test_the_export_makes_no_cell_object_per_cell_of_its_person_lists(ledger, tmp_path, monkeypatch):
    """The lists are streamed: openpyxl makes a cell object only for each column's style, never one per
    written cell (a city's 2.8 million cells took 1.1 GB that way)."""
    from coverage_xl.jobs.ledger import export_ledger

    made: dict[int, list] = {}  # per sheet (kept alive, so that its id stays its own): [sheet, cells made]
    original = cell_module.Cell.__init__

    def counting(self, worksheet, *args, **kwargs):
        made.setdefault(id(worksheet), [worksheet, 0])[1] += 1
        original(self, worksheet, *args, **kwargs)
    monkeypatch.setattr(cell_module.Cell, "__init__", counting)
    result = export_ledger(ledger, tmp_path / "out")
    rows = result.counts[f"{w.A}_台账_{w.AS_OF_1:%Y%m%d}.xlsx"]
    assert rows >= 9
    person_sheets = {f"{id(ws.parent)}!{ws.title}": n for ws, n in made.values() if ws.title not in ("台账汇总", "周对比")}
    assert sorted(k.split("!")[1] for k in person_sheets) == sorted(  # 未摸底 (A) and 名单外 (B): a sheet per unit
        ["台账"] * 3 + ["变更记录", w.A, w.B, "登记未缴费", "重复参保", "即将到龄"])
    # title, note, header and one per body column (at most 12 columns): none per row
    assert max(person_sheets.values()) <= 3 + 12 * 2, person_sheets


def test_every_exported_sheet_prints_a4_one_page_wide_with_page_numbers_and_its_header(ledger, tmp_path):
    from coverage_xl.jobs.ledger import export_ledger

    result = export_ledger(ledger, tmp_path / "out")
    assert len(result.written) == 10  # 3 units, 台账汇总, 变更记录, 5 lists (no 代缴对象 without --assisted)
    for path in result.written:
        for ws in openpyxl.load_workbook(path).worksheets:
            where = f"{path.name}!{ws.title}"
            assert int(ws.page_setup.paperSize) == 9 and ws.page_setup.fitToWidth == 1, where
            assert ws.page_setup.fitToHeight == 0 and ws.sheet_properties.pageSetUpPr.fitToPage, where
            assert ws.oddFooter.center.text == FOOTER, where
            assert str(ws.print_title_rows).replace("$", "") == "1:3", where
            assert ws.freeze_panes == "A4", where


def test_formula_like_names_and_addresses_in_the_ledger_stay_text_in_every_export(ledger, tmp_path):
    from coverage_xl.jobs.ledger import export_ledger

    db = tmp_path / "台账.sqlite"
    shutil.copy(ledger, db)
    con = sqlite3.connect(db)
    con.execute("UPDATE people SET name = ?, address = ? WHERE id = ?", (HOSTILE[0], "@SUM(A1) & <b>", w.BY_KEY["paid"].id))
    con.execute("UPDATE people SET name = ? WHERE id = ?", ("+1+1", w.BY_KEY["reg_unpaid"].id))
    con.commit()
    con.close()
    result = export_ledger(db, tmp_path / "out", unmasked=True)
    seen = []
    for path in result.written:
        for ws in openpyxl.load_workbook(path).worksheets:
            for row in ws.iter_rows():
                for c in row:
                    if c.value in (HOSTILE[0], "@SUM(A1) & <b>", "+1+1"):
                        assert c.data_type == "s" and c.quotePrefix, (path.name, c.coordinate)
                        seen.append((path.name.split("_")[0], c.value))
                    assert c.data_type != "f", (path.name, c.coordinate)
    assert (w.A, HOSTILE[0]) in seen and (w.A, "@SUM(A1) & <b>") in seen and (w.A, "+1+1") in seen
    assert ("变更记录", HOSTILE[0]) in seen  # the change log names the person too
    assert ("登记未缴费名单（税务）", "+1+1") in seen


def test_to_master_puts_the_summary_into_the_master_beside_its_other_sheets(ledger, tmp_path):
    from cliutil import cli

    from coverage_xl.layout import LEDGER_SUMMARY_SHEET
    from coverage_xl.units import default_units

    master = tmp_path / "总表.xlsm"
    r = cli("master", master)
    assert r.code == 0, r.output
    before = openpyxl.load_workbook(master).sheetnames
    r = cli("ledger", "export", "-o", tmp_path / "out", "--ledger", ledger, "--master", master, "--to-master")
    assert r.code == 0, r.output
    assert "已写入总表" in r.output
    wb = openpyxl.load_workbook(master)
    assert set(before) <= set(wb.sheetnames)
    rows = [[c.value for c in row] for row in wb[LEDGER_SUMMARY_SHEET].iter_rows()]
    header = rows[2]
    people = header.index("台账人数")
    units = rows[3:next(i for i, r in enumerate(rows) if r[0] == "合计")]
    total = next(r for r in rows if r[0] == "合计")
    assert [r[0] for r in units][:14] == [u.name for u in default_units()]
    in_a = {p.id for p in w.PEOPLE if any(u == w.A for u, _ in p.survey) or (p.list_unit == w.A and not p.survey)}
    assert next(r for r in units if r[0] == w.A)[people] == len(in_a)
    assert total[people] == sum(r[people] for r in units)
    assert any(r[0] == "口径说明" for r in rows)


def test_a_streamed_sheet_refuses_rows_openpyxl_would_add_beside_the_streamed_ones(tmp_path):
    from coverage_xl.sheets.cells import stream_row, stream_style

    wb = streamed_workbook()
    ws = add_sheet(wb, "表")
    stream_row(ws, ["a"], [stream_style(ws)], height=20)
    ws.row_dimensions[5].height = 30  # would be an empty <row r="5"> of openpyxl's own
    with pytest.raises(RuntimeError):
        save_workbook(wb, tmp_path / "x.xlsx")
    ok = streamed_workbook()
    stream_row(add_sheet(ok, "表"), ["a"], [None], height=20)
    save_workbook(ok, tmp_path / "ok.xlsx")
    ws = openpyxl.load_workbook(tmp_path / "ok.xlsx")["表"]
    assert (ws["A1"].value, ws.row_dimensions[1].height) == ("a", 20)
