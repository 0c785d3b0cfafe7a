"""Issue 13's counting contract for registrations and payments, on real export files (GBK and UTF-8
CSV, xlsx) and a real survey workbook: every status, 补缴 paid this year and in an earlier year,
一次性补缴, 代缴, year-only, date-only and both, zero and negative amounts, people drawing a pension
with and without a payment. The expected Annex 5 figures are counted by hand from the case table."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import openpyxl
import pytest

from coverage_xl import exports as ex
from coverage_xl.counting import load_counting
from coverage_xl.dispatch import run_dispatch
from coverage_xl.synth import make_people, write_unit_workbook
from coverage_xl.units import default_units

AS_OF = dt.date(2020, 9, 30)
UNIT = default_units()[0]  # 草尾镇
N = 30

# person index -> (status rows in the GBK registration CSV, rows in the registration xlsx)
REGISTRATIONS = {
    0: ["正常参保"], 1: ["暂停缴费"], 2: ["终止参保"], 3: ["注销"], 4: ["参保终止"], 5: ["已注销"],
    6: ["待遇领取"], 7: ["领取待遇"], 8: ["退休"], 9: ["正常参保"], 10: ["正常参保"], 11: ["正常参保"],
    12: ["正常参保"], 13: ["正常参保"], 14: ["正常参保"], 16: [""], 17: [" 正常 参保"], 18: ["正常参保"],
    19: ["正常参保"], 20: ["正常参保"], 21: ["待遇领取"], 22: ["正常参保"],
}
REGISTRATIONS_XLSX = {5: "正常参保"}  # 已注销 in one system, 正常参保 in the other: registered
# both columns (GBK CSV): person -> (缴费类型, 缴费年度, 缴费日期, 金额)
PAY_BOTH = {
    0: ("正常缴费", 2020, "2020-03-15", 200), 2: ("正常缴费", 2020, "2020-04-01", 200),
    7: ("正常缴费", 2020, "2020-04-02", 300), 9: ("补缴", 2015, "2020-05-20", 1500),
    10: ("补缴", 2019, "2019-11-02", 300), 11: ("一次性补缴", 2005, "2020-07-01", 30000),
    12: ("正常缴费", 2020, "2020-06-01", 0), 13: ("代缴", 2020, "2020-10-15", 100),
    14: ("正常缴费", 2020, "2021-01-10", 200), 15: ("正常缴费", 2020, "2020-03-03", 200),
    22: ("正常缴费", 2020, "2020-03-04", -200),
}
PAY_YEAR_ONLY = {17: (2020, 200), 18: (2019, 200)}  # xlsx: 所属年度 and 实缴金额
PAY_DATE_ONLY = {19: (dt.date(2020, 3, 1), 500), 20: (dt.date(2019, 6, 1), 500), 21: (dt.date(2020, 2, 2), 0)}

REGISTERED = {0, 1, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 16, 17, 18, 19, 20, 21, 22}
PAID = {0, 7, 9, 11, 13, 14, 17, 19}
DRAWING = {6, 7, 21}
DRAWING_UNPAID = {6, 21}


def _people(tmp: Path) -> tuple[Path, list[str]]:
    people = [p for p in make_people(UNIT, 200, seed=13) if p.category == "in_scope"][:N]
    assert len(people) == N
    folder = tmp / "survey"
    write_unit_workbook(folder / f"{UNIT.name}_摸底明细表.xlsx", UNIT, people)
    return folder, [p.values["id"] for p in people]


def _csv(path: Path, rows: list[list[object]], encoding: str) -> Path:
    with path.open("w", encoding=encoding, newline="") as fh:
        csv.writer(fh).writerows(rows)
    return path


def _xlsx(path: Path, rows: list[list[object]]) -> Path:
    wb = openpyxl.Workbook()
    for row in rows:
        wb.active.append(row)
    wb.save(path)
    return path


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("contract")
    survey, ids = _people(tmp)
    reg_rows = [["沅江市城乡居民养老保险参保登记信息（导出）"], ["序号", "姓名", "公民身份号码", "参保状态", "参保日期"]]
    n = 0
    for i, statuses in REGISTRATIONS.items():
        for s in statuses:
            n += 1
            reg_rows.append([n, f"虚构{i}", ids[i], s, "2019-05-01"])
    regs = [_csv(tmp / "参保登记_GBK.csv", reg_rows, "gbk"),
            _xlsx(tmp / "参保登记_补充.xlsx", [["身份证号码", "姓名", "人员参保状态"],
                                              *[[ids[i], "x", s] for i, s in REGISTRATIONS_XLSX.items()]])]
    pays = [
        _csv(tmp / "缴费_年度和日期.csv", [["身份证号码", "姓名", "缴费类型", "缴费年度", "缴费日期", "缴费金额"],
                                      *[[ids[i], "x", t, y, d, a] for i, (t, y, d, a) in PAY_BOTH.items()]], "gbk"),
        _xlsx(tmp / "缴费_仅年度.xlsx", [["证件号码", "所属年度", "实缴金额"],
                                         *[[ids[i], y, a] for i, (y, a) in PAY_YEAR_ONLY.items()]]),
        _csv(tmp / "缴费_仅日期.csv", [["公民身份号码", "缴费日期", "金额"],
                                      *[[ids[i], d.isoformat(), a] for i, (d, a) in PAY_DATE_ONLY.items()]],
             "utf-8-sig"),
    ]
    return survey, ids, regs, pays


def test_person_facts_apply_the_status_and_payment_rules_per_person(world):
    _, ids, regs, pays = world
    facts = ex.person_facts(regs, pays, 2020).of(ids)
    assert {i for i, pid in enumerate(ids) if facts.loc[pid, "registered"]} == REGISTERED
    assert {i for i, pid in enumerate(ids) if facts.loc[pid, "paid"]} == PAID
    assert {i for i, pid in enumerate(ids) if facts.loc[pid, "drawing"]} == DRAWING
    assert {i for i, pid in enumerate(ids) if facts.loc[pid, "has_payment"]} == PAID | {2, 15}


def test_each_payment_file_says_which_columns_decided(world):
    _, _, _, pays = world
    files = [ex.read_export(p, ex.PAYMENT, 2020) for p in pays]
    assert [f.basis for f in files] == [ex.BASIS_BOTH, ex.BASIS_YEAR, ex.BASIS_DATE]
    both = files[0]
    assert both.encoding == "gb18030"
    assert (both.rows, both.rows_counted, both.rows_counted_by_date_only) == (11, 8, 2)
    assert (both.rows_other_year, both.rows_not_positive) == (1, 2)  # 2019 补缴 paid in 2019; 0 and −200


def test_an_unknown_status_is_a_warning_naming_it_and_counts_as_registered(world):
    _, ids, regs, _ = world
    f = ex.read_export(regs[0], ex.REGISTRATION)
    assert f.unknown_statuses == {"退休": 1}
    assert any("“退休”" in w and "按已登记计入" in w for w in f.warnings)
    assert f.frame.set_index("id").loc[ids[8], "registered"]
    assert f.status_counts["正常参保"] == 12  # " 正常 参保" is the same status


def test_annex5_figures_follow_the_contract_exactly(world):
    survey, _, regs, pays = world
    r = run_dispatch(survey, regs, pays, AS_OF)
    row = r.annex5.loc[UNIT.name]
    assert [int(row[k]) for k in ("should_cover", "registered", "paid", "unregistered")] == [30, 19, 8, 11]
    assert (int(row["drawing_unpaid"]), int(row["payers_due"])) == (2, 17)
    assert row["coverage_rate"] == pytest.approx(19 / 30)
    assert row["payment_rate"] == pytest.approx(8 / 17)
    s = r.summary
    assert (s.drawing, s.drawing_unpaid, s.payers_due, s.paid_not_registered) == (3, 2, 17, 2)
    assert s.unknown_statuses == {"退休": 1}
    assert s.payment_basis == ("缴费_年度和日期.csv：缴费年度和缴费日期；缴费_仅年度.xlsx：仅缴费年度；"
                               "缴费_仅日期.csv：仅缴费日期")
    assert dict(s.rows())["缴费认定依据"] == s.payment_basis
    # reminders go to registered people who have not paid, never to people drawing a pension
    assert len(r.registered_unpaid(UNIT.name)) == 19 - 8 - 2


def test_the_plain_payment_rate_is_a_setting(world):
    survey, _, regs, pays = world
    r = run_dispatch(survey, regs, pays, AS_OF, counting=load_counting(payment_rate="已登记人数"))
    assert r.annex5.loc[UNIT.name, "payment_rate"] == pytest.approx(8 / 19)
    assert r.annex5.loc["合计", "payment_rate"] == pytest.approx(8 / 19)


def test_the_status_vocabulary_is_a_data_file_the_bureau_can_change(world, tmp_path):
    survey, ids, regs, pays = world
    vocab = tmp_path / "状态.csv"
    vocab.write_text("status,meaning\n正常参保,registered\n退休,terminated\n注销,terminated\n", encoding="utf-8")
    facts = ex.person_facts(regs, pays, 2020, statuses=ex.load_statuses(vocab)).of(ids)
    assert not facts.loc[ids[8], "registered"]  # 退休 now terminated
    assert facts.loc[ids[6], "registered"] and not facts.loc[ids[6], "drawing"]  # 待遇领取 now unknown
    assert ex.load_statuses()["领取待遇"] == ex.DRAWING


# --------------------------------------------------------------------------- sheets, settings, progress


def _sheet_rows(path: Path, sheet: str) -> list[list[object]]:
    from python_calamine import CalamineWorkbook

    return CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python()


def test_annex5_sheet_carries_the_figures_and_the_counting_note_under_it(world, tmp_path):
    from coverage_xl.jobs.dispatch import write_dispatch

    survey, _, regs, pays = world
    out = write_dispatch(run_dispatch(survey, regs, pays, AS_OF), tmp_path / "调度.xlsx")
    rows = _sheet_rows(out, "附件5")
    unit_row = next(r for r in rows if r[1] == UNIT.full_name)
    assert unit_row[2:8] == [30, 19, 8, 11, pytest.approx(19 / 30), pytest.approx(8 / 17)]
    note = next(r[0] for r in rows if isinstance(r[0], str) and r[0].startswith("口径说明"))
    assert "应缴费人数 = 第4列 − 领取待遇且本年度未缴费人数" in note and "往年缴纳的补缴不计入" in note
    progress = _sheet_rows(out, "进度")
    header = next(r for r in progress if "应缴费人数" in r)
    unit = next(r for r in progress if UNIT.name in r)
    assert unit[header.index("应缴费人数")] == 17
    assert any(isinstance(r[0], str) and r[0].startswith("进度口径：已登记") for r in progress)


def test_plain_rate_note_and_the_cli_options(world, tmp_path):
    from cliutil import cli

    survey, _, regs, pays = world
    out = tmp_path / "调度.xlsx"
    res = cli("dispatch", "--survey", str(survey), "-r", *map(str, regs), "-p", *map(str, pays), "--as-of",
              AS_OF.isoformat(), "-o", str(out), "--rate-basis", "registered", "--progress", "paid")
    assert res.code == 1, res.output  # 13 units sent no survey file
    rows = _sheet_rows(out, "附件5")
    assert next(r for r in rows if r[1] == UNIT.full_name)[7] == pytest.approx(8 / 19)
    assert any(isinstance(r[0], str) and "参保缴费率 = 第5列 ÷ 第4列" in r[0] for r in rows)
    progress = _sheet_rows(out, "进度")
    header = next(r for r in progress if "已完成数" in r)
    assert next(r for r in progress if UNIT.name in r)[header.index("已完成数")] == 8  # paid, nobody out of scope
    assert "进度口径" in res.output and "缴费认定依据" in res.output


@pytest.mark.parametrize(("definition", "done"), [("registered", 19), ("paid", 8), ("signed", 21)])
def test_progress_definition_is_the_bureaus_choice(world, tmp_path, definition, done):
    from coverage_xl.followup import write_followup_lists

    survey, ids, regs, pays = world
    first = run_dispatch(survey, regs, pays, AS_OF)
    lists = tmp_path / "跟进名单"
    [path] = write_followup_lists(first, lists)
    wb = openpyxl.load_workbook(path)
    ws = wb["未登记人员"]
    header = [c.value for c in ws[3]]
    c_id, c_result, c_signed = (header.index(h) + 1 for h in ("身份证号码", "跟进结果", "是否签订意愿书"))
    marked = 0
    for r in range(4, ws.max_row + 1):
        if ws.cell(r, c_id).value in (ids[23], ids[24], ids[25]):
            ws.cell(r, c_result, "不愿参保")
            ws.cell(r, c_signed, "否" if ws.cell(r, c_id).value == ids[25] else "是")
            marked += 1
    assert marked == 3
    wb.save(path)
    r = run_dispatch(survey, regs, pays, AS_OF, counting=load_counting(progress=definition), signed=[lists])
    row = r.progress.set_index("unit").loc[UNIT.name]
    assert (int(row["done"]), int(row["signed"]), row["definition"]) == (done, 2, definition)
    assert r.summary.signed == 2


def test_a_share_above_100_percent_is_shown_as_it_is_and_flagged():
    import pandas as pd

    from coverage_xl.progress import OVER_FLAG, build_progress

    units = default_units()
    small = units[4]  # 漉湖芦苇场, task 1301
    counts = pd.DataFrame({"surveyed": [1500], "in_scope": [1400], "out_of_scope": [100], "registered": [1300],
                           "paid": [900]}, index=[small.name])
    row = build_progress(counts, AS_OF, units=units).set_index("unit").loc[small.name]
    assert row["done_share"] == pytest.approx(1400 / 1301) and row["flag"] == OVER_FLAG
    assert build_progress(counts, AS_OF, units=units).set_index("unit").loc[units[0].name, "flag"] == ""


def test_master_settings_choose_the_rate_and_the_progress_definition():
    from coverage_xl.master import SETTING_LABELS, UNIT_HEADERS, parse_settings

    rows = [[SETTING_LABELS["payment_rate"], "已登记人数"], [SETTING_LABELS["progress"], "已缴费"], list(UNIT_HEADERS)]
    counting = parse_settings(rows).counting()
    assert (counting.payment_rate, counting.progress) == ("registered", "paid")
    assert parse_settings([list(UNIT_HEADERS)]).counting() == load_counting()


def test_notices_print_the_progress_definition(world):
    from coverage_xl.notices.context import bulletin_context

    survey, _, regs, pays = world
    r = run_dispatch(survey, regs, pays, AS_OF, counting=load_counting(progress="paid"))
    ctx = bulletin_context(r.annex5, r.progress, AS_OF)
    assert ctx["progress_basis"] == "已缴费" and "已缴费的人数" in ctx["progress_note"]


# --------------------------------------------------------------------------- duplicates in the totals, 重复参保


@pytest.fixture(scope="module")
def two_units(tmp_path_factory):
    import copy

    tmp = tmp_path_factory.mktemp("dup")
    u0, u1 = default_units()[0], default_units()[1]
    taken: set[str] = set()
    p0 = [p for p in make_people(u0, 60, seed=3, taken=taken) if p.category == "in_scope"][:5]
    pool = make_people(u1, 80, seed=4, taken=taken)
    p1 = [p for p in pool if p.category == "in_scope"][:4]
    worker = next(p for p in pool if p.category == "prov_enterprise")
    shared = copy.deepcopy(p0[0])
    shared.values["region"] = u1.name
    survey = tmp / "survey"
    write_unit_workbook(survey / f"{u0.name}_摸底明细表.xlsx", u0, p0)
    write_unit_workbook(survey / f"{u1.name}_摸底明细表.xlsx", u1, [*p1, shared, worker])
    ids = {"shared": p0[0].values["id"], "drawing": p0[1].values["id"], "worker": worker.values["id"]}
    reg = _csv(tmp / "登记.csv", [["公民身份号码", "参保状态"], [ids["shared"], "正常参保"], [ids["drawing"], "待遇领取"],
                                  [ids["worker"], "正常参保"]], "utf-8")
    pay = _csv(tmp / "缴费.csv", [["身份证号码", "缴费年度", "缴费金额"], [ids["shared"], 2020, 200]], "gbk")
    return survey, [reg], [pay], (u0, u1), ids


def test_dedup_row_counts_each_person_once_and_explains_the_difference(two_units, tmp_path):
    from coverage_xl.jobs.dispatch import write_dispatch

    survey, regs, pays, (u0, u1), ids = two_units
    r = run_dispatch(survey, regs, pays, AS_OF)
    total = r.annex5.loc["合计"]
    keys = ("should_cover", "registered", "paid", "unregistered", "payers_due")
    assert [int(total[k]) for k in keys] == [10, 3, 2, 7, 2]
    assert [int(r.dedup[k]) for k in keys] == [9, 2, 1, 7, 1]
    assert r.dedup["payment_rate"] == pytest.approx(1.0) and total["payment_rate"] == pytest.approx(1.0)
    assert "第3列少1人、第4列少1人、第5列少1人" in r.dedup["remark"]
    out = write_dispatch(r, tmp_path / "调度.xlsx")
    rows = _sheet_rows(out, "附件5")
    at = [i for i, row in enumerate(rows) if row[0] in ("合计", "全市去重合计")]
    assert [rows[i][0] for i in at] == ["合计", "全市去重合计"] and at[1] == at[0] + 1
    assert rows[at[1]][2:6] == [9, 2, 1, 7] and "未核定归属单位" in rows[at[1]][8]
    dup = _sheet_rows(out, "重复参保")
    header = next(row for row in dup if "身份证号码" in row)
    listed = [row for row in dup[dup.index(header) + 1:] if row[0] != ""]
    assert [row[header.index("身份证号码")] for row in listed] == [ids["worker"]]
    assert listed[0][header.index("单位")] == u1.name and listed[0][header.index("依据")] == "摸底：已参加省内企业职保"


def test_no_duplicates_makes_the_dedup_row_equal_to_the_total(world):
    survey, _, regs, pays = world
    r = run_dispatch(survey, regs, pays, AS_OF)
    assert [int(r.dedup[k]) for k in ("should_cover", "registered", "paid")] == [30, 19, 8]
    assert r.dedup["remark"].endswith("与合计相同")


# --------------------------------------------------------------------------- the demo's exports


def test_campaign_exports_hold_every_case_and_count_as_an_independent_reading_says(tmp_path):
    from python_calamine import CalamineWorkbook

    from coverage_xl.synth import write_campaign_exports

    people = make_people(UNIT, 3000, seed=21)
    in_scope = [p.values["id"] for p in people if p.category == "in_scope"]
    workers = [p.values["id"] for p in people if p.category == "prov_enterprise"]
    paths = write_campaign_exports(tmp_path, in_scope, workers)
    regs = CalamineWorkbook.from_path(str(paths["registrations"])).get_sheet_by_index(0).to_python()[1:]
    with paths["payments"].open(encoding="gbk", newline="") as fh:
        pays = list(csv.reader(fh))[1:]
    assert {r[3] for r in regs} >= {"正常参保", "暂停缴费", "待遇领取", "领取待遇", "终止参保", "参保终止", "注销", "已注销",
                                    "退休", ""}
    assert {r[2] for r in pays} == {"正常缴费", "补缴", "一次性补缴", "代缴"}
    assert any(r[2] == "补缴" and r[4][:4] == "2019" for r in pays)  # paid in an earlier year
    assert any(r[2] == "补缴" and r[3] != "2020" and r[4][:4] == "2020" for r in pays)
    assert any(r[5] == "0" for r in pays)
    # the contract, re-read here in plain Python
    terminated = {"终止参保", "参保终止", "注销", "已注销"}
    live = {r[2] for r in regs if r[3] not in terminated}
    drawing = {r[2] for r in regs if r[3] in ("待遇领取", "领取待遇")}
    payers = {r[0] for r in pays if float(r[5]) > 0 and ("2020" in (r[3], r[4][:4]))}
    assert drawing & payers and drawing - payers  # drawing people with and without a payment
    facts = ex.person_facts([paths["registrations"]],
                            [paths["payments"]], 2020).table
    assert set(facts.index[facts["registered"]]) == live
    assert set(facts.index[facts["drawing"]]) == drawing & live
    assert set(facts.index[facts["paid"]]) == live & payers
    assert live & set(workers)  # 重复参保 cases


def test_people_of_a_employee_pension_file_registered_in_the_city_are_listed_as_duplicate_insurance(two_units, tmp_path):
    from cliutil import cli

    survey, regs, pays, (u0, u1), ids = two_units
    stranger = "430902197003035027"  # registered below, in no survey file
    reg = _csv(tmp_path / "登记_补.csv", [["公民身份号码", "参保状态"], [stranger, "正常参保"]], "utf-8")
    # the shared person (in scope, registered) and the stranger are in the 企业职保 file; ids["drawing"] is not
    compare = _xlsx(tmp_path / "企业职保.xlsx", [["姓名", "身份证号码"], ["x", ids["shared"]], ["y", stranger]])
    out = tmp_path / "调度.xlsx"
    res = cli("dispatch", "--survey", str(survey), "-r", str(regs[0]), str(reg), "-p", str(pays[0]), "--as-of",
              AS_OF.isoformat(), "-o", str(out), "--compare", f"{compare}=省内企业职保")
    assert res.code == 1, res.output  # 12 units sent nothing
    dup = _sheet_rows(out, "重复参保")
    header = next(row for row in dup if "身份证号码" in row)
    listed = [row for row in dup[dup.index(header) + 1:] if row[header.index("身份证号码")] != ""]
    got = [(row[header.index("单位")], row[header.index("身份证号码")], row[header.index("依据")]) for row in listed]
    assert got == [(u0.name, ids["shared"], "比对：省内企业职保"), (u1.name, ids["shared"], "比对：省内企业职保"),
                   (u1.name, ids["worker"], "摸底：已参加省内企业职保"), ("", stranger, "比对：省内企业职保；不在摸底表")]


def test_streaming_in_small_chunks_gives_the_same_facts(world, monkeypatch):
    _, ids, regs, pays = world
    whole = ex.person_facts(regs, pays, 2020).table
    files = [ex.read_export(p, ex.PAYMENT, 2020) for p in pays]
    monkeypatch.setattr(ex, "CHUNK_ROWS", 2)  # every file now spans several chunks
    small = ex.person_facts(regs, pays, 2020).table
    assert small.equals(whole) and len(whole) == 23  # 22 registered IDs + one payer never registered
    again = [ex.read_export(p, ex.PAYMENT, 2020) for p in pays]
    assert [(f.rows, f.rows_counted, f.rows_other_year, f.rows_not_positive) for f in again] == \
        [(f.rows, f.rows_counted, f.rows_other_year, f.rows_not_positive) for f in files]
