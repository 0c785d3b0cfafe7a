"""Duplicates in the totals (issue 13): an ID twice in one unit counts once, 全市去重合计 counts each
person once across units, and the bureau's 归属单位 on the 重复人员 sheet puts a person in one unit
for later consolidate and dispatch runs. Real unit workbooks, read back with calamine and openpyxl."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from python_calamine import CalamineWorkbook

from coverage_xl.cli import main
from coverage_xl.consolidate import consolidate
from coverage_xl.dispatch import run_dispatch
from coverage_xl.idcard import check_character
from coverage_xl.jobs.consolidate import write_workbook
from coverage_xl.ownership import read_owner_choices
from coverage_xl.survey import load_batch
from coverage_xl.synth import Person, write_unit_workbook
from coverage_xl.units import unit_by_name

AS_OF = dt.date(2020, 9, 30)
FIRST_ROW = 6  # first data row of a unit's Annex 3 sheet
A, B, C = "草尾镇", "茶盘洲镇", "共华镇"


def pid(n: int) -> str:
    body = f"43098119800101{n:03d}"
    return body + check_character(body)


P1, P2, P3, P4, P5, P6, P7 = (pid(n) for n in (11, 13, 15, 17, 19, 21, 23))


def row(unit: str, name: str, number: str, **ticks: str) -> Person:
    return Person({"region": unit, "name": name, "id": number, "birth": "1980.01", **ticks}, None, None)


def write_world(folder: Path) -> Path:
    """Three units. 草尾镇 lists P4 twice (first row without a tick), 共华镇 lists P6 twice (both rows
    alike); P1 is in 草尾镇 and 茶盘洲镇; P2 is in scope in 草尾镇 but 已死亡未销户 in 共华镇."""
    folder.mkdir(parents=True, exist_ok=True)
    units = {
        A: [row(A, "甲", P1, in_scope="√", willing="是"), row(A, "乙", P2, in_scope="√", willing="否"),
            row(A, "丙", P3, student="√"), row(A, "丁", P4), row(A, "丁", P4, in_scope="√", willing="是")],
        B: [row(B, "甲", P1, in_scope="√", willing="是"), row(B, "戊", P5, prov_enterprise="√"),
            row(B, "己", P7, in_scope="√")],
        C: [row(C, "乙", P2, deceased="√"), row(C, "庚", P6, in_scope="√", willing="是"),
            row(C, "庚", P6, in_scope="√", willing="是")],
    }
    for name, people in units.items():
        write_unit_workbook(folder / f"{name}.xlsx", unit_by_name(name), people)
    return folder


def counts(result, unit: str) -> list[int | None]:
    return list(result.counts(unit).values())


#                        4  5  6  7  8  9 10 11 12 13 14 15 16 17 18
A_AS_REPORTED = [3, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 2]
B_AS_REPORTED = [2, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]
C_AS_REPORTED = [1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 1]
A_WITHOUT_P1 = [2, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 1]


@pytest.fixture()
def world(tmp_path) -> Path:
    return write_world(tmp_path / "units")


def test_an_id_twice_in_one_unit_counts_once_by_its_readable_row_and_stays_an_error(world):
    result = consolidate(load_batch(world, AS_OF))
    assert counts(result, A) == A_AS_REPORTED
    st = result.status[A]
    assert (st.rows, st.repeats, st.uncounted) == (5, 1, 0)
    assert "1条记录身份证号码在本表重复，只计一次" in result.table.loc[A, "remark"]
    report = next(f.checked.report for f in result.batch.files if f.unit and f.unit.name == A)
    assert [(f.row, f.column, f.code) for f in report.findings if f.code == "id.duplicate"] == [
        (FIRST_ROW + 3, 4, "id.duplicate"), (FIRST_ROW + 4, 4, "id.duplicate")]
    # two identical rows count once: 共华镇 has 1 in scope (P6), not 2
    assert counts(result, C) == C_AS_REPORTED
    assert (result.status[C].rows, result.status[C].repeats) == (3, 1)


def test_total_is_the_sum_of_units_and_the_deduplicated_row_counts_each_person_once(world, tmp_path):
    result = consolidate(load_batch(world, AS_OF))
    assert counts(result, B) == B_AS_REPORTED and counts(result, C) == C_AS_REPORTED
    total = [a + b + c for a, b, c in zip(A_AS_REPORTED, B_AS_REPORTED, C_AS_REPORTED, strict=True)]
    assert counts(result, "合计") == total
    # P1 counted by 草尾镇's row (first in Annex 1 order), P2 too (in scope, 否): one in col 4, 5, 15, 18 fewer
    assert list(result.dedup.values()) == [5, 2, 1, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 3]
    assert result.dedup_remark == ("2人在两个及以上单位上报且未核定归属单位（见“重复人员”表），合计中多计2人次，"
                                   "本行每人只计一次（按附件1单位顺序在先的单位的记录）："
                                   "第4列少1人、第5列少1人、第15列少1人、第18列少1人")
    out = write_workbook(result, tmp_path / "汇总.xlsx")
    rows = CalamineWorkbook.from_path(str(out)).get_sheet_by_name("附件4").to_python()
    codes = [r[0] for r in rows]
    total_at = codes.index("合计")
    assert rows[total_at + 1][0] == "全市去重合计"
    assert [int(v) for v in rows[total_at][3:18]] == total
    assert [int(v) for v in rows[total_at + 1][3:18]] == [5, 2, 1, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 3]
    assert rows[total_at + 1][18] == result.dedup_remark


def test_owner_choice_counts_the_person_only_in_the_chosen_unit_and_is_recorded(world, tmp_path):
    out = tmp_path / "总表.xlsx"
    runner = CliRunner()
    first = runner.invoke(main, ["consolidate", str(world), "--as-of", "2020-09-30", "-o", str(out)])
    assert first.exit_code == 1, first.output  # 11 units have not submitted
    said = first.output.replace("\n", "")
    assert "全市去重合计：范围内 5，范围外 2" in said
    assert "核对（合计行）：第4列 = 第17列 + 第18列 + 未填意愿 1 人：6 = 1 + 4 + 1" in said
    wb = openpyxl.load_workbook(out)
    ws = wb["重复人员"]
    header = [c.value for c in ws[2]]
    assert header[-1] == "归属单位"
    owner_col = len(header)
    lines = {(ws.cell(r, 2).value, ws.cell(r, 4).value): r for r in range(3, ws.max_row + 1)}
    assert set(lines) == {(P1, A), (P1, B), (P2, A), (P2, C)}
    ws.cell(lines[(P1, A)], owner_col, "茶盘洲镇")  # the bureau decides: P1 belongs to 茶盘洲镇
    ws.cell(lines[(P2, C)], owner_col, "南嘴镇")  # not one of P2's units: a finding, P2 stays in both
    wb.save(out)

    second = runner.invoke(main, ["consolidate", str(world), "--as-of", "2020-09-30", "-o", str(out)])
    assert second.exit_code == 1, second.output
    assert "南嘴镇" in second.output
    batch = load_batch(world, AS_OF, owners=read_owner_choices(out))
    assert [(f.row, f.column, f.code) for f in batch.owner_findings] == [
        (lines[(P2, C)], owner_col, "owner.not_a_place")]
    result = consolidate(batch)
    assert counts(result, A) == A_WITHOUT_P1
    assert counts(result, B) == B_AS_REPORTED and counts(result, C) == C_AS_REPORTED
    assert "1人经核定归属其他单位，未计入" in result.table.loc[A, "remark"]

    book = CalamineWorkbook.from_path(str(out))
    annex4 = book.get_sheet_by_name("附件4").to_python()
    unit_rows = {r[1]: r for r in annex4}
    assert [int(v) for v in unit_rows["沅江市草尾镇"][3:18]] == A_WITHOUT_P1
    log = book.get_sheet_by_name("汇总记录").to_python()
    decided = [r[:6] for r in log if r[1] == P1]
    assert decided == [[1.0, P1, "草尾镇、茶盘洲镇", "茶盘洲镇", float(lines[(P1, A)]), "只计入茶盘洲镇，草尾镇不再计入"]]
    assert any("归属单位填的是“南嘴镇”，但此人只由草尾镇、共华镇上报" in str(r[5]) for r in log)
    rewritten = book.get_sheet_by_name("重复人员").to_python()
    assert sorted((r[1], r[3], r[7]) for r in rewritten[2:]) == sorted(
        [(P1, A, "茶盘洲镇"), (P1, B, "茶盘洲镇"), (P2, A, ""), (P2, C, "南嘴镇")])


def test_dispatch_honours_the_owner_choice_read_from_the_master(world, tmp_path):
    out = tmp_path / "总表.xlsx"
    write_workbook(consolidate(load_batch(world, AS_OF)), out)
    wb = openpyxl.load_workbook(out)
    ws = wb["重复人员"]
    for r in range(3, ws.max_row + 1):
        if ws.cell(r, 2).value == P1 and ws.cell(r, 4).value == B:
            ws.cell(r, 8, "草尾")  # the unit's short name is enough
    wb.save(out)
    reg = tmp_path / "登记.csv"
    with reg.open("w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh).writerows([["姓名", "公民身份号码"], ["甲", P1], ["乙", P2]])
    before = run_dispatch(world, [reg], [], AS_OF)
    after = run_dispatch(world, [reg], [], AS_OF, owners=read_owner_choices(out))
    got = {n: (int(before.annex5.loc[n, "should_cover"]), int(before.annex5.loc[n, "registered"])) for n in (A, B, C)}
    assert got == {A: (3, 2), B: (2, 1), C: (1, 0)}
    got = {n: (int(after.annex5.loc[n, "should_cover"]), int(after.annex5.loc[n, "registered"])) for n in (A, B, C)}
    assert got == {A: (3, 2), B: (1, 0), C: (1, 0)}


def test_conflicting_and_unknown_owner_cells_are_findings_and_change_nothing(world, tmp_path):
    out = tmp_path / "总表.xlsx"
    write_workbook(consolidate(load_batch(world, AS_OF)), out)
    wb = openpyxl.load_workbook(out)
    ws = wb["重复人员"]
    where = {(ws.cell(r, 2).value, ws.cell(r, 4).value): r for r in range(3, ws.max_row + 1)}
    ws.cell(where[(P1, A)], 8, "草尾镇")
    ws.cell(where[(P1, B)], 8, "茶盘洲镇")
    ws.cell(where[(P2, A)], 8, "某某乡")
    wb.save(out)
    batch = load_batch(world, AS_OF, owners=read_owner_choices(out))
    assert sorted((f.row, f.column, f.code) for f in batch.owner_findings) == sorted([
        (where[(P1, A)], 8, "owner.conflict"), (where[(P1, B)], 8, "owner.conflict"),
        (where[(P2, A)], 8, "owner.unknown_unit")])
    result = consolidate(batch)
    assert counts(result, A) == A_AS_REPORTED and counts(result, B) == B_AS_REPORTED


# --------------------------------------------------------------------------- Annex 4 balance and 备注


def test_check_lines_under_the_table_show_the_balance_with_no_willingness(world, tmp_path):
    out = write_workbook(consolidate(load_batch(world, AS_OF)), tmp_path / "汇总.xlsx")
    rows = CalamineWorkbook.from_path(str(out)).get_sheet_by_name("附件4").to_python()
    texts = [str(r[0]) for r in rows]
    dedup_at = texts.index("全市去重合计")
    assert texts[dedup_at + 1] == ""  # one empty row, then the check lines
    assert texts[dedup_at + 2: dedup_at + 5] == [
        "核对（合计行）：第4列 = 第17列 + 第18列 + 未填意愿 1 人：6 = 1 + 4 + 1",
        "核对（合计行）：第5列 = 第6列 + 第10列…第16列：3 = 1 + 0 + 1 + 0 + 0 + 0 + 1 + 0",
        "核对（合计行）：第6列 = 第7列 + 第8列 + 第9列：1 = 1 + 0 + 0",
    ]
    assert texts[dedup_at + 5] == "口径说明："
    rules = texts[dedup_at + 6:]
    assert rules[0].startswith("1. 一行即一人") and rules[3].startswith("4. 同一身份证号码在同一单位出现多次的只计一次")
    docs = (Path(__file__).resolve().parents[1] / "docs" / "consolidate.md").read_text(encoding="utf-8")
    assert "全市去重合计" in docs and "未填意愿" in docs and "归属单位" in docs


def test_population_is_blank_when_unknown_and_the_total_says_not_filled(world, tmp_path):
    from dataclasses import replace

    from coverage_xl.units import default_units

    out = write_workbook(consolidate(load_batch(world, AS_OF)), tmp_path / "a.xlsx")
    rows = {r[0]: r for r in CalamineWorkbook.from_path(str(out)).get_sheet_by_name("附件4").to_python()}
    assert rows["430981114"][2] == "" and rows["合计"][2] == "未填"
    some = tuple(replace(u, population=1000 + u.order) if u.order <= 3 else u for u in default_units())
    rows = consolidate(load_batch(world, AS_OF, units=some)).rows()
    assert [r[2] for r in rows[:4]] == [1001, 1002, 1003, None] and rows[-1][2] == "未填"
    every = tuple(replace(u, population=1000) for u in default_units())
    assert consolidate(load_batch(world, AS_OF, units=every)).rows()[-1][2] == 14000


def test_remarks_wrap_and_each_row_is_high_enough_for_its_remark(world, tmp_path):
    import math

    out = write_workbook(consolidate(load_batch(world, AS_OF)), tmp_path / "汇总.xlsx")
    ws = openpyxl.load_workbook(out)["附件4"]
    width = ws.column_dimensions["S"].width
    checked = 0
    for r in range(7, ws.max_row + 1):
        text = ws.cell(r, 19).value
        if ws.cell(r, 1).value in (None, "") or not text:
            continue
        assert ws.cell(r, 19).alignment.wrap_text, r
        wide = sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)
        lines = math.ceil(wide / (width - 1))
        assert ws.row_dimensions[r].height >= 13.5 * lines, (r, text)
        checked += lines > 1
    assert checked >= 2, "the world must have remarks longer than one line"


def test_owner_for_an_id_no_longer_in_two_units_is_an_info_finding_and_dispatch_prints_choices(world, tmp_path):
    out = tmp_path / "总表.xlsx"
    write_workbook(consolidate(load_batch(world, AS_OF)), out)
    wb = openpyxl.load_workbook(out)
    ws = wb["重复人员"]
    where = {(ws.cell(r, 2).value, ws.cell(r, 4).value): r for r in range(3, ws.max_row + 1)}
    ws.cell(where[(P1, B)], 8, "茶盘洲镇")
    ws.cell(where[(P2, C)], 8, "共华镇")
    wb.save(out)
    (world / f"{C}.xlsx").unlink()  # 共华镇 withdraws its file: P2 is now only in 草尾镇
    batch = load_batch(world, AS_OF, owners=read_owner_choices(out))
    assert [(f.row, f.column, f.code) for f in batch.owner_findings] == [(where[(P2, C)], 8, "owner.not_duplicate")]
    assert [(d.id, d.owner) for d in batch.duplicates] == [(P1, B)]
    reg = tmp_path / "登记.csv"
    reg.write_text(f"姓名,公民身份号码\n甲,{P1}\n", encoding="utf-8")
    res = CliRunner().invoke(main, ["dispatch", "--survey", str(world), "-r", str(reg), "-p", str(reg),
                                    "--as-of", "2020-09-30", "-o", str(out)])
    assert res.exit_code == 1, res.output  # units missing
    assert "1 人只计入所定单位" in res.output and "已不在两个及以上单位出现" in res.output.replace("\n", "")


def test_owners_option_reads_the_choices_from_the_master_when_the_output_is_a_new_file(world, tmp_path):
    master = tmp_path / "总表.xlsx"
    write_workbook(consolidate(load_batch(world, AS_OF)), master)
    wb = openpyxl.load_workbook(master)
    ws = wb["重复人员"]
    for r in range(3, ws.max_row + 1):
        if ws.cell(r, 2).value == P1 and ws.cell(r, 4).value == A:
            ws.cell(r, 8, "茶盘洲镇")
    wb.save(master)
    fresh = tmp_path / "附件4_新.xlsx"
    res = CliRunner().invoke(main, ["consolidate", str(world), "--as-of", "2020-09-30", "-o", str(fresh),
                                    "--owners", str(master)])
    assert res.exit_code == 1, res.output
    rows = {r[1]: r for r in CalamineWorkbook.from_path(str(fresh)).get_sheet_by_name("附件4").to_python()}
    assert [int(v) for v in rows["沅江市草尾镇"][3:18]] == A_WITHOUT_P1
    reg = tmp_path / "登记.csv"
    reg.write_text(f"姓名,公民身份号码\n甲,{P1}\n", encoding="utf-8")
    res = CliRunner().invoke(main, ["dispatch", "--survey", str(world), "-r", str(reg), "-p", str(reg),
                                    "--as-of", "2020-09-30", "-o", str(tmp_path / "调度.xlsx"), "--owners", str(master)])
    assert res.exit_code == 1, res.output
    annex5 = {r[1]: r for r in CalamineWorkbook.from_path(str(tmp_path / "调度.xlsx")).get_sheet_by_name("附件5").to_python()}
    assert [int(annex5["沅江市草尾镇"][2]), int(annex5["沅江市茶盘洲镇"][2])] == [2, 2]  # 应覆盖: P1 only in 茶盘洲镇
