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
