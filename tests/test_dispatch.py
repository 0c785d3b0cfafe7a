"""Dispatch: Annex 5 numbers against counts made here from the synthetic people (not from the code
under test), exports in several formats and spellings, progress and milestones, the sheets read back
by calamine and openpyxl, the history, the follow-up lists and the command line."""

from __future__ import annotations

import csv
import datetime as dt
import random
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from cliutil import cli
from python_calamine import CalamineWorkbook

from coverage_xl import guard
from coverage_xl.dispatch import run_dispatch
from coverage_xl.errors import ParameterError
from coverage_xl.followup import village_of, write_followup_lists
from coverage_xl.jobs.dispatch import write_dispatch
from coverage_xl.layout import ANNEX5, TOTAL_LABEL, UNPAID_SHEET, UNREGISTERED_SHEET
from coverage_xl.progress import LAGGING, ON_TRACK, build_progress, load_milestones
from coverage_xl.synth import make_id, write_sample_folder
from coverage_xl.units import default_units

AS_OF = dt.date(2020, 9, 30)
YEAR = 2020
UNITS = default_units()


def _fullwidth(s: str) -> str:
    return s.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789"})


def _spelling(pid: str, rng: random.Random) -> str:
    """The same ID as another system might type it: lowercase x, spaces, full-width digits."""
    k = rng.randrange(4)
    if k == 0:
        return pid.lower()
    if k == 1:
        return f" {pid[:6]} {pid[6:14]} {pid[14:]}"
    if k == 2:
        return _fullwidth(pid[:-1]) + pid[-1].lower()
    return pid


@dataclass
class World:
    survey: Path
    registrations: list[Path]
    payments: list[Path]
    expected: dict[str, dict[str, int]]  # unit -> should_cover, registered, paid
    strangers: set[str]  # IDs in the exports but not in the survey
    paid_not_registered: int


def _write_csv(path: Path, rows: list[list[object]], encoding: str) -> Path:
    with path.open("w", encoding=encoding, newline="") as fh:
        csv.writer(fh).writerows(rows)
    return path


def _write_xlsx(path: Path, rows: list[list[object]]) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    for row in ws.iter_rows(min_row=2):
        for c in row:
            if isinstance(c.value, str):
                c.number_format = "@"
    wb.save(path)
    return path


def build_world(root: Path, total: int = 420, seed: int = 7) -> World:
    people = write_sample_folder(root / "survey", total, seed=seed, errors_per_unit=2)
    rng = random.Random(seed)
    reg_rows: list[list[object]] = []
    pay_rows: list[list[object]] = []  # id, year-ish cell, amount
    expected: dict[str, dict[str, int]] = {}
    paid_not_registered = 0
    registered_ids: set[str] = set()
    decided: dict[str, tuple[bool, str]] = {}  # id -> (registered, payment kind)
    for unit in UNITS:
        e = {"should_cover": 0, "registered": 0, "paid": 0}
        for p in people[unit.name]:
            pid = p.values.get("id")
            in_scope = p.category == "in_scope"
            e["should_cover"] += in_scope
            if not isinstance(pid, str):
                continue  # a number cell: nobody can match it
            if pid not in decided:
                reg = rng.random() < (0.65 if in_scope else 0.3)
                pay = rng.choice(("2020", "2020", "2020", "2019", "zero", "none")) if reg else \
                    rng.choice(("none", "none", "none", "2020"))
                decided[pid] = (reg, pay)
                if reg:
                    registered_ids.add(pid)
                    reg_rows.append([p.values.get("name", ""), _spelling(pid, rng)])
                if pay == "2020":
                    pay_rows.append([_spelling(pid, rng), rng.choice(("date", "text", "number", "year")), 200])
                elif pay == "2019":
                    pay_rows.append([pid, "2019", 200])
                elif pay == "zero":
                    pay_rows.append([pid, "year", 0])
            reg, pay = decided[pid]
            if in_scope and reg:
                e["registered"] += 1
                e["paid"] += pay == "2020"
            if in_scope and not reg and pay == "2020":
                paid_not_registered += 1
        expected[unit.name] = e
    strangers = {make_id(dt.date(1970 + i, 3, 3), rng, "430902") for i in range(6)}
    for s in sorted(strangers):
        reg_rows.append(["外地人", s])
        pay_rows.append([s, "year", 300])
    rng.shuffle(reg_rows)
    rng.shuffle(pay_rows)

    def pay_cells(kind: str) -> tuple[object, object]:
        if kind == "date":
            return None, dt.date(2020, 8, 15)
        if kind == "text":
            return None, "2020-07-01 09:30:00"
        if kind == "number":
            return None, 20200915
        if kind == "2019":
            return None, dt.date(2019, 12, 20)
        return YEAR, dt.date(2020, 6, 1)

    half = len(reg_rows) // 2
    reg_csv = _write_csv(root / "登记_一.csv", [["沅江市城乡居保参保登记名单"], ["姓名", "公民身份号码"], *reg_rows[:half]],
                         "gbk")
    reg_xlsx = _write_xlsx(root / "登记_二.xlsx", [["姓名", "证件号码"], *reg_rows[half:]])
    pay_full = [[pid, *pay_cells(k), amount] for pid, k, amount in pay_rows]
    half = len(pay_full) // 2
    # CSV: only 缴费年度 (the date cells become text); xlsx: 缴费日期 with real date cells
    pay_csv = _write_csv(root / "缴费_一.csv", [["身份证号码", "缴费年度", "缴费金额"],
                                                *[[pid, y if y else d.year if isinstance(d, dt.date) else str(d)[:4], a]
                                                  for pid, y, d, a in pay_full[:half]]], "utf-8-sig")
    pay_xlsx = _write_xlsx(root / "缴费_二.xlsx", [["身份证号", "缴费日期", "实缴金额"],
                                                   *[[pid, d, a] for pid, _, d, a in pay_full[half:]]])
    return World(root / "survey", [reg_csv, reg_xlsx], [pay_csv, pay_xlsx], expected, strangers, paid_not_registered)


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> World:
    return build_world(tmp_path_factory.mktemp("dispatch"))


@pytest.fixture(scope="module")
def result(world):
    return run_dispatch(world.survey, world.registrations, world.payments, AS_OF)


def test_annex5_counts_match_an_independent_count(world, result):
    a5 = result.annex5
    assert list(a5.index) == [u.name for u in UNITS] + [TOTAL_LABEL]
    assert list(a5.columns)[:len(ANNEX5.keys)] == ANNEX5.keys
    for unit in UNITS:
        e = world.expected[unit.name]
        row = a5.loc[unit.name]
        got = {k: int(row[k]) for k in ("should_cover", "registered", "paid")}
        assert got == e, unit.name
        assert row["unregistered"] == e["should_cover"] - e["registered"]
        assert row["coverage_rate"] == pytest.approx(e["registered"] / e["should_cover"])
        assert row["payment_rate"] == pytest.approx(e["paid"] / e["registered"])
        assert row["region"] == f"沅江市{unit.name}" and row["code"] == unit.code
    tot = a5.loc[TOTAL_LABEL]
    sums = {k: sum(e[k] for e in world.expected.values()) for k in ("should_cover", "registered", "paid")}
    assert {k: int(tot[k]) for k in sums} == sums
    assert tot["coverage_rate"] == pytest.approx(sums["registered"] / sums["should_cover"])
    assert tot["payment_rate"] == pytest.approx(sums["paid"] / sums["registered"])
    assert sums["paid"] < sums["registered"] < sums["should_cover"]  # the data exercise every column


def test_people_in_exports_but_not_in_the_survey_are_ignored_and_counted(world, result):
    s = result.summary
    assert s.registered_not_in_survey == len(world.strangers)
    assert s.paid_not_in_survey == len(world.strangers)
    assert set(result.unmatched["id"]) == world.strangers
    assert not result.people["match_id"].isin(world.strangers).any()


def test_paid_requires_registration_and_the_rest_is_reported(world, result):
    s = result.summary
    assert s.paid_not_registered == world.paid_not_registered > 0
    a5 = result.annex5
    assert (a5["paid"] <= a5["registered"]).all()
    assert s.payment_rows_other_year > 0 and s.payment_rows_not_positive > 0
    assert s.problems == []
    assert s.survey_files == s.counted_files == 14


def test_zero_denominators_give_empty_rates_and_missing_units_empty_counts(world):
    one = next(world.survey.glob("草尾镇*"))
    r = run_dispatch([one], world.registrations, [], AS_OF)
    a5 = r.annex5
    assert a5.loc["草尾镇", "should_cover"] == world.expected["草尾镇"]["should_cover"]
    assert a5.loc["草尾镇", "paid"] == 0 and a5.loc["草尾镇", "payment_rate"] == 0
    other = a5.loc["琼湖街道"]  # no file: unknown, not zero
    assert pd.isna(other["should_cover"]) and pd.isna(other["unregistered"]) and pd.isna(other["coverage_rate"])
    assert other["remark"] == "未报送" and "琼湖街道" in r.summary.missing_units
    assert a5.loc[TOTAL_LABEL, "should_cover"] == a5.loc["草尾镇", "should_cover"]
    nobody = run_dispatch(r.batch, [], [], AS_OF).annex5.loc["草尾镇"]
    assert nobody["registered"] == 0 and nobody["coverage_rate"] == 0 and pd.isna(nobody["payment_rate"])


def test_an_unusable_export_is_reported_and_the_others_still_count(world, result, tmp_path):
    bad = tmp_path / "坏文件.xlsx"
    bad.write_bytes(b"PK\x03\x04broken")
    r = run_dispatch(result.batch, [*world.registrations, bad], world.payments, AS_OF)
    assert len(r.summary.problems) == 1 and "坏文件.xlsx" in r.summary.problems[0]
    assert r.annex5.equals(result.annex5)


def test_an_earlier_campaign_year_counts_that_years_payments(world, result):
    r = run_dispatch(result.batch, world.registrations, world.payments, AS_OF, campaign_year=2019)
    assert r.summary.campaign_year == 2019
    assert r.annex5.loc[TOTAL_LABEL, "paid"] < result.annex5.loc[TOTAL_LABEL, "paid"]
    assert r.annex5.loc[TOTAL_LABEL, "registered"] == result.annex5.loc[TOTAL_LABEL, "registered"]


# --------------------------------------------------------------------------- progress


def _counts(**per_unit):
    return pd.DataFrame(per_unit).T.fillna(0)


def test_milestones_status_and_rank():
    ms = load_milestones(YEAR)
    assert [(m.day, m.share) for m in ms] == [(dt.date(2020, 8, 31), 0.5), (dt.date(2020, 10, 31), 1.0)]
    caowei, luhu = UNITS[0], next(u for u in UNITS if u.name == "漉湖芦苇场")
    counts = _counts(**{caowei.name: {"surveyed": caowei.task, "out_of_scope": 3000, "registered": 4000},
                        luhu.name: {"surveyed": 1301, "out_of_scope": 300, "registered": 351}})
    before = build_progress(counts, dt.date(2020, 8, 30), milestones=ms)
    assert set(before["status"]) == {ON_TRACK}  # nothing due yet
    on = build_progress(counts, dt.date(2020, 8, 31), milestones=ms).set_index("unit")
    assert on.loc[caowei.name, "due"] == 6958  # 50 % of 13915, rounded up
    assert on.loc[caowei.name, "done"] == 7000 and on.loc[caowei.name, "status"] == ON_TRACK
    assert on.loc[luhu.name, "due"] == 651 and on.loc[luhu.name, "done"] == 651
    assert on.loc[luhu.name, "status"] == ON_TRACK
    assert on.loc["琼湖街道", "status"] == LAGGING and on.loc["琼湖街道", "gap"] == 16870
    assert on.loc[caowei.name, "rank"] == 1 and on.loc[luhu.name, "rank"] == 2  # 50.31 % vs 50.04 %
    assert on.loc["琼湖街道", "rank"] == 3  # all the zeros share the next rank
    late = build_progress(counts, dt.date(2020, 11, 1), milestones=ms).set_index("unit")
    assert late.loc[caowei.name, "status"] == LAGGING and late.loc[caowei.name, "gap"] == 13915 - 7000


def test_milestones_come_from_a_data_file_the_bureau_can_edit(tmp_path):
    f = tmp_path / "m.csv"
    f.write_text("month_day,share,label\n09-15,0.8,9月中旬80%\n", encoding="utf-8")
    ms = load_milestones(2020, f)
    assert ms[0].day == dt.date(2020, 9, 15) and ms[0].share == 0.8
    f.write_text("month_day,share\n13-01,2\n", encoding="utf-8")
    with pytest.raises(ParameterError, match="第2行"):
        load_milestones(2020, f)


def test_progress_uses_the_survey_and_the_registrations(world, result):
    p = result.progress.set_index("unit")
    people = result.people
    for unit in UNITS:
        mine = people[people["unit"] == unit.name]
        out = int((mine["category"].notna() & (mine["category"] != "in_scope")).sum())
        assert p.loc[unit.name, "surveyed"] == len(mine)
        assert p.loc[unit.name, "done"] == out + world.expected[unit.name]["registered"]
        assert p.loc[unit.name, "task"] == unit.task


# --------------------------------------------------------------------------- workbook


def _calamine_rows(path: Path, sheet: str) -> list[list]:
    return CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python()


def test_annex5_sheet_reads_back_with_the_same_numbers(result, tmp_path):
    out = write_dispatch(result, tmp_path / "总表.xlsx")
    rows = _calamine_rows(out, "附件5")
    numbering = next(i for i, r in enumerate(rows) if r[:9] == [1, 2, 3, 4, 5, 6, 7, 8, 9] or
                     r[:9] == [float(n) for n in range(1, 10)])
    assert rows[0][0] == "附件5" and rows[0][1] == ANNEX5.title
    data = rows[numbering + 1: numbering + 16]
    for r, (name, row) in zip(data, result.annex5.iterrows(), strict=True):
        assert r[0] == (TOTAL_LABEL if name == TOTAL_LABEL else row["code"])
        assert [int(v) for v in r[2:6]] == [row[k] for k in ("should_cover", "registered", "paid", "unregistered")]
        for v, k in zip(r[6:8], ("coverage_rate", "payment_rate"), strict=True):
            assert (v == "" and pd.isna(row[k])) or v == pytest.approx(row[k])
    ws = openpyxl.load_workbook(out)["附件5"]
    first = numbering + 2
    assert ws.cell(first, 7).number_format == "0.00%" and ws.cell(first + 14, 8).number_format == "0.00%"
    assert "A3:A4" in {str(m) for m in ws.merged_cells.ranges}  # the two-row header


def test_history_grows_by_date_and_a_rerun_replaces_its_date(world, result, tmp_path):
    out = tmp_path / "总表.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = "封面"
    wb.active["A1"] = "保留我"
    wb.save(out)
    guard.stamp(out, "master")  # a master this tool made, with the clerk's cover sheet
    write_dispatch(result, out)
    write_dispatch(result, out)  # the same date again
    later = run_dispatch(result.batch, world.registrations[:1], world.payments, dt.date(2020, 10, 9))
    write_dispatch(later, out)
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames[0] == "封面" and wb["封面"]["A1"].value == "保留我"
    ws = wb["调度历史"]
    dates = [ws.cell(r, 1).value for r in range(4, ws.max_row + 1) if ws.cell(r, 3).value]
    dates = [d.date() if isinstance(d, dt.datetime) else d for d in dates if isinstance(d, dt.date | dt.datetime)]
    assert dates.count(AS_OF) == 14 and dates.count(dt.date(2020, 10, 9)) == 14 and len(dates) == 28
    assert len(ws._charts) == 2


def test_followup_lists_hold_only_the_units_people_sorted_by_village(result, tmp_path):
    paths = write_followup_lists(result, tmp_path / "lists")
    assert len(paths) == 14
    p = next(x for x in paths if x.name.startswith("草尾镇"))
    wb = openpyxl.load_workbook(p)
    assert wb.sheetnames == [UNREGISTERED_SHEET, UNPAID_SHEET]
    people = result.people
    mine = people[people["unit"] == "草尾镇"]
    others = set(people.loc[people["unit"] != "草尾镇", "id"])
    for sheet, expected in ((UNREGISTERED_SHEET, mine[mine["in_scope"] & ~mine["registered"]]),
                            (UNPAID_SHEET, mine[mine["in_scope"] & mine["registered"] & ~mine["paid"]])):
        ws = wb[sheet]
        rows = [r for r in ws.iter_rows(min_row=4, values_only=True) if r[0] is not None]
        assert len(rows) == len(expected) > 0
        assert sorted(str(r[3] or "") for r in rows) == sorted(str(i) for i in expected["id"])
        assert not ({r[3] for r in rows} & (others - set(mine["id"])))
        villages = [r[1] for r in rows]
        assert villages == sorted(villages, key=lambda v: (v == "（未识别村/社区）", v))
        assert ws.print_title_rows in ("1:3", "$1:$3") and ws.page_setup.orientation == "landscape"


def test_village_is_parsed_from_the_address():
    assert village_of("沅江市草尾镇新华村5组") == "新华村"
    assert village_of("湖南省沅江市琼湖街道新村社区3栋") == "新村社区"
    assert village_of("南大膳镇胜利村村委会") == "胜利村"
    assert village_of("沅江市黄茅洲镇") == "" and village_of(None) == ""


# --------------------------------------------------------------------------- command line


def test_cli_takes_several_paths_per_option_and_masks_ids(world, tmp_path):
    out = tmp_path / "调度.xlsx"
    run = cli("dispatch", "--survey", world.survey, "--registrations", *world.registrations,
              "--payments", world.payments[0], "-p", world.payments[1], "--as-of", "2020-09-30", "-o", out,
              "--lists", tmp_path / "lists")
    assert run.code == 0, run.output
    assert "调度表" in run.output and "登记导出中不在摸底表的人数" in run.output
    assert not any(s in run.output for s in world.strangers)  # IDs only masked
    assert any(s[:6] + "********" + s[-4:] in run.output for s in world.strangers)
    assert CalamineWorkbook.from_path(str(out)).sheet_names == ["附件5", "进度", "调度历史", "重复参保"]
    assert len(list((tmp_path / "lists").glob("*.xlsx"))) == 14


def test_cli_reports_an_unusable_export_with_exit_code_1(world, tmp_path):
    bad = tmp_path / "登记坏.csv"
    bad.write_bytes(bytes(range(128, 256)) * 8)
    run = cli("dispatch", "--survey", world.survey, "-r", bad, *world.registrations, "-p", *world.payments,
              "--as-of", "2020-09-30", "-o", tmp_path / "o.xlsx")
    assert run.code == 1
    assert "登记坏.csv" in run.output and "无法使用" in run.output
    assert (tmp_path / "o.xlsx").exists()


def test_exports_read_beside_the_survey_report_progress_from_the_calling_thread(world):
    """The exports are read in a thread while the survey files are checked; the progress callback (the
    Excel status bar must only be called from its own thread) still hears of every file, from the caller."""
    import threading

    calls = []
    again = run_dispatch(world.survey, world.registrations, world.payments, AS_OF,
                         progress=lambda stage, name, n, total: calls.append((stage, name, n, total,
                                                                              threading.current_thread())))
    assert {c[4] for c in calls} == {threading.current_thread()}
    exports = [c[:4] for c in calls if c[0] != "survey"]
    names = [("registration", p.name) for p in world.registrations] + [("payment", p.name) for p in world.payments]
    assert exports == [(*kn, n, len(names)) for n, kn in enumerate(names, start=1)]
    assert sorted(c[1] for c in calls if c[0] == "survey") == sorted(p.name for p in world.survey.glob("*.xlsx"))
    assert int(again.totals()["should_cover"]) > 0
