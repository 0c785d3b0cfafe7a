"""The campaign ledger: two weekly updates over real files, read back with sqlite3 on its own.

Week 1: the province's list (two parts), three units' Annex 3 workbooks, registration and payment
exports. Week 2: one unit's survey grows, new exports, and the towns return their follow-up lists
(written by ``dispatch --lists``, filled in as a clerk would). Every person is planted for one
status or flag (tests/ledger_world.py); the expectations below are written out by hand.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import ledger_world as w
import pytest
from cliutil import cli, sha

from coverage_xl.dispatch import run_dispatch
from coverage_xl.errors import InputError, OutputError
from coverage_xl.followup import list_path, write_followup_lists
from coverage_xl.ledger import update_ledger
from coverage_xl.ledger.store import SCHEMA_VERSION

K = w.BY_KEY


@dataclass
class Campaign:
    root: Path
    ledger: Path
    lists: list[Path]
    survey1: Path
    survey2: Path
    reg1: Path
    pay1: Path
    reg2: Path
    pay2: Path
    returns: Path
    placed: dict[str, list[tuple[str, int, dict[str, int]]]]


def build_campaign(root: Path) -> Campaign:
    lists = w.write_list(root / "list")
    survey1 = w.write_surveys(root / "survey1")
    reg1, pay1 = w.write_exports(root / "exports1", *w.week1_facts(), "0904")
    # week 2: the unsurveyed person is surveyed (a student); the pending one registers and pays
    survey2 = w.write_surveys(root / "survey2", extra={w.A: [(K["not_surveyed"], "student")]})
    registered, paid = w.week1_facts()
    reg2, pay2 = w.write_exports(root / "exports2", registered | {K["pending"].id}, paid | {K["pending"].id}, "0911")
    # the follow-up lists of week 1, as dispatch --lists writes them, filled in by the towns
    returns = root / "returns"
    result = run_dispatch(survey1, [reg1], [pay1], w.AS_OF_1)
    write_followup_lists(result, returns)
    placed = {}
    placed |= w.fill_return(list_path(returns, w.A, w.AS_OF_1), {
        K["refused"].id: {"跟进日期": dt.date(2020, 9, 8), "跟进方式": "上门", "跟进结果": "不愿参保",
                          "未参保原因": "已购商业养老保险", "是否签订意愿书": "是"},
    })
    placed |= w.fill_return(list_path(returns, w.C, w.AS_OF_1), {
        K["unreachable"].id: {"跟进日期": "2020-09-09", "跟进方式": "电话", "跟进结果": "联系不上",
                              "备注": "人户分离，电话停机"},
        K["untraced"].id: {"跟进日期": "2020-09-09", "跟进结果": "联系不上"},
        K["twice_in_unit"].id: {"跟进日期": "2020年9月10日", "跟进方式": "微信", "跟进结果": "其他"},
    })
    return Campaign(root, root / "台账.sqlite", lists, survey1, survey2, reg1, pay1, reg2, pay2, returns, placed)


@pytest.fixture(scope="module")
def campaign(tmp_path_factory) -> Campaign:
    return build_campaign(tmp_path_factory.mktemp("ledger"))


def week1(c: Campaign, ledger: Path | None = None):
    return update_ledger(ledger or c.ledger, lists=c.lists, survey=c.survey1, registrations=[c.reg1],
                         payments=[c.pay1], as_of=w.AS_OF_1)


def week2(c: Campaign, ledger: Path | None = None, **kw):
    return update_ledger(ledger or c.ledger, survey=c.survey2, registrations=[c.reg2], payments=[c.pay2],
                         followups=c.returns, as_of=w.AS_OF_2, **kw)


@pytest.fixture(scope="module")
def weeks(campaign, tmp_path_factory):
    """The ledger after week 1 (a copy kept) and after week 2, with both results."""
    db = tmp_path_factory.mktemp("weeks") / "台账.sqlite"
    r1 = week1(campaign, db)
    snap1 = dump(db)
    r2 = week2(campaign, db)
    return db, r1, snap1, r2


def people(db: Path) -> dict[str, tuple]:
    con = sqlite3.connect(db)
    rows = con.execute("SELECT id, unit, status, settled, off_list, cross_unit_duplicate, duplicate_insurance "
                       "FROM people").fetchall()
    con.close()
    keys = {p.id: p.key for p in w.PEOPLE}
    return {keys[r[0]]: r[1:] for r in rows}


def dump(db: Path) -> dict[str, list[tuple]]:
    con = sqlite3.connect(db)
    tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]
    out = {t: sorted(con.execute(f"SELECT * FROM {t}").fetchall(), key=repr) for t in tables}
    con.close()
    return out


# (unit, status, settled, off_list, cross_unit_duplicate, duplicate_insurance)
WEEK1 = {
    "paid": (w.A, "paid", 1, 0, 0, 0),
    "reg_unpaid": (w.A, "registered_unpaid", 0, 0, 0, 0),
    "pending": (w.A, "pending", 0, 0, 0, 0),
    "blank_willing": (w.A, "pending", 0, 0, 0, 0),
    "refused": (w.A, "refused", 0, 0, 0, 0),
    "student": (w.A, "out_of_scope", 1, 0, 0, 0),
    "dup_insurance": (w.A, "registered_unpaid", 0, 0, 0, 1),
    "conflict": (w.A, "unclassified", 0, 0, 0, 0),
    "not_surveyed": (w.A, "not_surveyed", 0, 0, 0, 0),
    "list_paid": (w.B, "paid", 1, 0, 0, 0),
    "off_list": (w.B, "pending", 0, 1, 0, 0),
    "cross": (w.A, "pending", 0, 0, 1, 0),
    "unreachable": (w.C, "pending", 0, 0, 0, 0),
    "untraced": (w.C, "pending", 0, 0, 0, 0),
    "twice_in_unit": (w.C, "pending", 0, 0, 0, 0),
    "paid_not_registered": (w.C, "pending", 0, 0, 0, 0),
    "drawing": (w.B, "drawing", 1, 0, 0, 0),
    "terminated": (w.A, "pending", 0, 0, 0, 0),
    "late_payment": (w.C, "paid", 1, 0, 0, 0),
    "old_late_payment": (w.C, "registered_unpaid", 0, 0, 0, 0),
}


def test_week_one_gives_each_person_exactly_the_planted_status_and_flags(weeks):
    db, r1, snap1, _ = weeks
    got = {r[0]: r for r in snap1["people"]}
    keys = {p.id: p.key for p in w.PEOPLE}
    columns = [d[1] for d in sqlite3.connect(db).execute("PRAGMA table_info(people)")]
    pick = [columns.index(c) for c in ("unit", "status", "settled", "off_list", "cross_unit_duplicate",
                                       "duplicate_insurance")]
    assert {keys[i]: tuple(r[j] for j in pick) for i, r in got.items()} == WEEK1
    assert r1.changes == 20 and r1.people == 20


def _zero() -> dict[str, int]:
    return {k: 0 for k in ("paid", "drawing", "registered_unpaid", "unclassified", "out_of_scope", "refused",
                           "pending", "not_surveyed", "off_list", "cross_unit_duplicate", "duplicate_insurance",
                           "settled", "list_total")}


def test_json_summary_counts_each_unit_as_issue_14_defines_them(weeks):
    _, r1, _, _ = weeks
    s = r1.summary()
    a = _zero() | {"paid": 1, "registered_unpaid": 2, "unclassified": 1, "out_of_scope": 1, "refused": 1,
                   "pending": 4, "not_surveyed": 1, "cross_unit_duplicate": 1, "duplicate_insurance": 1,
                   "settled": 2, "list_total": 11}
    # 琼湖街道: its own survey rows (off_list, cross) + the list people nobody surveyed (list_paid, drawing)
    b = _zero() | {"paid": 1, "drawing": 1, "pending": 2, "off_list": 1, "cross_unit_duplicate": 1, "settled": 2,
                   "list_total": 2}
    # 南嘴镇: the person listed twice in its sheet counts once
    c = _zero() | {"paid": 1, "registered_unpaid": 1, "pending": 4, "settled": 1, "list_total": 6}
    assert s["as_of"] == "2020-09-04"
    assert (s["units"][w.A], s["units"][w.B], s["units"][w.C]) == (a, b, c)
    others = {u: v for u, v in s["units"].items() if u not in (w.A, w.B, w.C)}
    assert len(others) == 11 and all(v == _zero() for v in others.values())
    assert s["total"] == {k: a[k] + b[k] + c[k] for k in a}  # the cross-unit duplicate is in it twice
    assert s["unique_people"] == 20 and s["changes"] == 20


def test_the_same_inputs_run_again_change_nothing(campaign, tmp_path):
    db = tmp_path / "台账.sqlite"
    week1(campaign, db)
    before = dump(db)
    again = week1(campaign, db)
    after = dump(db)
    assert again.changes == 0
    assert after["changes"] == before["changes"]
    for table in ("people", "list_people", "survey_rows", "facts", "contacts", "sources", "snapshots",
                  "input_files", "unit_counts"):
        assert after[table] == before[table], table
    assert len(after["runs"]) == 2  # the journal says a run happened; nothing else moved
    assert "省下发核实名单与上次相同，未重新读取" in again.notes


def test_week_two_logs_each_change_with_its_input_file_and_hash(campaign, weeks):
    db, _, _, r2 = weeks
    con = sqlite3.connect(db)
    rows = con.execute("SELECT c.id, c.unit, c.field, c.old_value, c.new_value, f.kind, f.name, f.sha256, c.as_of "
                       "FROM changes c JOIN input_files f ON f.source_id = c.source_id WHERE c.run_id = ? "
                       "ORDER BY c.change_id", (r2.run_id,)).fetchall()
    keys = {p.id: p.key for p in w.PEOPLE}
    a_list = list_path(campaign.returns, w.A, w.AS_OF_1)
    c_list = list_path(campaign.returns, w.C, w.AS_OF_1)
    a_survey = campaign.survey2 / f"{w.A}_摸底明细表.xlsx"
    expected = {
        ("pending", w.A, "status", "pending", "paid", "payment", campaign.pay2.name, sha(campaign.pay2)),
        ("pending", w.A, "settled", "0", "1", "payment", campaign.pay2.name, sha(campaign.pay2)),
        ("not_surveyed", w.A, "status", "not_surveyed", "out_of_scope", "survey", a_survey.name, sha(a_survey)),
        ("not_surveyed", w.A, "settled", "0", "1", "survey", a_survey.name, sha(a_survey)),
        ("refused", w.A, "settled", "0", "1", "followup", a_list.name, sha(a_list)),
        ("refused", w.A, "last_contact", "", "2020-09-08 上门 不愿参保", "followup", a_list.name, sha(a_list)),
        ("unreachable", w.C, "last_contact", "", "2020-09-09 电话 联系不上", "followup", c_list.name, sha(c_list)),
    }
    assert {(keys[r[0]], *r[1:8]) for r in rows} == expected
    assert len(rows) == len(expected) == r2.changes
    assert {r[8] for r in rows} == {"2020-09-11"}
    after = people(db)
    assert after["pending"][:3] == (w.A, "paid", 1)
    assert after["refused"][:3] == (w.A, "refused", 1)  # refused, settled by the signed 意愿书
    assert after["unreachable"][:3] == (w.C, "pending", 0)  # the bureau's default keeps 联系不上 open
    assert after["untraced"][:3] == (w.C, "pending", 0)


def test_returned_lists_are_validated_with_rows_columns_and_codes(campaign, weeks):
    _, _, _, r2 = weeks
    found = sorted((r.path.name, f.sheet, f.row, f.column, f.code) for r in r2.followup_reports for f in r.findings)
    c_name = list_path(campaign.returns, w.C, w.AS_OF_1).name
    expected = []
    for sheet, row, header in campaign.placed[K["untraced"].id]:
        expected.append((c_name, sheet, row, header["跟进方式"], "followup.untraced"))
    for sheet, row, header in campaign.placed[K["twice_in_unit"].id]:
        expected.append((c_name, sheet, row, header["跟进方式"], "followup.method"))
    assert len(campaign.placed[K["twice_in_unit"].id]) == 1  # listed once: the same ID twice counts once
    assert found == sorted(expected)
    untraced = next(f for r in r2.followup_reports for f in r.findings if f.code == "followup.untraced")
    assert "跟进方式" in untraced.message() and "记录有痕" in untraced.message()


def test_unreachable_with_the_contact_recorded_settles_when_the_bureau_allows_it(campaign, tmp_path):
    text = (Path(__file__).resolve().parents[1] / "coverage_xl" / "data" / "ledger_statuses.toml").read_text("utf-8")
    setting = tmp_path / "口径.toml"
    setting.write_text(text.replace("unreachable_settles = false", "unreachable_settles = true"), "utf-8")
    db = tmp_path / "台账.sqlite"
    week1(campaign, db)
    week2(campaign, db, statuses=setting)
    got = people(db)
    assert got["unreachable"][:3] == (w.C, "pending", 1)
    assert got["untraced"][:3] == (w.C, "pending", 0)  # 联系不上 without the method is not a trace


def test_a_failure_in_the_middle_of_an_update_leaves_the_ledger_as_it_was(campaign, tmp_path):
    db = tmp_path / "台账.sqlite"
    week1(campaign, db)
    con = sqlite3.connect(db)  # inject a failure after the snapshots are replaced, while changes are written
    con.execute("CREATE TRIGGER boom BEFORE INSERT ON changes WHEN NEW.field = 'last_contact' "
                "BEGIN SELECT RAISE(ABORT, 'injected failure'); END")
    con.commit()
    con.close()
    before = dump(db)
    with pytest.raises(OutputError, match="已全部撤销"):
        week2(campaign, db)
    assert dump(db) == before
    con = sqlite3.connect(db)
    con.execute("DROP TRIGGER boom")
    con.commit()
    con.close()
    assert week2(campaign, db).changes == 7


def test_the_database_is_wal_versioned_and_its_change_log_append_only(weeks):
    db, *_ = weeks
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert con.execute("SELECT MAX(version) FROM schema_migrations").fetchone()[0] == SCHEMA_VERSION
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        con.execute("UPDATE changes SET new_value = 'x'")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        con.execute("DELETE FROM changes")
    con.close()


def test_a_ledger_from_a_newer_version_is_refused(campaign, tmp_path):
    db = tmp_path / "台账.sqlite"
    week1(campaign, db)
    con = sqlite3.connect(db)
    con.execute("INSERT INTO schema_migrations VALUES (?, '2030-01-01')", (SCHEMA_VERSION + 1,))
    con.commit()
    con.close()
    with pytest.raises(InputError, match="升级"):
        week1(campaign, db)


def test_the_first_update_needs_the_list_or_the_surveys(campaign, tmp_path):
    with pytest.raises(InputError, match="--list"):
        update_ledger(tmp_path / "台账.sqlite", registrations=[campaign.reg1], payments=[campaign.pay1],
                      as_of=w.AS_OF_1)


def test_cli_update_writes_the_json_summary_and_exits_by_the_returned_lists(campaign, tmp_path):
    db, summary = tmp_path / "台账.sqlite", tmp_path / "summary.json"
    args = ["ledger", "update", "--list", *map(str, campaign.lists), "--survey", str(campaign.survey1),
            "--registrations", str(campaign.reg1), "--payments", str(campaign.pay1), "--as-of", "2020-09-04",
            "--ledger", str(db), "--json", str(summary)]
    r = cli(*args)
    assert r.code == 0, r.output
    data = json.loads(summary.read_text("utf-8"))
    assert set(data) == {"as_of", "units", "total", "unique_people", "changes"}
    assert data["units"][w.C]["pending"] == 4 and data["changes"] == 20
    r = cli(*["ledger", "update", "--survey", str(campaign.survey2), "--followups", str(campaign.returns),
             "--as-of", "2020-09-11", "--ledger", str(db)])
    assert r.code == 1, r.output  # the returned lists carry errors
    assert "followup.untraced" in r.output or "联系不上未记录联系时间及方式" in r.output
    assert K["untraced"].id not in r.output  # IDs masked


# --------------------------------------------------------------------------- exports


def _rows(path: Path, sheet: str | None = None) -> list[list]:
    from python_calamine import CalamineWorkbook

    wb = CalamineWorkbook.from_path(path)
    return wb.get_sheet_by_name(sheet or wb.sheet_names[0]).to_python()


def _body(rows: list[list]) -> list[list]:
    """The data rows under the header (row 3), up to the first blank line."""
    out = []
    for r in rows[3:]:
        if not any(v not in ("", None) for v in r):
            break
        out.append(r)
    return out


@pytest.fixture(scope="module")
def exported(campaign, weeks, tmp_path_factory):
    from coverage_xl.jobs.ledger import export_ledger

    db, *_ = weeks
    assisted = tmp_path_factory.mktemp("assisted") / "低保特困对象.csv"
    assisted.write_text("身份证号码,姓名,人员类别\n" + f"{K['paid'].id},甲一,农村低保\n{K['pending'].id},甲三,特困供养\n"
                        f"{K['reg_unpaid'].id},甲二,重度残疾\n", encoding="utf-8-sig")
    out = tmp_path_factory.mktemp("export")
    return export_ledger(db, out, assisted=[assisted], months=12), out


def test_each_unit_gets_its_ledger_by_village_with_masked_ids(campaign, exported):
    result, out = exported
    rows = _body(_rows(out / "草尾镇_台账_20200911.xlsx", "台账"))
    header = _rows(out / "草尾镇_台账_20200911.xlsx", "台账")[2]
    col = {h: i for i, h in enumerate(header)}
    members = {p.name for p in w.PEOPLE if any(u == w.A for u, _ in p.survey)
               or (p.list_unit == w.A and not p.survey)}
    assert sorted(r[col["姓名"]] for r in rows) == sorted(members)
    villages = [r[col["村（社区）"]] for r in rows]
    assert villages == sorted(villages)  # 胜利村 (the address-only list part) before 新华村
    ids = {r[col["身份证号码"]] for r in rows}
    assert all("*" in i for i in ids) and not ids & {p.id for p in w.PEOPLE}
    paid = next(r for r in rows if r[col["姓名"]] == K["pending"].name)
    assert (paid[col["状态"]], paid[col["是否销号"]]) == ("已缴费", "是")
    assert paid[col["最近变更"]] == "2020-09-11 待登记→已缴费"


def test_the_summary_sheet_matches_the_json_and_shows_week_over_week(weeks, exported):
    _, _, _, r2 = weeks
    _, out = exported
    rows = _rows(out / "台账汇总_20200911.xlsx", "台账汇总")
    header = rows[2]
    body = {r[0]: dict(zip(header, r, strict=True)) for r in _body(rows)}
    from coverage_xl.ledger.statuses import default_statuses

    book = default_statuses()
    for unit, counts in r2.summary()["units"].items():
        for code, n in counts.items():
            assert body[unit][book.label(code) if code not in ("settled", "list_total") else
                              {"settled": "已销号", "list_total": "名单人数"}[code]] == n, (unit, code)
    assert body[w.A]["销号率"] == pytest.approx(body[w.A]["已销号"] / body[w.A]["台账人数"])
    assert any("口径说明" == r[0] for r in rows)
    week = _rows(out / "台账汇总_20200911.xlsx", "周对比")
    assert week[2][1:5] == ["2020-09-04 已销号", "2020-09-04 销号率", "2020-09-11 已销号", "2020-09-11 销号率"]
    a = next(r for r in week if r[0] == w.A)
    assert (a[1], a[3], a[-1]) == (2, 5, 3)  # week 2: pending paid, not_surveyed out of scope, refused signed


def test_the_change_log_export_covers_its_date_range(campaign, weeks, tmp_path):
    from coverage_xl.jobs.ledger import export_ledger

    db, *_ = weeks
    export_ledger(db, tmp_path, start=w.AS_OF_2)
    rows = _body(_rows(tmp_path / "变更记录_20200911_20200911.xlsx"))
    assert len(rows) == 7 and {r[1] for r in rows} == {"2020-09-11"}
    assert {(r[3], r[5], r[6], r[7]) for r in rows if r[5] == "状态"} == {
        (K["pending"].name, "状态", "待登记", "已缴费"), (K["not_surveyed"].name, "状态", "未摸底", "不属于")}


def test_the_notice_lists_hold_exactly_their_people(campaign, exported):
    _, out = exported

    def names(file: str, sheet: str | None = None) -> set[str]:
        rows = _rows(out / file, sheet)
        col = rows[2].index("姓名")
        return {r[col] for r in _body(rows)}

    assert names("名单外名单_20200911.xlsx", w.B) == {K["off_list"].name}
    assert names("登记未缴费名单（税务）_20200911.xlsx") == {K["reg_unpaid"].name, K["dup_insurance"].name,
                                                       K["old_late_payment"].name}
    assert names("重复参保名单_20200911.xlsx") == {K["dup_insurance"].name}
    assert names("未摸底名单_20200911.xlsx") == set()  # week 2: the last one was surveyed
    start, end = w.AS_OF_2, dt.date(2021, 9, 11)
    due = set()
    for p in w.PEOPLE:
        born = dt.date(int(p.id[6:10]), int(p.id[10:12]), int(p.id[12:14]))
        sixty = born.replace(year=born.year + 60)
        if start < sixty <= end:
            due.add(p.name)
    assert due and names("即将到龄名单_20200911.xlsx") == due
    rows = _rows(out / "代缴对象_20200911.xlsx")
    col = {h: i for i, h in enumerate(rows[2])}
    got = {(r[col["姓名"]], r[col["代缴类别"]], r[col["是否已缴费"]]) for r in _body(rows)}
    assert got == {(K["paid"].name, "低保", "已缴费"), (K["pending"].name, "特困", "已缴费"),
                   (K["reg_unpaid"].name, "重度残疾", "未缴费")}
    assert "尚未缴费1人" in rows[1][0]


def test_cli_export_masks_unless_asked_and_fails_cleanly_without_a_ledger(weeks, tmp_path):
    db, *_ = weeks
    r = cli("ledger", "export", "-o", tmp_path / "a", "--ledger", db)
    assert r.code == 0, r.output
    r = cli("ledger", "export", "-o", tmp_path / "b", "--ledger", db, "--unmasked")
    assert r.code == 0, r.output
    ids = {row[3] for row in _body(_rows(tmp_path / "b" / "草尾镇_台账_20200911.xlsx"))}
    assert K["paid"].id in ids
    r = cli("ledger", "export", "-o", tmp_path / "c", "--ledger", tmp_path / "none.sqlite")
    assert r.code == 2 and "找不到台账数据库" in r.output


def test_the_progress_definition_signed_can_take_its_signatures_from_the_ledger(campaign, weeks):
    db, *_ = weeks
    result = run_dispatch(campaign.survey2, [campaign.reg2], [campaign.pay2], w.AS_OF_2, signed=[db])
    signed = result.people[result.people["signed"]]
    assert set(signed["id"]) == {K["refused"].id}
    assert result.summary.signed == 1


def test_an_older_ledger_is_migrated_forward_keeping_its_data(campaign, tmp_path, monkeypatch):
    from coverage_xl.ledger import store

    db = tmp_path / "台账.sqlite"
    week1(campaign, db)
    before = dump(db)["people"]
    step = ("ALTER TABLE people ADD COLUMN note TEXT NOT NULL DEFAULT ''",)
    monkeypatch.setattr(store, "MIGRATIONS", (*store.MIGRATIONS, step))
    monkeypatch.setattr(store, "SCHEMA_VERSION", len(store.MIGRATIONS))
    store.connect(db).close()
    con = sqlite3.connect(db)
    assert [v for (v,) in con.execute("SELECT version FROM schema_migrations ORDER BY version")] == [1, 2]
    assert [r[:-1] for r in sorted(con.execute("SELECT * FROM people").fetchall(), key=repr)] == before
    con.close()


def test_week_two_run_again_with_the_same_returned_lists_changes_nothing(campaign, weeks, tmp_path):
    db, *_ = weeks
    copy = tmp_path / "台账.sqlite"
    src = sqlite3.connect(db)
    dst = sqlite3.connect(copy)
    src.backup(dst)  # a consistent copy of a WAL database
    src.close()
    dst.close()
    before = dump(copy)
    again = week2(campaign, copy)
    after = dump(copy)
    assert again.changes == 0
    for table in ("people", "changes", "contacts", "facts", "survey_rows", "unit_counts"):
        assert after[table] == before[table], table


def test_an_unusable_export_is_reported_again_on_the_next_run(campaign, tmp_path):
    bad = tmp_path / "缴费_坏.csv"
    bad.write_text("姓名,金额\n甲,1\n", encoding="utf-8")  # no ID column
    db = tmp_path / "台账.sqlite"
    week1(campaign, db)
    for _ in range(2):
        r = update_ledger(db, registrations=[campaign.reg1], payments=[campaign.pay1, bad], as_of=w.AS_OF_1)
        assert len(r.problems) == 1 and "缴费_坏.csv" in r.problems[0]


def test_every_follow_up_rule_is_found_at_its_cell(campaign, tmp_path):
    from coverage_xl.ledger.followups import read_followup_file

    result = run_dispatch(campaign.survey1, [campaign.reg1], [campaign.pay1], w.AS_OF_1)
    write_followup_lists(result, tmp_path)
    path = list_path(tmp_path, w.A, w.AS_OF_1)
    placed = w.fill_return(path, {
        K["pending"].id: {"跟进日期": "2020-13-40", "跟进方式": "电话", "跟进结果": "其他"},  # no such day
        K["blank_willing"].id: {"跟进日期": "2020-12-01", "跟进方式": "上门", "跟进结果": "其他"},  # after as-of
        K["cross"].id: {"跟进日期": "2020-09-05", "跟进方式": "电话", "跟进结果": "考虑中"},  # not a result
        K["terminated"].id: {"跟进日期": "2020-09-05", "跟进方式": "电话", "跟进结果": "不愿参保",
                             "是否签订意愿书": "签了"},
        K["reg_unpaid"].id: {"跟进方式": "短信"},  # no result
        K["refused"].id: {"跟进结果": "联系不上"},  # neither date nor method
    })
    entries, report = read_followup_file(path, w.AS_OF_2)
    got = sorted((f.sheet, f.row, f.column, f.code) for f in report.findings)

    def at(key: str, header: str, code: str) -> tuple:
        sheet, row, cols = placed[K[key].id][0]
        return (sheet, row, cols[header], code)

    assert got == sorted([
        at("pending", "跟进日期", "followup.date"), at("blank_willing", "跟进日期", "followup.date"),
        at("cross", "跟进结果", "followup.result"), at("terminated", "是否签订意愿书", "followup.signed"),
        at("reg_unpaid", "跟进结果", "followup.result_missing"), at("refused", "跟进日期", "followup.untraced"),
    ])
    assert entries == []  # no entry with a finding is recorded
    untraced = next(f for f in report.findings if f.code == "followup.untraced")
    assert "跟进日期、跟进方式" in untraced.message()


def test_a_returned_list_without_the_fill_in_columns_is_one_finding(tmp_path):
    import openpyxl

    from coverage_xl.ledger.followups import read_followup_file

    path = tmp_path / "草尾镇_跟进名单_旧版.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "未登记人员"
    ws.append(["草尾镇未登记人员名单"])
    ws.append(["说明"])
    ws.append(["序号", "姓名", "身份证号码", "联系时间", "反馈情况"])
    ws.append([1, "甲", K["pending"].id, "9月5日", "已联系"])
    wb.save(path)
    entries, report = read_followup_file(path, w.AS_OF_2)
    assert report.flatten() == [(3, None, "followup.columns")] and entries == []
    assert report.errors == 1


def test_a_second_writer_gives_up_cleanly_while_the_first_holds_the_ledger(campaign, tmp_path, monkeypatch):
    from coverage_xl.ledger import store

    db = tmp_path / "台账.sqlite"
    week1(campaign, db)
    before = dump(db)
    monkeypatch.setattr(store, "BUSY_SECONDS", 0.2)
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another update in progress
    try:
        with pytest.raises(OutputError, match="另一处正在更新台账"):
            week2(campaign, db)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert dump(db) == before


def test_every_row_of_a_ledger_table_is_styled_alike_and_text_never_becomes_a_formula(tmp_path):
    """The body rows after the first are written from the first row's finished styles (the fast path
    for a city's millions of cells): they must look the same, and "=…" text stays text in every row."""
    import openpyxl

    from coverage_xl.sheets import ledger as sl

    records = [{"village": "新华村", "name": "=1+1", "id": "430981195001011234", "address": "=HYPERLINK(\"x\")"},
               {"village": "新华村", "name": "=SUM(A1)", "id": "430981195001021234", "address": "新华村1组"},
               {"village": "", "name": "乙", "id": "430981195001031234", "address": ""}]
    wb = openpyxl.Workbook()
    assert sl.write_table(wb.active, "标题", "说明", sl.PERSON_COLUMNS[:4], records) == 3
    wb.save(tmp_path / "t.xlsx")
    ws = openpyxl.load_workbook(tmp_path / "t.xlsx").active
    first = sl.HEADER_ROW + 1
    assert [(ws.cell(r, 3).value, ws.cell(r, 3).data_type) for r in range(first, first + 2)] == \
        [("=1+1", "s"), ("=SUM(A1)", "s")]
    assert (ws.cell(first, 5).value, ws.cell(first, 5).data_type) == ('=HYPERLINK("x")', "s")
    assert [ws.cell(r, 2).value for r in range(first, first + 3)] == ["新华村", "新华村", None]
    def look(cell):
        return (cell.font.name, cell.font.sz, cell.font.b, cell.border.left.style, cell.border.bottom.style,
                cell.alignment.vertical, cell.alignment.wrap_text, cell.number_format)
    for r in range(first + 1, first + 3):
        for c in range(1, 6):
            assert look(ws.cell(r, c)) == look(ws.cell(first, c)), (r, c)
    # Excel's quote prefix marks formula-like text only, row by row (not copied from the first row)
    assert [ws.cell(r, 3).quotePrefix for r in range(first, first + 3)] == [True, True, False]
    assert [ws.cell(r, 5).quotePrefix for r in range(first, first + 3)] == [True, False, False]
    assert [(ws.cell(first, c).font.name, ws.cell(first, c).border.left.style) for c in range(1, 6)] == \
        [("宋体", "thin")] * 5
    assert ws.cell(first + 2, 4).number_format == "@"
    assert ws.cell(first + 2, 5).alignment.wrap_text is True
